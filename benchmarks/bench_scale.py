"""A whole council's documents: cold start, warm latency and memory at 1k to 300k chunks.

    python benchmarks/bench_scale.py --sizes 1000,10000,100000,300000 [--server] [--json]

For each size it builds a store in the project's own format (``index.store``): the default
corpus ingested for real, plus synthetic documents of 20-50 chunks made from the corpus's own
chunks (each synthetic chunk joins the halves of two real chunks; its vector is the normalised
mean of theirs, so no new embedding is computed and the vectors keep the real distribution).
The stores are real: ``python -m assistant ask/serve --store DIR`` works on them.

Per size and mode (``embedded``; with ``--server`` also a ``chroma run`` server over the same
folder) it prints:

* ``cold_start_s``: a fresh ``python -m assistant ask`` process, start to answer;
* ``warm_p50_ms`` / ``warm_p95_ms`` and per-stage p50s over real questions, in one process;
* ``peak_rss_mb``: the larger of the two processes' peak RSS;
* ``hit_rate@5`` (the golden question's document among the top 5 sources) and ``fact_hit@5``
  (every key fact of the golden row in the top 5 passages' text: the synthetic documents reuse
  the corpus's sentences, so a fact may rightly come from one of them);
* ``baseline_p50_ms``: llama-index's plain retriever (``VectorStoreIndex.from_vector_store``
  over the same Chroma collection, same embedder, top 6) in the same process and run.

``chroma run --path`` serves the very folder the embedded measurement opened, so each store is
built once and measured both ways. A server-mode app on a new machine has no keyword index
yet: ``new_machine_first_answer_s`` is a fresh ``ask`` there (answered from dense search while
the index builds in the background), ``keyword_build_s`` the background build from the server
to ready (up to ``--build-keyword-up-to`` chunks); the warm figures then use a copy of the
embedded index, as a deployment would ship it.

After building, the refusal calibration runs as ``ingest`` runs it after a change
(``calibrate_s``), so ``cold_start_s`` is a restart, not the first question after an ingest.
``--reuse`` measures stores an earlier run built (the 300k build takes about 20 minutes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import run_measured  # noqa: E402
from core.settings import DEFAULT_CORPUS, Settings, set_offline_environment  # noqa: E402

QUESTIONS_FILE = ROOT / "evals" / "golden.jsonl"
PUBLISHERS = [
    "Exampleshire County Council",
    "Northborough City Council",
    "Westvale District Council",
    "Eastmarsh Borough Council",
    "Southwick Unitary Authority",
]
TOPICS = [
    "highways",
    "housing",
    "waste",
    "planning",
    "libraries",
    "parking",
    "social care",
    "schools",
    "licensing",
    "parks",
    "procurement",
    "digital services",
]


def questions(limit: int) -> list[dict]:
    """Answerable golden questions with the documents that answer them (for hit@5 at scale)."""
    rows = [json.loads(line) for line in QUESTIONS_FILE.read_text().splitlines() if line.strip()]
    return [
        {"q": r["question"], "docs": r["expected_documents"], "facts": r.get("key_facts") or []}
        for r in rows
        if r["type"] == "answerable"
    ][:limit]


def real_corpus(cache: Path) -> Path:
    """The default corpus ingested for real, once (reused across runs)."""
    from index.ingest import ingest

    store = cache / "corpus-store"
    ingest([DEFAULT_CORPUS], Settings(store=str(store)))
    return store


def build_store(
    target: Path, size: int, corpus_store: Path, seed: int = 7, keyword_only: bool = False
) -> dict:
    """A store of about ``size`` chunks: the real corpus plus synthetic documents.

    ``keyword_only``: the same documents (same seed) in the keyword indexes alone, no Chroma,
    for ``bench_keyword.py`` at sizes whose full build does not fit the time available."""
    import numpy as np

    from core.types import DocumentMeta
    from index.store import ChunkRow, DocumentRecord, chunk_id_for, open_store

    if target.exists():
        shutil.rmtree(target)
    source = open_store(Settings(store=str(corpus_store)))
    records = source.documents()
    ids = [f"{d}::{r.doc_hash[:12]}::{i:05d}" for d, r in records.items() for i in range(r.chunks)]
    real = {c.chunk_id: c for c in source.fetch(ids, vectors=True)}
    if keyword_only:
        from index.store.keyword import KeywordIndex

        store, keyword = None, KeywordIndex(target / "keyword" / "council_docs.sqlite3")
    else:
        store = open_store(Settings(store=str(target)), create=True)
        keyword = store.keyword
    started = time.perf_counter()
    with store.writing() if store else contextlib.nullcontext():
        for doc_id, record in records.items():  # the real corpus, so real questions have answers
            rows = [
                ChunkRow(c, real[c].text, real[c].vector, real[c].section, real[c].page, i)
                for i, c in enumerate(sorted(i for i in real if i.startswith(doc_id + "::")))
            ]
            if store:
                store.commit_document(record, rows)
            else:
                keyword.replace_document(
                    record.meta, record.doc_hash, [(r.chunk_id, r.section, r.text) for r in rows]
                )
        writer = BulkWriter(store, keyword, target / "keyword" / FTS5_COPY)
        for record in records.values():
            writer.fts5_copy(
                record.meta,
                record.doc_hash,
                [
                    (c, real[c].section, real[c].text)
                    for c in sorted(i for i in real if i.startswith(record.document_id + "::"))
                ],
            )
        stems = Stems()
        rng = random.Random(seed)
        pool = list(real.values())
        total, n = len(real), 0
        while total < size:
            count = min(rng.randint(20, 50), size - total)
            topic = rng.choice(TOPICS)
            meta = DocumentMeta(
                document_id=f"synthetic/{topic.replace(' ', '-')}-{n:06d}.md",
                title=f"{rng.choice(PUBLISHERS).split()[0]} {topic} report {n}",
                publisher=rng.choice(PUBLISHERS),
                year=rng.randint(2012, 2025),
                licence="OGL v3",
                path=f"synthetic/{n:06d}.md",
            )
            doc_hash = f"{n:064x}"
            rows, bodies = [], []
            for i in range(count):
                a, b = rng.sample(pool, 2)
                ta, tb = a.text.split(". "), b.text.split(". ")
                first, second = ta[: max(1, len(ta) // 2)], tb[len(tb) // 2 :]
                text = ". ".join(first + second)
                vector = None
                if store:
                    vector = np.asarray(a.vector) + np.asarray(b.vector)
                    vector = (vector / np.linalg.norm(vector)).tolist()
                section = f"{topic.title()} > Part {i // 5 + 1}"
                rows.append(
                    ChunkRow(
                        chunk_id_for(meta.document_id, doc_hash, i), text, vector, section, None, i
                    )
                )
                bodies.append(
                    " ".join(
                        [
                            stems(meta.title),
                            stems(section),
                            stems((a.chunk_id, 0), ". ".join(first)),
                            stems((b.chunk_id, 1), ". ".join(second)),
                        ]
                    )
                )
            writer.add(
                DocumentRecord(meta, doc_hash, "synthetic", count, "2026-01-01"), rows, bodies
            )
            total += count
            n += 1
            if n % 2000 == 0:
                print(
                    f"  built {total} chunks in {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        writer.flush()
        if store:
            store.finish_ingest(Settings().embed_model, changed=True)
    built = {
        "documents": len(records) + n,
        "chunks": total,
        "build_s": round(time.perf_counter() - started, 1),
    }
    if store:
        built["calibrate_s"] = calibrate(target)
    (target / BUILD_INFO).write_text(json.dumps({**built, "requested": size}))
    return built


class BulkWriter:
    """The synthetic documents written as ``commit_document`` writes them, in large batches.

    New documents have no older chunks to delete and nothing reads the store while it is
    built, so chunks go to Chroma a few thousand at a time (``add``, not one upsert and one
    ``delete(where=...)`` per document, which made the 300k build take 15 minutes), the
    manifest records after their chunks, and the keyword rows through the store's own index."""

    CHUNKS = 5000

    def __init__(self, store, keyword, fts5_path: Path) -> None:
        from index.store.keyword_fts5 import Fts5KeywordIndex

        self.store = store  # None: the keyword indexes alone
        self.keyword = keyword
        self.chunks: list = []
        self.records: list = []
        # The same rows in the FTS5 index the store used before, for bench_keyword.py.
        self.fts5 = Fts5KeywordIndex(fts5_path)

    def fts5_copy(self, meta, doc_hash: str, chunks: list, stemmed: bool = False) -> None:
        self.fts5.replace_document(meta, doc_hash, chunks, stemmed=stemmed)

    def add(self, record, rows, bodies: list[str]) -> None:
        self.records.append((record, [(r.chunk_id, "", body) for r, body in zip(rows, bodies)]))
        self.chunks += [(record, row) for row in rows]
        if len(self.chunks) >= self.CHUNKS:
            self.flush()

    def flush(self) -> None:
        from index.store.chroma import PLACEHOLDER_EMBEDDING, _chunk_metadata

        if not self.records:
            return
        if self.store is not None:
            self._chroma(PLACEHOLDER_EMBEDDING, _chunk_metadata)
        self.keyword.replace_documents(
            ((record.meta, record.doc_hash, rows) for record, rows in self.records), stemmed=True
        )
        with self.fts5._write() as db:  # one transaction for the batch
            for record, rows in self.records:
                self.fts5._add_rows(db, record.meta, record.doc_hash, rows)
        self.chunks, self.records = [], []

    def _chroma(self, placeholder, chunk_metadata) -> None:
        chunk_collection, docs = self.store._collections()
        chunk_collection.add(
            ids=[row.chunk_id for _, row in self.chunks],
            embeddings=[row.vector for _, row in self.chunks],
            documents=[row.text for _, row in self.chunks],
            metadatas=[chunk_metadata(record, row) for record, row in self.chunks],
        )
        docs.add(  # the commit point, after the chunks, as in commit_document
            ids=[record.meta.document_id for record, _ in self.records],
            embeddings=[placeholder for _ in self.records],
            metadatas=[record.to_metadata() for record, _ in self.records],
            documents=[record.meta.title for record, _ in self.records],
        )


