"""Ingest in bounded memory: peak RSS against the folder's size, and an unchanged re-ingest.

    python benchmarks/bench_ingest_scale.py [--files 30,3000] [--megabytes 300]
                                            [--embedder model|hashing] [--server] [--json]
    python benchmarks/bench_ingest_scale.py --files 100000 --file-bytes 300 --megabytes 0 --direct

It writes folders of Markdown reports made from the default corpus's sentences (30 files,
3,000 files, and about 300 MB in 250 KB files), ingests each into a fresh store in a fresh
process, and prints wall time, chunks, and the ingest process's peak RSS; then ingests the
unchanged folder again and prints that time and whether a model or llama-index was loaded.

``--embedder hashing`` swaps the model for a bag-of-words stand-in (same 384 dimensions), so
300 MB (about 400k chunks) can be run in minutes: peak memory is then the pipeline's own.
With an embedded store the process also holds Chroma's vector index, which grows with the
store; ``--server`` writes to a ``chroma run`` server instead, so the ingest process's RSS is
the pipeline alone.

Every run also prints its CPU seconds (the process and its parser workers, from ``getrusage``):
on a machine other jobs load, wall time stretches and CPU time does not. The unchanged
re-ingest runs twice: the first after the build (which wrote the manifest note, so it is the
ordinary case), the second the same again.

``--direct`` builds the store without parsing or embedding: one chunk per file, with the
content hash the ingest would compute and a hashing vector, written in bulk. It is for the
unchanged re-ingest of folders too large to ingest here for real (100,000 files); the build
is not an ingest and its time is not reported as one. The first re-ingest after it reads the
manifest from Chroma (no note yet) and is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import run_measured  # noqa: E402
from core.settings import DEFAULT_CORPUS  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core.settings import Settings, set_offline_environment
set_offline_environment()
from index.ingest import ingest
folder, store, embedder, keyword_dir = sys.argv[2:6]
settings = Settings(store=store, keyword_dir=keyword_dir)
factory = None
if embedder == "hashing":
    import hashlib
    import numpy as np
    from core.text import content_terms
    class Hashing:
        def get_text_embedding_batch(self, texts, **_):
            out = np.zeros((len(texts), 384), dtype=np.float32)
            for row, text in enumerate(texts):
                for term in content_terms(text):
                    out[row, int(hashlib.md5(term.encode()).hexdigest()[:8], 16) % 384] += 1
            return list(out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9))
    factory = Hashing
t0 = time.perf_counter()
report = ingest([__import__("pathlib").Path(folder)], settings, progress=True, embedder_factory=factory)
import resource
cpu = sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
          for f in ("ru_utime", "ru_stime"))
print(json.dumps({"seconds": round(time.perf_counter() - t0, 2), "chunks": report.chunks_embedded,
                  "cpu_s": round(cpu, 2), "parsed": report.parser.get("files"),
                  "documents": len(report.added) + len(report.updated) + len(report.unchanged),
                  "skipped": len(report.skipped),
                  "loaded_model_or_llama_index": any(m in sys.modules for m in ("torch", "llama_index.core"))}))
"""


def sentences() -> list[str]:
    found = []
    for path in sorted(DEFAULT_CORPUS.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 60 and not line.startswith(
                ("#", "|", "-", "*", ">", "title:", "source:")
            ):
                found += [s.strip() + "." for s in line.split(". ") if len(s) > 40]
    return found


def write_folder(folder: Path, files: int, file_bytes: int, seed: int = 3) -> int:
    """``files`` Markdown reports of about ``file_bytes`` each; returns the total bytes."""
    if folder.exists():
        shutil.rmtree(folder)
    rng, pool, total = random.Random(seed), sentences(), 0
    for i in range(files):
        sub = folder / f"dept-{i % 20:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        parts = [
            f"---\ntitle: Service report {i}\npublisher: Exampleshire Council\nyear: {2015 + i % 10}\n---\n"
        ]
        size, section = 0, 0
        while size < file_bytes:
            if size >= section * 4000:
                section += 1
                parts.append(f"\n## Section {section}\n\n")
            paragraph = " ".join(rng.sample(pool, 4)) + "\n\n"
            parts.append(paragraph)
            size += len(paragraph)
        text = "".join(parts)
        (sub / f"report-{i:05d}.md").write_text(text, encoding="utf-8")
        total += len(text.encode())
    return total


