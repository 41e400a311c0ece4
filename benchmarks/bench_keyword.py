"""Keyword index candidates at scale: SQLite FTS5 (what the store uses) against a saved bm25s index.

    python benchmarks/bench_keyword.py --store .assistant/bench-scale/store-100000 [--json]

Both index the same rows: the stemmed terms the store's keyword index already holds for every
chunk (read from ``<store>/keyword/council_docs.sqlite3``, which ``bench_scale.py`` builds), so
ranking inputs are identical. For each it prints what an app pays:

* ``build_s``: indexing every row from scratch (what a new app machine or a rebuild costs);
* ``open_s``: opening the saved index in a fresh state (memory-mapped for bm25s);
* ``query_p50_ms`` / ``query_p95_ms``: the golden questions' terms, top 40;
* ``update_one_document_s``: replacing one document's 35 rows (an ordinary ingest): FTS5
  rewrites those rows, bm25s has no update and re-indexes and re-saves everything;
* ``rss_delta_mb``: resident memory added by opening and querying.

The FTS5 figures use the store's own ``KeywordIndex`` (with and without its postings budget,
``retrieval.bm25_max_postings``) so they are what retrieval gets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import percentile, proc_status_mb  # noqa: E402
from core.text import content_terms  # noqa: E402

QUESTIONS_FILE = ROOT / "evals" / "golden.jsonl"


def query_terms() -> list[list[str]]:
    rows = [json.loads(line) for line in QUESTIONS_FILE.read_text().splitlines() if line.strip()]
    return [content_terms(r["question"]) for r in rows if content_terms(r["question"])]


def timed(queries: list[list[str]], search) -> tuple[float, float]:
    search(queries[0])
    times = []
    for terms in queries:
        t0 = time.perf_counter()
        search(terms)
        times.append((time.perf_counter() - t0) * 1000)
    return round(statistics.median(times), 1), round(percentile(times, 0.95), 1)


def fts5(source: Path, queries: list[list[str]], budget: int) -> dict:
    from index.store.base import Scope
    from index.store.keyword import KeywordIndex, token

    work = Path(tempfile.mkdtemp(prefix="kw-fts5-"))
    try:
        copy = work / "index.sqlite3"
        t0 = time.perf_counter()
        with sqlite3.connect(source) as src, sqlite3.connect(copy) as dst:
            src.backup(dst)  # the same rows, so the build below rewrites them from scratch
        with sqlite3.connect(copy) as db:
            rows = db.execute("SELECT rowid, body FROM terms").fetchall()
            db.execute("DELETE FROM terms")
            t0 = time.perf_counter()
            db.executemany("INSERT INTO terms(rowid, body) VALUES (?, ?)", rows)
        build = time.perf_counter() - t0
        before = proc_status_mb(os.getpid(), "VmRSS")
        t0 = time.perf_counter()
        index = KeywordIndex(copy)
        index.count()
        opened = time.perf_counter() - t0
        scope = Scope()
        p50, p95 = timed(queries, lambda terms: index.search([token(t) for t in terms], 40, scope, budget))
        doc = index._db.execute("SELECT document_id FROM docs ORDER BY doc_rowid DESC LIMIT 1").fetchone()[0]
        chunk_rows = index._db.execute(
            "SELECT c.chunk_id, t.body FROM chunks c JOIN docs d ON d.doc_rowid=c.doc_rowid"
            " JOIN terms t ON t.rowid=c.rowid WHERE d.document_id=?", (doc,)
        ).fetchall()  # fmt: skip
        from core.types import DocumentMeta

        t0 = time.perf_counter()
        index.replace_document(DocumentMeta(document_id=doc, path=doc), "changed", [(c, "", b) for c, b in chunk_rows])
        update = time.perf_counter() - t0
        return {"build_s": round(build, 1), "open_s": round(opened, 3), "query_p50_ms": p50,
                "query_p95_ms": p95, "update_one_document_s": round(update, 3),
                "rss_delta_mb": round(proc_status_mb(os.getpid(), "VmRSS") - before), "rows": len(rows)}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bm25s_index(source: Path, queries: list[list[str]]) -> dict:
    import bm25s

    with sqlite3.connect(source) as db:
        corpus = [body.split() for (body,) in db.execute("SELECT body FROM terms ORDER BY rowid")]
    work = Path(tempfile.mkdtemp(prefix="kw-bm25s-"))
    try:
        t0 = time.perf_counter()
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        retriever.save(work / "index", show_progress=False)
        build = time.perf_counter() - t0
        del retriever
        before = proc_status_mb(os.getpid(), "VmRSS")
        t0 = time.perf_counter()
        loaded = bm25s.BM25.load(work / "index", mmap=True, show_progress=False)
        opened = time.perf_counter() - t0
        vocab = loaded.vocab_dict

        def search(terms: list[str]) -> None:
            known = [t for t in terms if t in vocab] or [next(iter(vocab))]
            loaded.retrieve([known], k=40, show_progress=False)

        p50, p95 = timed(queries, search)
        delta = proc_status_mb(os.getpid(), "VmRSS") - before
        t0 = time.perf_counter()  # no incremental update: one changed document re-indexes all
        again = bm25s.BM25()
        again.index(corpus, show_progress=False)
        again.save(work / "index2", show_progress=False)
        update = time.perf_counter() - t0
        return {"build_s": round(build, 1), "open_s": round(opened, 3), "query_p50_ms": p50,
                "query_p95_ms": p95, "update_one_document_s": round(update, 1),
                "rss_delta_mb": round(delta), "rows": len(corpus)}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=ROOT / ".assistant" / "bench-scale" / "store-100000")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    source = args.store / "keyword" / "council_docs.sqlite3"
    if not source.exists():
        sys.exit(f"error: no keyword index at {source}: run benchmarks/bench_scale.py first")
    queries = query_terms()
    results = {
        "fts5_budget": fts5(source, queries, budget=20000),
        "fts5_unbounded": fts5(source, queries, budget=0),
        "bm25s_mmap": bm25s_index(source, queries),
    }
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for name, r in results.items():
        print(f"{name:<15} rows {r['rows']}: build {r['build_s']} s, open {r['open_s']} s, query p50"
              f" {r['query_p50_ms']} ms / p95 {r['query_p95_ms']} ms, one document changed"
              f" {r['update_one_document_s']} s, +{r['rss_delta_mb']} MB")  # fmt: skip


if __name__ == "__main__":
    main()
