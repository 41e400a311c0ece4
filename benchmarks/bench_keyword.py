"""Keyword index candidates at scale: tantivy (what the store uses) against SQLite FTS5.

    python benchmarks/bench_keyword.py --stores .assistant/bench-scale/store-100000,... [--json]

Every candidate indexes the same rows: the stemmed terms of every chunk of a ``bench_scale.py``
store (the FTS5 copy that benchmark writes beside the store's own index, or the FTS5 tables an
upgraded index keeps), so ranking inputs are identical. Per store and candidate it prints:

* ``stage_p50_ms`` / ``stage_p95_ms``: what retrieval's keyword stage runs per question (the top
  40 for the question's terms, then the terms' chunk counts for idf), over the 110 golden
  questions; ``search_p50_ms`` is the top 40 alone;
* ``build_s`` (every row indexed from scratch), ``open_s``, ``update_one_document_s`` (one
  document's rows replaced, as an ingest does), ``rss_delta_mb`` (opening and querying);
* ranking on a golden set built for large stores: the golden set's answerable questions, whose
  answer documents (the real corpus) sit among the store's synthetic documents, which are made
  of the same corpus's sentences and so compete on the very same words. ``hit@5`` / ``hit@40``:
  an answer document among the keyword stage's top 5 / top 40 (the candidates fusion sees);
  ``overlap@40``: the share of the unbounded top 40 a budgeted search returns.

Candidates: FTS5 as the store used it (``retrieval.bm25_max_postings`` 20,000, and unbounded),
FTS5 with a better plan (rank in the FTS5 table alone, ``ORDER BY rank LIMIT``, joined after),
and tantivy (unbounded, and with the same budget).
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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import percentile, proc_status_mb  # noqa: E402
from core.text import content_terms  # noqa: E402

QUESTIONS_FILE = ROOT / "evals" / "golden.jsonl"
K = 40
BUDGET = 20000
Search = Callable[[list[str]], list[str]]


def golden() -> list[dict]:
    rows = [json.loads(line) for line in QUESTIONS_FILE.read_text().splitlines() if line.strip()]
    return [
        {
            "terms": content_terms(r["question"]),
            "docs": set(r.get("expected_documents") or ()),
            "answerable": r["type"] == "answerable",
        }
        for r in rows
        if content_terms(r["question"])
    ]


def fts5_source(store: Path, work: Path) -> Path:
    """A private copy of the store's FTS5 rows, marked as the FTS5 index's own version."""
    folder = store / "keyword"
    source = folder / "council_docs.fts5.sqlite3"
    if not source.exists():
        source = folder / "council_docs.sqlite3"  # an upgraded index keeps its FTS5 tables
    copy = work / "fts5.sqlite3"
    sqlite_copy(source, copy)
    with sqlite3.connect(copy) as db:
        if not db.execute("SELECT name FROM sqlite_master WHERE name='terms'").fetchone():
            sys.exit(f"error: no FTS5 rows in {source}: build the store with bench_scale.py")
        db.execute("INSERT OR REPLACE INTO state VALUES ('terms_version', '1')")
    return copy


def sqlite_copy(source: Path, target: Path) -> None:
    """A whole SQLite database (its WAL included) as one self-contained file."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with sqlite3.connect(target) as db:
        db.execute("PRAGMA journal_mode=DELETE")


def run_queries(qs: list[dict], search: Search) -> tuple[list[float], list[list[str]]]:
    """Each question's top 40 and how long it took (one warm-up first)."""
    search(qs[0]["terms"])
    times, found = [], []
    for q in qs:
        t0 = time.perf_counter()
        found.append(search(q["terms"]))
        times.append((time.perf_counter() - t0) * 1000)
    return times, found


def ranking(qs: list[dict], found: list[list[str]], reference: list[list[str]] | None) -> dict:
    hit5 = hit40 = n = 0
    overlap = []
    for i, q in enumerate(qs):
        if not (q["answerable"] and q["docs"]):
            continue
        n += 1
        docs = [c.split("::")[0] for c in found[i]]
        hit5 += bool(set(docs[:5]) & q["docs"])
        hit40 += bool(set(docs) & q["docs"])
        if reference is not None:
            overlap.append(len(set(found[i]) & set(reference[i])) / max(1, len(reference[i])))
    out = {"hit@5": round(hit5 / n, 3), "hit@40": round(hit40 / n, 3), "questions": n}
    if overlap:
        out["overlap@40"] = round(statistics.mean(overlap), 3)
    return out


def candidate(
    qs, search: Search, counts: Callable[[list[str]], object], reference=None
) -> tuple[dict, list]:
    """The keyword stage as retrieval runs it: the top 40, then the terms' counts."""
    before = proc_status_mb(os.getpid(), "VmRSS")
    times, found = run_queries(qs, search)
    counted = []
    for q in qs:
        t0 = time.perf_counter()
        counts(q["terms"])
        counted.append((time.perf_counter() - t0) * 1000)
    stage = [a + b for a, b in zip(times, counted)]
    figures = {
        "stage_p50_ms": round(statistics.median(stage), 2),
        "stage_p95_ms": round(percentile(stage, 0.95), 2),
        "search_p50_ms": round(statistics.median(times), 2),
        **ranking(qs, found, reference),
        "rss_delta_mb": round(proc_status_mb(os.getpid(), "VmRSS") - before),
    }
    return figures, found


def one_document(index, stemmed_rows) -> float:
    """Replace the last document's rows with themselves, as an ingest of a changed file does."""
    meta, doc_hash, rows = stemmed_rows
    t0 = time.perf_counter()
    if hasattr(index, "replace_documents"):
        index.replace_documents([(meta, "changed", rows)], stemmed=True)
    else:
        index.replace_document(meta, "changed", rows, stemmed=True)
    return round(time.perf_counter() - t0, 3)