DIRECT = r"""
import sys
sys.path.insert(0, sys.argv[1])
from datetime import UTC, datetime
from pathlib import Path
import numpy as np
from core.settings import Settings, set_offline_environment
set_offline_environment()
from core.types import DocumentMeta
from index.ingest import content_hash, discover, folder_groups
from index.store import ChunkRow, DocumentRecord, chunk_id_for, open_store
from index.store.chroma import PLACEHOLDER_EMBEDDING, _chunk_metadata
folder, store, keyword_dir = sys.argv[2:5]
settings = Settings(store=store, keyword_dir=keyword_dir)
target = open_store(settings, create=True)
files = discover([Path(folder)])
now = datetime.now(UTC).isoformat(timespec="seconds")
rng = np.random.default_rng(0)
with target.writing():
    chunks, docs = target._collections()
    for start in range(0, len(files), 1000):
        ids, vectors, texts, metas, doc_ids, doc_metas = [], [], [], [], [], []
        for root, file in files[start : start + 1000]:
            data = file.read_bytes()
            relative = file.relative_to(root).as_posix()
            doc_hash = content_hash(data, settings, folder_groups(file, root))
            record = DocumentRecord(DocumentMeta(relative, title=relative, path=relative), doc_hash, str(root), 1, now)
            row = ChunkRow(chunk_id_for(relative, doc_hash, 0), data.decode()[:1000], [], "", None, 0)
            ids.append(row.chunk_id); texts.append(row.text); metas.append(_chunk_metadata(record, row))
            vectors.append(rng.standard_normal(384).astype(np.float32))
            doc_ids.append(relative); doc_metas.append(record.to_metadata())
        chunks.add(ids=ids, embeddings=vectors, documents=texts, metadatas=metas)
        docs.add(ids=doc_ids, embeddings=[PLACEHOLDER_EMBEDDING] * len(doc_ids), metadatas=doc_metas)
    target.finish_ingest(settings.embed_model, changed=True)
print("{}")
"""


def build_direct(folder: Path, store: str, keyword_dir: Path) -> float:
    args = [sys.executable, "-c", DIRECT, str(ROOT), str(folder), store, str(keyword_dir)]
    measured = run_measured(
        args, ROOT, timeout=4 * 3600
    )  # 100,000 files: 30+ minutes on a loaded machine
    return round(measured.seconds, 1)


def run(folder: Path, store: str, embedder: str, keyword_dir: Path) -> dict:
    measured = run_measured(
        [sys.executable, "-c", CHILD, str(ROOT), str(folder), store, embedder, str(keyword_dir)],
        ROOT,
    )
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(measured.peak_rss_mb)
    result["wall_s"] = round(measured.seconds, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--files", default="30,3000", help="folder sizes in files (about 2.5 KB each)"
    )
    parser.add_argument(
        "--megabytes", type=int, default=300, help="one more folder of this many MB (0: none)"
    )
    parser.add_argument("--file-bytes", type=int, default=2500, help="size of each file of --files")
    parser.add_argument(
        "--direct", action="store_true", help="build the stores in bulk, unparsed (see above)"
    )
    parser.add_argument("--embedder", choices=["model", "hashing"], default="model")
    parser.add_argument("--server", action="store_true", help="write to a chroma run server")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".assistant" / "bench-ingest-scale")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = [
        (f"{n} files", n, args.file_bytes) for n in (int(x) for x in args.files.split(",") if x)
    ]
    if args.megabytes:
        cases.append((f"{args.megabytes} MB", args.megabytes * 4, 250_000))
    server = None
    results = []
    try:
        for label, files, file_bytes in cases:
            folder = args.workdir / label.replace(" ", "-")
            size = write_folder(folder, files, file_bytes)
            store = args.workdir / f"store-{label.replace(' ', '-')}"
            shutil.rmtree(store, ignore_errors=True)
            keyword_dir = args.workdir / f"keyword-{label.replace(' ', '-')}"
            shutil.rmtree(keyword_dir, ignore_errors=True)
            target = str(store)
            if args.server:
                from benchmarks.bench_scale import serve_chroma

                server, target = serve_chroma(store)
            row = {
                "folder": label,
                "files": files,
                "megabytes": round(size / 1e6, 1),
                "embedder": args.embedder,
                "store": "server" if args.server else "embedded",
                "load_average": os.getloadavg(),
            }
            if args.direct:
                row["direct_build_s"] = build_direct(folder, target, keyword_dir)
                row["first_reingest_after_direct_build"] = run(
                    folder, target, args.embedder, keyword_dir
                )
            else:
                row["ingest"] = run(folder, target, args.embedder, keyword_dir)
            row["unchanged_reingest"] = [
                run(folder, target, args.embedder, keyword_dir) for _ in range(2)
            ]
            results.append(row)
            first = row.get("ingest") or row["first_reingest_after_direct_build"]
            again = row["unchanged_reingest"]
            print(
                f"{label:>10} ({row['megabytes']} MB, {row['store']}, load {row['load_average'][0]:.1f}): "
                f"{'ingest' if 'ingest' in row else 'first re-ingest after a bulk build'} {first['wall_s']} s"
                f" ({first['cpu_s']} s CPU), peak {first['peak_rss_mb']} MB; unchanged re-ingest "
                + ", ".join(
                    f"{a['wall_s']} s ({a['cpu_s']} s CPU, {a['parsed']} parsed)" for a in again
                )
                + f", peak {again[-1]['peak_rss_mb']} MB, model loaded: {again[-1]['loaded_model_or_llama_index']}",
                file=sys.stderr,
            )
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
                server = None
    finally:
        if server is not None:
            server.terminate()
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
