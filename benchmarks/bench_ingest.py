"""Ingest throughput: our ingest vs the raw embedder and llama-index ``from_documents``.

Both sides index the same files with the same embedder (``index.embedding.load_embedder``)
into a fresh embedded Chroma store each, in a fresh child process each, so peak memory
(max RSS, read with ``os.wait4``) is per side. The timed region is everything from reading
the files to the vectors being in Chroma; the model is loaded before the clock starts on both
sides, so it measures ingestion, not model loading.

Raw-embedder ceiling: the very chunks our ingest embeds (parsed first, untimed) through
``SentenceTransformer.encode`` of the same model folder, batch size and threads: what the model
alone does on this machine in this run. Our whole ingest (reading, parsing in the worker pool,
embedding, writing to Chroma and the keyword index) against it is the share of the machine's
embedding speed the pipeline keeps (goal >= 0.8).

llama-index baseline: ``SimpleDirectoryReader`` + its default transformations (SentenceSplitter,
1024-token chunks) + ``ChromaVectorStore`` via ``StorageContext``.

    python benchmarks/bench_ingest.py [--corpus DIR] [--runs N] [--sides ours,raw,llama] [--json]

Prints chunks/s for each side and the ratios (ours / raw embedder >= 0.8; ours / llama-index
>= 1.0), plus the wall time for the whole corpus, which does not depend on chunk size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _child_ours(corpus: Path, store: str) -> dict:
    from core.settings import Settings
    from index.embedding import load_embedder
    from index.ingest import ingest

    settings = Settings(store=store, corpus_dir=corpus)
    embedder = load_embedder(settings.embed_model, settings.ingest.embed_batch_size)
    embedder.get_text_embedding("warm up")
    started = time.perf_counter()
    report = ingest([corpus], settings, embedder_factory=lambda: embedder)
    seconds = time.perf_counter() - started
    if report.skipped:
        raise SystemExit(f"skipped files: {report.skipped}")
    return {
        "documents": len(report.added),
        "chunks": report.chunks_embedded,
        "seconds": seconds,
        "embed_seconds": report.embed_seconds,
    }


def _child_raw(corpus: Path, store: str) -> dict:
    """``SentenceTransformer.encode`` on the chunks our ingest embeds (parsed untimed)."""
    import torch
    from sentence_transformers import SentenceTransformer

    from core.settings import Settings
    from index.embedding import resolve_model_dir
    from index.ingest import content_hash, discover, folder_groups
    from index.parse import parse_file

    settings = Settings(store=store, corpus_dir=corpus)
    texts = []
    for root, file in discover([corpus]):
        data = file.read_bytes()
        groups = folder_groups(file, root)
        relative = file.relative_to(root).as_posix()
        parsed = parse_file(
            file, relative, data, content_hash(data, settings, groups), settings, groups
        )
        texts += [chunk.embed_text for chunk in parsed.chunks]
    model = SentenceTransformer(str(resolve_model_dir(settings.embed_model)), device="cpu")
    model.encode(["warm up"])
    started = time.perf_counter()
    model.encode(texts, batch_size=settings.ingest.embed_batch_size, normalize_embeddings=True)
    seconds = time.perf_counter() - started
    return {
        "documents": None,
        "chunks": len(texts),
        "seconds": seconds,
        "threads": torch.get_num_threads(),
    }


def _child_llama(corpus: Path, store: str) -> dict:
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from core.settings import Settings
    from index.embedding import load_embedder
    from index.ingest import discover

    settings = Settings(store=store, corpus_dir=corpus)
    embedder = load_embedder(settings.embed_model, settings.ingest.embed_batch_size)
    embedder.get_text_embedding("warm up")
    files = [str(file) for _, file in discover([corpus])]  # the very files ours indexes
    started = time.perf_counter()
    documents = SimpleDirectoryReader(input_files=files).load_data()
    client = chromadb.PersistentClient(
        path=store, settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_or_create_collection(
        "baseline", embedding_function=None, metadata={"hnsw:space": "cosine"}
    )
    storage = StorageContext.from_defaults(
        vector_store=ChromaVectorStore(chroma_collection=collection)
    )
    VectorStoreIndex.from_documents(documents, storage_context=storage, embed_model=embedder)
    seconds = time.perf_counter() - started
    return {"documents": len(files), "chunks": collection.count(), "seconds": seconds}


def run_side(side: str, corpus: Path) -> dict:
    """One measured ingest in a fresh process and a fresh store; adds its peak RSS."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{side}-") as store:
        with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
            process = subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    side,
                    "--corpus",
                    str(corpus),
                    "--store",
                    store,
                    "--out",
                    out.name,
                ],
                cwd=ROOT,
            )
            _, status, usage = os.wait4(process.pid, 0)
            process.returncode = os.waitstatus_to_exitcode(status)
            if process.returncode:
                raise SystemExit(f"{side} run failed with exit code {process.returncode}")
            result = json.loads(Path(out.name).read_text())
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)  # ru_maxrss is in KiB on Linux
    result["chunks_per_second"] = round(result["chunks"] / result["seconds"], 2)
    result["seconds"] = round(result["seconds"], 2)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus", type=Path, help="folder to ingest (default: the default corpus)"
    )
    parser.add_argument("--runs", type=int, default=1, help="runs per side; the best is kept")
    parser.add_argument(
        "--sides", default="ours,raw,llama", help="which sides to run, in this order"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", choices=["ours", "raw", "llama"], help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    from core.settings import Settings, set_offline_environment

    set_offline_environment()
    corpus = (args.corpus or Settings().corpus_dir).resolve()
    if args.child:
        child = {"ours": _child_ours, "raw": _child_raw, "llama": _child_llama}[args.child]
        Path(args.out).write_text(json.dumps(child(corpus, args.store)))
        return 0

    sides = [s for s in args.sides.split(",") if s]
    best: dict[str, dict] = {}
    for _ in range(args.runs):
        for side in sides:  # alternate, so machine load hits every side alike
            result = run_side(side, corpus)
            if side not in best or result["seconds"] < best[side]["seconds"]:
                best[side] = result
    summary: dict = {"corpus": str(corpus), "cpus": os.cpu_count(), "load_average": os.getloadavg()}
    summary.update({("llama_index" if k == "llama" else k): v for k, v in best.items()})
    ours = best.get("ours")
    if ours and "raw" in best:
        summary["share_of_raw_embedder"] = round(
            ours["chunks_per_second"] / best["raw"]["chunks_per_second"], 2
        )
    if ours and "llama" in best:
        summary["throughput_ratio"] = round(
            ours["chunks_per_second"] / best["llama"]["chunks_per_second"], 2
        )
        summary["wall_time_ratio"] = round(best["llama"]["seconds"] / ours["seconds"], 2)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"corpus: {corpus} ({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})")
    print(f"{'':14}{'chunks':>8}{'seconds':>10}{'chunks/s':>10}{'peak RSS MB':>13}")
    names = {"ours": "ours", "raw": "raw embedder", "llama": "llama-index"}
    for side, r in best.items():
        print(
            f"{names[side]:14}{r['chunks']:>8}{r['seconds']:>10.2f}{r['chunks_per_second']:>10.2f}{r['peak_rss_mb']:>13.1f}"
        )
    if "share_of_raw_embedder" in summary:
        print(
            f"ours / raw embedder (chunks/s, same chunks): {summary['share_of_raw_embedder']:.2f}  (goal >= 0.8)"
        )
    if "throughput_ratio" in summary:
        print(
            f"throughput ratio (ours / llama-index, chunks/s): {summary['throughput_ratio']:.2f}  (goal >= 1.0)"
        )
        print(f"whole-corpus speed-up (llama-index s / ours s):  {summary['wall_time_ratio']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