class Stems:
    """A synthetic chunk's keyword row, as ``row_text`` makes it, from cached pieces: the title,
    the section and two halves of real chunks (stemming every row took 1.3 ms a chunk)."""

    def __init__(self) -> None:
        self.cache: dict = {}

    def __call__(self, key, text: str | None = None) -> str:
        from core.text import content_terms
        from index.store.keyword import token

        found = self.cache.get(key)
        if found is None:
            if len(self.cache) > 200_000:
                self.cache.clear()
            found = " ".join(token(t) for t in content_terms(key if text is None else text))
            self.cache[key] = found
        return found


def calibrate(target: Path) -> float:
    """What ``ingest`` does after a change: the refusal probes, saved beside the store."""
    started = time.perf_counter()
    run_measured([sys.executable, "-c", CALIBRATE, str(ROOT), str(target)], ROOT)
    return round(time.perf_counter() - started, 1)


def reuse_or_build(target: Path, size: int, corpus_store: Path, reuse: bool) -> dict:
    """``--reuse``: a store this benchmark built before at this size is measured again as is."""
    info = target / BUILD_INFO
    if reuse and info.exists():
        built = json.loads(info.read_text())
        if built.pop("requested", None) == size:
            return {**built, "reused": True}
    return build_store(target, size, corpus_store)