def last_document(fts5_file: Path):
    from core.types import DocumentMeta

    with sqlite3.connect(fts5_file) as db:
        doc_rowid, doc_id, doc_hash, publisher, year = db.execute(
            "SELECT doc_rowid, document_id, doc_hash, publisher, year FROM docs ORDER BY doc_rowid DESC LIMIT 1"
        ).fetchone()
        rows = db.execute(
            "SELECT c.chunk_id, t.body FROM chunks c JOIN terms t ON t.rowid = c.rowid"
            " WHERE c.doc_rowid = ?",
            (doc_rowid,),
        ).fetchall()
    meta = DocumentMeta(document_id=doc_id, publisher=publisher, year=year)
    return meta, doc_hash, [(c, "", body) for c, body in rows]


def measure_fts5(source: Path, qs: list[dict], work: Path, rank_first: bool) -> dict:
    from index.store.keyword import token
    from index.store.keyword_fts5 import Fts5KeywordIndex

    copy = work / "fts5-build.sqlite3"
    sqlite_copy(source, copy)
    with sqlite3.connect(copy) as db:
        rows = db.execute("SELECT rowid, body FROM terms").fetchall()
        db.execute("DELETE FROM terms")
        t0 = time.perf_counter()
        db.executemany("INSERT INTO terms(rowid, body) VALUES (?, ?)", rows)
    build = time.perf_counter() - t0
    del rows
    t0 = time.perf_counter()
    index = Fts5KeywordIndex(copy)
    index.count()
    opened = time.perf_counter() - t0

    def plain(budget: int) -> Search:
        return lambda terms: [
            c for c, _ in index.search([token(t) for t in terms], K, None, budget)
        ]

    def ranked_first(budget: int) -> Search:
        """FTS5's own top-k (``ORDER BY rank LIMIT`` in the FTS5 table), joined afterwards."""

        def search(terms: list[str]) -> list[str]:
            tokens = list(dict.fromkeys(token(t) for t in terms if t))
            if budget and len(tokens) > 1:
                tokens = index._within_budget(tokens, budget)
            match = " OR ".join(f'"{t}"' for t in tokens)
            sql = (
                "SELECT c.chunk_id FROM (SELECT rowid, rank FROM terms WHERE terms MATCH ?"
                " ORDER BY rank LIMIT ?) AS top JOIN chunks c ON c.rowid = top.rowid ORDER BY top.rank"
            )
            return [c for (c,) in index._db.execute(sql, (match, K))]

        return search

    counts = index.term_counts
    unbounded, reference = candidate(qs, plain(0), counts)
    results = {
        "fts5 (budget 20,000, as used)": candidate(qs, plain(BUDGET), counts, reference)[0],
        "fts5 unbounded": unbounded,
    }
    if rank_first:
        results["fts5 rank-first plan, budget"] = candidate(
            qs, ranked_first(BUDGET), counts, reference
        )[0]
        results["fts5 rank-first plan, unbounded"] = candidate(
            qs, ranked_first(0), counts, reference
        )[0]
    update = one_document(index, last_document(copy))
    for r in results.values():
        r.update(build_s=round(build, 1), open_s=round(opened, 3), update_one_document_s=update)
    return results


def measure_tantivy(source: Path, qs: list[dict], work: Path) -> dict:
    from index.store.keyword import KeywordIndex, token

    copy = work / "tantivy.sqlite3"
    sqlite_copy(source, copy)
    t0 = time.perf_counter()
    KeywordIndex(copy).close()  # the upgrade path: every FTS5 row indexed by tantivy
    build = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = KeywordIndex(copy)
    index.count()
    opened = time.perf_counter() - t0

    def search(budget: int) -> Search:
        return lambda terms: [
            c for c, _ in index.search([token(t) for t in terms], K, None, budget)
        ]

    unbounded, reference = candidate(qs, search(0), index.term_counts)
    results = {
        "tantivy unbounded (the store's)": unbounded,
        "tantivy, budget 20,000": candidate(qs, search(BUDGET), index.term_counts, reference)[0],
    }
    update = one_document(index, last_document(source))
    for r in results.values():
        r.update(build_s=round(build, 1), open_s=round(opened, 3), update_one_document_s=update)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stores", default=str(ROOT / ".assistant" / "bench-scale" / "store-100000")
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--no-rank-first", action="store_true", help="skip the FTS5 rank-first plan"
    )
    args = parser.parse_args()
    qs = golden()
    report = []
    for store in (Path(s) for s in args.stores.split(",")):
        work = Path(tempfile.mkdtemp(prefix="bench-keyword-", dir=store.parent))
        try:
            source = fts5_source(store, work)
            with sqlite3.connect(source) as db:
                chunks = db.execute("SELECT count(*) FROM chunks").fetchone()[0]
            results = {
                **measure_tantivy(source, qs, work),
                **measure_fts5(source, qs, work, not args.no_rank_first),
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)
        report.append({"store": str(store), "chunks": chunks, "candidates": results})
        for name, r in results.items():
            print(
                f"{chunks:>8} chunks  {name:<34} stage p50 {r['stage_p50_ms']:>7} ms p95"
                f" {r['stage_p95_ms']:>7} (top 40 alone {r['search_p50_ms']} ms); hit@5 {r['hit@5']}"
                f" hit@40 {r['hit@40']} overlap@40 {r.get('overlap@40', '-')}; build {r['build_s']} s,"
                f" open {r['open_s']} s, one document {r['update_one_document_s']} s,"
                f" +{r['rss_delta_mb']} MB",
                file=sys.stderr,
            )
    if args.json:
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
