"""Ingest in bounded memory: peak RSS against the folder's size, and an unchanged re-ingest.

    python benchmarks/bench_ingest_scale.py [--files 30,3000] [--megabytes 300]
                                            [--embedder model|hashing] [--server] [--json]

It writes folders of Markdown reports made from the default corpus's sentences (30 files,
3,000 files, and about 300 MB in 250 KB files), ingests each into a fresh store in a fresh
process, and prints wall time, chunks, and the ingest process's peak RSS; then ingests the
unchanged folder again and prints that time and whether a model or llama-index was loaded.

``--embedder hashing`` swaps the model for a bag-of-words stand-in (same 384 dimensions), so
300 MB (about 400k chunks) can be run in minutes: peak memory is then the pipeline's own.
With an embedded store the process also holds Chroma's vector index, which grows with the
store; ``--server`` writes to a ``chroma run`` server instead, so the ingest process's RSS is
the pipeline alone.
"""

from __future__ import annotations

import argparse
import json
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
print(json.dumps({"seconds": round(time.perf_counter() - t0, 2), "chunks": report.chunks_embedded,
                  "documents": len(report.added) + len(report.updated) + len(report.unchanged),
                  "skipped": len(report.skipped),
                  "loaded_model_or_llama_index": any(m in sys.modules for m in ("torch", "llama_index.core"))}))
"""


def sentences() -> list[str]:
    found = []
    for path in sorted(DEFAULT_CORPUS.glob("*.md")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) > 60 and not line.startswith(("#", "|", "-", "*", ">", "title:", "source:")):
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
        parts = [f"---\ntitle: Service report {i}\npublisher: Exampleshire Council\nyear: {2015 + i % 10}\n---\n"]
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


def run(folder: Path, store: str, embedder: str, keyword_dir: Path) -> dict:
    measured = run_measured([sys.executable, "-c", CHILD, str(ROOT), str(folder), store, embedder, str(keyword_dir)], ROOT)
    result = json.loads(measured.stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(measured.peak_rss_mb)
    result["wall_s"] = round(measured.seconds, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", default="30,3000", help="folder sizes in files (about 2.5 KB each)")
    parser.add_argument("--megabytes", type=int, default=300, help="one more folder of this many MB (0: none)")
    parser.add_argument("--embedder", choices=["model", "hashing"], default="model")
    parser.add_argument("--server", action="store_true", help="write to a chroma run server")
    parser.add_argument("--workdir", type=Path, default=ROOT / ".assistant" / "bench-ingest-scale")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    cases = [(f"{n} files", n, 2500) for n in (int(x) for x in args.files.split(",") if x)]
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
            first = run(folder, target, args.embedder, keyword_dir)
            again = run(folder, target, args.embedder, keyword_dir)
            row = {"folder": label, "files": files, "megabytes": round(size / 1e6, 1), "embedder": args.embedder,
                   "store": "server" if args.server else "embedded", "ingest": first, "unchanged_reingest": again}  # fmt: skip
            results.append(row)
            print(f"{label:>10} ({row['megabytes']} MB, {first['chunks']} chunks, {row['store']}): "
                  f"ingest {first['wall_s']} s, peak {first['peak_rss_mb']} MB; unchanged re-ingest "
                  f"{again['wall_s']} s, peak {again['peak_rss_mb']} MB, model loaded: "
                  f"{again['loaded_model_or_llama_index']}", file=sys.stderr)  # fmt: skip
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