BUILD_INFO = "bench-build.json"
FTS5_COPY = "council_docs.fts5.sqlite3"
CALIBRATE = r"""
import sys
sys.path.insert(0, sys.argv[1])
from core.settings import Settings, set_offline_environment
set_offline_environment()
from assistant.pipeline import Assistant
Assistant(Settings(store=sys.argv[2])).calibration()
"""


WARM = r"""
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from core.settings import Settings, set_offline_environment
set_offline_environment()
from assistant.pipeline import Assistant
store, items = sys.argv[2], json.loads(sys.argv[3])
questions = [i["q"] for i in items]
assistant = Assistant(Settings(store=store))
for q in questions[:3]:
    assistant.ask(q)  # warm up: models, caches
totals, stages, hits, facts = [], {}, 0, 0
for item in items:
    answer = assistant.ask(item["q"])
    hits += bool({s.doc.document_id for s in answer.sources[:5]} & set(item["docs"]))
    # The synthetic documents reuse the corpus's sentences, so a fact can rightly come from one:
    # what counts is whether every key fact reaches the answerer in the top 5 passages.
    top = " ".join(p.text for p in assistant.retrieve(item["q"]).passages[:5]).lower()
    facts += all(any(alt.lower() in top for alt in fact.split("|")) for fact in item["facts"])
    totals.append(answer.timings_ms["total"])
    for key, value in answer.timings_ms.items():
        stages.setdefault(key, []).append(value)
from llama_index.core import VectorStoreIndex
index = VectorStoreIndex.from_vector_store(assistant.store.vector_store(), embed_model=assistant.embedder)
retriever = index.as_retriever(similarity_top_k=6)
retriever.retrieve(questions[0])
baseline = []
for q in questions:
    t0 = time.perf_counter()
    retriever.retrieve(q)
    baseline.append((time.perf_counter() - t0) * 1000)
from benchmarks.measure import percentile
print(json.dumps({
    "warm_p50_ms": round(statistics.median(totals), 1), "warm_p95_ms": round(percentile(totals, 0.95), 1),
    "stages_p50_ms": {k: round(statistics.median(v), 2) for k, v in sorted(stages.items())},
    "baseline_p50_ms": round(statistics.median(baseline), 1),
    "hit_rate@5": round(hits / len(items), 3),
    "fact_hit@5": round(facts / len(items), 3),
}))
"""


