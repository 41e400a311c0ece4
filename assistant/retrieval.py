"""Hybrid retrieval: dense + BM25 from the store, fused by RRF, then reranked.

No cross-encoder ships its weights on PyPI, so the reranker combines signals we can compute
cheaply and that the evals show matter: dense similarity, BM25, and whether the question names
the document (title, publisher) or the section. Weights live in ``RetrievalSettings``.

Everything that touches the index goes through the ``DocumentReader`` protocol, so this module
runs the same over Chroma and over the in-memory fake, and its per-question cost does not grow
with the number of documents: filters and access groups are applied inside the store's
queries, and only the ~30 candidates are fetched.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from core.embedder import Embedder
from core.settings import Settings
from core.text import content_terms
from core.types import EVERYONE, Access, Filters, Passage
from index.store import DocumentReader, DocumentRecord, Scope, StoredChunk
from index.store.base import chunk_id_for


@dataclass(frozen=True)
class Retrieved:
    """Ranked passages plus the evidence signals that refusal is calibrated on."""

    passages: list[Passage]
    query_coverage: float  # best share of the question's (idf-weighted) terms in one passage
    top_dense: float
    timings_ms: dict[str, float]
    unknown_names: tuple[
        str, ...
    ] = ()  # names and numbers in the question the index never mentions
    # Why nothing could be found, when the filters rule out every document the caller may see.
    out_of_scope: str | None = None
    # Keyword search was not ready (a new app machine building its index): dense search alone.
    keyword_warming: bool = False


class HybridRetriever:
    def __init__(self, settings: Settings, store: DocumentReader, embedder: Embedder) -> None:
        self.settings = settings.retrieval
        self.store = store
        self.embedder = embedder

    def retrieve(
        self,
        query: str,
        filters: Filters | None = None,
        top_n: int | None = None,
        access: Access = EVERYONE,
    ) -> Retrieved:
        cfg = self.settings
        scope = Scope(filters or Filters(), access)
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        records = self.store.documents()  # first: later calls see this revision
        timings["manifest"] = _ms(t0)

        t0 = time.perf_counter()
        vector = np.asarray(self.embedder.get_query_embedding(query), dtype=np.float32)
        timings["embed_query"] = _ms(t0)

        t0 = time.perf_counter()
        dense = dict(self.store.dense_search(vector.tolist(), cfg.dense_k, scope))
        timings["dense"] = _ms(t0)

        t0 = time.perf_counter()
        terms = content_terms(query)
        # Term weights from what this caller may see, never from documents they cannot: a name
        # found only in a restricted document must weigh (and score) as an invented one would.
        # While a new machine warms its keyword index, retrieval is dense only.
        warming = not self.store.keyword_status().ready
        access_only = Scope(access=access)
        sparse: list[tuple[str, float]] = []
        counts: dict[str, int] = {}
        total = 0
        if not warming:
            counts, total = self.store.term_counts(
                terms, None if access_only.everything else access_only
            )
            # A term the caller's documents never hold matches nothing they may see: leaving it
            # out changes no score, and keeps it from spending the keyword search's budget.
            searched = terms if access_only.everything else [t for t in terms if counts.get(t)]
            sparse = self.store.keyword_search(searched, cfg.bm25_k, scope)
        timings["bm25"] = _ms(t0)

        if not dense and not sparse:
            return Retrieved(
                [],
                0.0,
                0.0,
                timings,
                out_of_scope=self._out_of_scope(scope),
                keyword_warming=warming,
            )

        t0 = time.perf_counter()
        candidates = _fuse(dense, sparse, cfg.rrf_k, cfg.dense_weight, cfg.bm25_weight)
        candidates = candidates[: cfg.rerank_candidates]
        fetched = self.store.fetch(candidates, vectors=any(c not in dense for c in candidates))
        timings["fetch"] = _ms(t0)

        t0 = time.perf_counter()
        weights = {t: _idf(counts.get(t, 0), total) for t in set(terms)}
        ranked = self._rerank(vector, weights, dense, dict(sparse), fetched, records)
        passages = _diversify(ranked, top_n or cfg.top_n, cfg.max_per_document)
        coverage = _coverage(weights, passages[:3])
        timings["rerank"] = _ms(t0)
        top_dense = max(dense.values(), default=0.0)
        unknown = () if warming else self._unknown_names(query, scope)  # needs the term counts
        return Retrieved(passages, coverage, top_dense, timings, unknown, keyword_warming=warming)

    def outlines(self, document_ids: list[str], limit: int = 3) -> list[Passage]:
        """The outline chunks (``index.outline``) of these documents, in their order: the ones
        each document's record names, so only those are fetched."""
        records = self.store.documents()
        wanted = [
            c for d in document_ids if (record := records.get(d)) for c in record.outline_chunks
        ]
        order = {d: i for i, d in enumerate(document_ids)}
        found = []
        for chunk in self.store.fetch(wanted):
            record = records.get(chunk.document_id)
            if record and record.doc_hash == chunk.doc_hash and chunk.kind == "outline":
                found.append(
                    Passage(chunk.chunk_id, record.meta, chunk.text, chunk.section, chunk.page)
                )
        found.sort(key=lambda p: (order[p.doc.document_id], p.chunk_id))
        return found[:limit]

    def section_headings(self, per_document: int = 4, documents: int = 64) -> list[str]:
        """Section paths of text chunks from across the collection (refusal calibration makes
        probes of them): a few chunks spread through each of a fixed sample of documents, so the
        cost is the same for 12 documents or 10,000. Outline chunks are left out: their section
        names a list of headings, not a topic."""
        records = self.store.documents().values()
        sample = sorted(records, key=lambda r: hashlib.sha256(r.document_id.encode()).hexdigest())[
            :documents
        ]
        ids = set()
        for record in sample:
            n = record.chunks
            ids |= {
                chunk_id_for(record.document_id, record.doc_hash, n * k // per_document)
                for k in range(per_document)
                if n
            }
        return sorted(
            {c.section for c in self.store.fetch(sorted(ids)) if c.section and c.kind == "text"}
        )

    def revision(self) -> tuple:
        """Changes whenever the indexed content changes (refusal calibrations are cached by it)."""
        return (self.store.location, self.store.collection, self.store.info().revision)

    def _rerank(
        self,
        vector: np.ndarray,
        weights: dict[str, float],
        dense: dict[str, float],
        sparse: dict[str, float],
        fetched: list[StoredChunk],
        records: dict[str, DocumentRecord],
    ) -> list[Passage]:
        cfg = self.settings
        top_bm25 = max(sparse.values(), default=1.0) or 1.0
        total = sum(weights.values()) or 1.0
        scored = []
        for chunk in fetched:
            record = records.get(chunk.document_id)
            if record is None or record.doc_hash != chunk.doc_hash:
                continue  # not (or no longer) committed
            similarity = dense.get(chunk.chunk_id)
            if similarity is None and chunk.vector is not None:
                similarity = float(np.dot(vector, np.asarray(chunk.vector, dtype=np.float32)))
            meta = record.meta
            title_terms = set(content_terms(f"{meta.title} {meta.publisher}"))
            section_terms = set(content_terms(chunk.section))
            title_match = sum(w for t, w in weights.items() if t in title_terms) / total
            section_match = sum(w for t, w in weights.items() if t in section_terms) / total
            score = (
                cfg.rerank_dense * (similarity or 0.0)
                + cfg.rerank_bm25 * sparse.get(chunk.chunk_id, 0.0) / top_bm25
                + cfg.rerank_title * title_match
                + cfg.rerank_section * section_match
            )
            scored.append(
                Passage(
                    chunk.chunk_id, meta, chunk.text, chunk.section, chunk.page, round(score, 4)
                )
            )
        scored.sort(key=lambda p: p.score, reverse=True)
        return scored

    def _out_of_scope(self, scope: Scope) -> str | None:
        if scope.filters.empty or self.store.count(scope):
            return None
        return f"no indexed document matches {scope.filters.describe()}"

    def _unknown_names(self, query: str, scope: Scope) -> tuple[str, ...]:
        """Proper names and numbers in the question that appear nowhere the caller may look.

        If an officer asks about "Anytown" or "2031" and no document mentions it, the documents
        cannot answer, however close the rest of the question is to some passage. Counted within
        the caller's access scope, so the answer never hints at a restricted document.
        """
        names = {name: _name_forms(name) for name in NAME_OR_NUMBER.findall(query.strip())}
        stems = sorted({s for forms in names.values() for form in forms for s in form})
        if not stems:
            return ()
        access_only = Scope(access=scope.access)
        counts, _ = self.store.term_counts(
            stems, access_only if not access_only.everything else None
        )
        unknown = [
            name
            for name, forms in names.items()
            if forms and not any(all(counts.get(s) for s in form) for form in forms)
        ]
        return tuple(dict.fromkeys(unknown))


NAME_OR_NUMBER = re.compile(
    r"(?<!^)(?<![.?!]\s)(?<![\w-])([A-Z][A-Za-z]*(?:-[A-Za-z]+)*|[a-z]+[A-Z][A-Za-z]*|\d{2,}[\d,.]*)(?![\w-])"
)


def _name_forms(name: str) -> list[tuple[str, ...]]:
    """The ways a name can be present in the index: any one of its stems, or a hyphenated
    compound as all of its parts ("AI-written" is known where "AI" and "written" are)."""
    stems = content_terms(name)
    forms: list[tuple[str, ...]] = [(stem,) for stem in stems]
    forms += [tuple(content_terms(s.replace("-", " "))) for s in stems if "-" in s]
    return [form for form in forms if form]


def _fuse(
    dense: dict[str, float],
    sparse: list[tuple[str, float]],
    rrf_k: int,
    w_dense: float,
    w_bm25: float,
) -> list[str]:
    """Reciprocal-rank fusion of the two rankings; chunk ids best first."""
    fused: dict[str, float] = defaultdict(float)
    for rank, chunk_id in enumerate(sorted(dense, key=dense.__getitem__, reverse=True)):
        fused[chunk_id] += w_dense / (rrf_k + rank + 1)
    for rank, (chunk_id, _) in enumerate(sparse):
        fused[chunk_id] += w_bm25 / (rrf_k + rank + 1)
    return sorted(fused, key=fused.__getitem__, reverse=True)


def _idf(frequency: int, total: int) -> float:
    return math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))


def _diversify(ranked: list[Passage], top_n: int, per_document: int) -> list[Passage]:
    """Keep at most ``per_document`` passages from one document so others get a say."""
    chosen: list[Passage] = []
    counts: dict[str, int] = defaultdict(int)
    for passage in ranked:
        if counts[passage.doc.document_id] < per_document:
            chosen.append(passage)
            counts[passage.doc.document_id] += 1
        if len(chosen) == top_n:
            break
    return chosen


def _coverage(weights: dict[str, float], passages: list[Passage]) -> float:
    """The best share of the question's idf-weighted terms that one passage contains."""
    if not weights:
        return 0.0
    total = sum(weights.values()) or 1.0
    best = 0.0
    for p in passages:
        present = set(content_terms(f"{p.doc.title} {p.doc.publisher} {p.section} {p.text}"))
        best = max(best, sum(w for t, w in weights.items() if t in present) / total)
    return best


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