def measure(store: str, qs: list[dict], env: dict | None = None) -> dict:
    cold = run_measured(
        [sys.executable, "-m", "assistant", "ask", qs[0]["q"], "--store", store, "--json"],
        ROOT,
        env,
    )
    run = run_measured([sys.executable, "-c", WARM, str(ROOT), store, json.dumps(qs)], ROOT, env)
    warm = json.loads(run.stdout.strip().splitlines()[-1])
    return {
        "cold_start_s": round(cold.seconds, 2),
        "warm_p50_ms": warm["warm_p50_ms"],
        "warm_p95_ms": warm["warm_p95_ms"],
        "peak_rss_mb": round(max(cold.peak_rss_mb, run.peak_rss_mb)),
        "cold_rss_mb": round(cold.peak_rss_mb),
        "baseline_p50_ms": warm["baseline_p50_ms"],
        "p50_vs_baseline": _ratio(warm["warm_p50_ms"], warm["baseline_p50_ms"]),
        # Like for like: our whole retrieval stage (embed, dense, BM25, fetch, rerank) against
        # the baseline's retrieval; the rest of warm_p50 is composing and checking the answer.
        "retrieve_p50_ms": warm["stages_p50_ms"].get("retrieve"),
        "retrieve_vs_baseline": _ratio(
            warm["stages_p50_ms"].get("retrieve"), warm["baseline_p50_ms"]
        ),
        "stages_p50_ms": warm["stages_p50_ms"],
        "hit_rate@5": warm["hit_rate@5"],
        "fact_hit@5": warm["fact_hit@5"],
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def serve_chroma(path: Path) -> tuple[subprocess.Popen, str]:
    sys.path.insert(0, str(ROOT / "tests"))
    from servers import free_port, wait_for_port

    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    port = free_port()
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, timeout=120, process=process)
    return process, f"http://127.0.0.1:{port}"


def server_mode(folder: Path, qs: list[dict], keyword_dir: Path, build_keyword: bool) -> dict:
    """The store folder served by ``chroma run --path`` (the same files: built once, measured
    both ways), as a new app machine meets it: no keyword index, then one shipped with it."""
    process, url = serve_chroma(folder)
    try:
        host = url.split("//")[1].replace(":", "-")
        if keyword_dir.exists():
            shutil.rmtree(keyword_dir)
        # A new app machine's first question: answered from dense search while its keyword
        # index builds in the background (the process exits after the answer).
        first = run_measured(
            [sys.executable, "-m", "assistant", "ask", qs[0]["q"], "--store", url, "--json"],
            ROOT,
            {"ASSISTANT_KEYWORD_DIR": str(keyword_dir)},
        )
        figures: dict = {
            "new_machine_first_answer_s": round(first.seconds, 2),
            "new_machine_answer_warming": json.loads(first.stdout)["keyword_warming"],
        }
        if build_keyword:
            figures["keyword_build_s"] = build_from_server(url, keyword_dir)
        shutil.rmtree(keyword_dir, ignore_errors=True)
        (keyword_dir / host).mkdir(parents=True)  # as deployed: the index shipped with the store
        for name in ("council_docs.sqlite3", "council_docs.tantivy"):
            source = folder / "keyword" / name
            copy = shutil.copytree if source.is_dir() else shutil.copy
            copy(source, keyword_dir / host / name)
        figures.update(measure(url, qs, {"ASSISTANT_KEYWORD_DIR": str(keyword_dir)}))
        return figures
    finally:
        process.terminate()
        process.wait(timeout=30)


def build_from_server(url: str, keyword_dir: Path) -> float:
    """How long the background build takes on a new machine (start to ready)."""
    from index.store import open_store

    store = open_store(Settings(store=url, keyword_dir=keyword_dir))
    t0 = time.perf_counter()
    while not store.keyword_status().ready:
        time.sleep(0.5)
    return round(time.perf_counter() - t0, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,300000")
    parser.add_argument(
        "--server", action="store_true", help="also measure through a chroma run server"
    )
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".assistant" / "bench-scale")
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--reuse", action="store_true", help="measure stores built by an earlier run again"
    )
    parser.add_argument(
        "--build-only", action="store_true", help="build (or reuse) the stores, measure nothing"
    )
    parser.add_argument(
        "--keyword-only-sizes",
        default="",
        help="sizes to build as keyword indexes alone (store-N-keyword), for bench_keyword.py",
    )
    parser.add_argument(
        "--build-keyword-up-to",
        type=int,
        default=300000,
        help="time a new machine's keyword index build from the server up to this size",
    )
    args = parser.parse_args()
    set_offline_environment()
    args.workdir.mkdir(parents=True, exist_ok=True)
    qs = questions(args.questions)
    corpus_store = real_corpus(args.workdir)
    results = []
    for size in (int(s) for s in args.keyword_only_sizes.split(",") if s):
        folder = args.workdir / f"store-{size}-keyword"
        if not (args.reuse and (folder / BUILD_INFO).exists()):
            build_store(folder, size, corpus_store, keyword_only=True)
        print(
            f"{size} (keyword indexes only): {json.loads((folder / BUILD_INFO).read_text())}",
            file=sys.stderr,
        )
    for size in (int(s) for s in args.sizes.split(",") if s):
        folder = args.workdir / f"store-{size}"
        built = reuse_or_build(folder, size, corpus_store, args.reuse)
        if args.build_only:
            print(f"{size}: {built}", file=sys.stderr)
            continue
        row = {"size": size, "mode": "embedded", **built, **measure(str(folder), qs)}
        results.append(row)
        print(_line(row), file=sys.stderr)
        if args.server:
            row = {
                "size": size,
                "mode": "server",
                **built,
                **server_mode(
                    folder, qs, args.workdir / f"keyword-{size}", size <= args.build_keyword_up_to
                ),
            }
            results.append(row)
            print(_line(row), file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))


def _line(r: dict) -> str:
    stages = r["stages_p50_ms"]
    return (
        f"{r['size']:>7} chunks ({r['documents']} docs) {r['mode']:<8}: cold {r['cold_start_s']:.1f} s,"
        f" warm p50 {r['warm_p50_ms']:.0f} ms / p95 {r['warm_p95_ms']:.0f} ms"
        f" (dense {stages.get('retrieve.dense', 0):.0f}, bm25 {stages.get('retrieve.bm25', 0):.0f},"
        f" fetch {stages.get('retrieve.fetch', 0):.0f}, draft {stages.get('draft_and_check', 0):.0f}),"
        f" peak {r['peak_rss_mb']} MB; llama-index retriever p50 {r['baseline_p50_ms']:.0f} ms"
        f" (answer/baseline {r['p50_vs_baseline']}, retrieval/baseline {r['retrieve_vs_baseline']});"
        f" golden document hit@5 {r['hit_rate@5']}, key facts in top 5 {r['fact_hit@5']}"
        + (
            f"; new machine: first answer {r['new_machine_first_answer_s']} s (dense only:"
            f" {r['new_machine_answer_warming']}), keyword index built in {r.get('keyword_build_s', '-')} s"
            if "new_machine_first_answer_s" in r
            else ""
        )
    )


if __name__ == "__main__":
    main()
