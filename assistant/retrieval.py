"""Hybrid retrieval: dense (Chroma via llama-index) + BM25 (bm25s), fused by RRF, then reranked.

No cross-encoder ships its weights on PyPI, so the reranker combines signals we can compute
cheaply and that the evals show matter: dense similarity, BM25, and whether the question names
the document (title, publisher) or the section. Weights live in ``RetrievalSettings``.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.settings import Settings
from core.text import content_terms
from core.types import DocumentMeta, Filters, Passage
from index.store import Store


def _admits(filters: Filters, meta: dict[str, Any]) -> bool:
    if filters.documents and meta.get("document_id") not in filters.documents:
        return False
    if filters.publisher and filters.publisher.lower() not in str(meta.get("publisher", "")).lower():
        return False
    year = meta.get("year")
    if filters.year_from is not None and (year is None or year < filters.year_from):
        return False
    if filters.year_to is not None and (year is None or year > filters.year_to):
        return False
    return True


def passage_from(chunk_id: str, text: str, meta: dict[str, Any], score: float = 0.0) -> Passage:
    page = meta.get("page")
    return Passage(
        chunk_id=chunk_id,
        doc=DocumentMeta.from_dict(meta),
        text=text,
        section=str(meta.get("section", "")),
        page=int(page) if page is not None else None,
        score=score,
    )


class KeywordIndex:
    """BM25 over the live chunks (title and section included), built once per store revision."""

    def __init__(self, ids: list[str], texts: list[str], metas: list[dict[str, Any]]) -> None:
        import bm25s

        self.ids, self.texts, self.metas = ids, texts, metas
        self.position = {chunk_id: i for i, chunk_id in enumerate(ids)}
        corpus = [
            content_terms(f"{m.get('title', '')} {m.get('section', '')} {t}")
            for t, m in zip(texts, metas)
        ]
        self.bm25 = bm25s.BM25()
        self.bm25.index(_to_bm25_tokens(corpus), show_progress=False)
        self.title_terms = [set(content_terms(f"{m.get('title', '')} {m.get('publisher', '')}")) for m in metas]
        self.section_terms = [set(content_terms(str(m.get("section", "")))) for m in metas]
        self.all_hashes = sorted({m["doc_hash"] for m in metas})
        self.doc_frequency: dict[str, int] = defaultdict(int)
        for terms in corpus:
            for term in set(terms):
                self.doc_frequency[term] += 1

    def idf(self, term: str) -> float:
        n = len(self.ids)
        return math.log(1 + (n - self.doc_frequency.get(term, 0) + 0.5) / (self.doc_frequency.get(term, 0) + 0.5))

    def search(self, query_terms: list[str], k: int, allowed: np.ndarray | None) -> list[tuple[int, float]]:
        if not query_terms or not self.ids:
            return []
        known = [t for t in query_terms if t in self.bm25.vocab_dict]
        if not known:
            return []
        scores = self.bm25.get_scores(known, weight_mask=allowed)
        top = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]


def _to_bm25_tokens(corpus: list[list[str]]) -> Any:
    import bm25s

    vocab: dict[str, int] = {}
    ids = [[vocab.setdefault(t, len(vocab)) for t in doc] for doc in corpus]
    return bm25s.tokenization.Tokenized(ids=ids, vocab=vocab)


@dataclass(frozen=True)
class Retrieved:
    """Ranked passages plus the evidence signals that refusal is calibrated on."""

    passages: list[Passage]
    query_coverage: float  # best share of the question's (idf-weighted) terms in one passage
    top_dense: float
    timings_ms: dict[str, float]
    unknown_names: tuple[str, ...] = ()  # names and numbers in the question the index never mentions


_KEYWORD_CACHE: dict[tuple[str, str], tuple[Any, KeywordIndex]] = {}
_CACHE_LOCK = threading.Lock()


def keyword_index_for(store: Store) -> KeywordIndex:
    """The store's BM25 index, rebuilt only when an ingest changed the store."""
    key = (store.location, store.name)
    revision = store.info.get("revision", 0)
    with _CACHE_LOCK:
        cached = _KEYWORD_CACHE.get(key)
        if cached and cached[0] == revision:
            return cached[1]
        index = KeywordIndex(*store.live_chunks())
        _KEYWORD_CACHE[key] = (revision, index)
        return index


class HybridRetriever:
    def __init__(self, settings: Settings, store: Store, embedder: Any) -> None:
        from llama_index.vector_stores.chroma import ChromaVectorStore

        self.settings = settings.retrieval
        self.store = store
        self.embedder = embedder
        self.vector_store = ChromaVectorStore(chroma_collection=store.chunks)

    def retrieve(self, query: str, filters: Filters | None = None, top_n: int | None = None) -> Retrieved:
        cfg = self.settings
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        keywords = keyword_index_for(self.store)
        timings["keyword_index"] = _ms(t0)

        t0 = time.perf_counter()
        query_vector = np.asarray(self.embedder.get_query_embedding(query), dtype=np.float32)
        timings["embed_query"] = _ms(t0)

        allowed, hashes = None, keywords.all_hashes
        if filters and not filters.empty:
            allowed = np.array([_admits(filters, m) for m in keywords.metas], dtype=float)
            hashes = sorted({m["doc_hash"] for m, ok in zip(keywords.metas, allowed) if ok})
        if not hashes:
            return Retrieved([], 0.0, 0.0, timings)

        t0 = time.perf_counter()
        dense = self._dense(query_vector, hashes, cfg.dense_k)
        timings["dense"] = _ms(t0)

        t0 = time.perf_counter()
        terms = content_terms(query)
        sparse = keywords.search(terms, cfg.bm25_k, allowed)
        timings["bm25"] = _ms(t0)

        t0 = time.perf_counter()
        ranked = self._rerank(query_vector, terms, dense, sparse, keywords)
        passages = _diversify(ranked, top_n or cfg.top_n, cfg.max_per_document)
        coverage = _coverage(terms, passages[:3], keywords)
        timings["rerank"] = _ms(t0)
        top_dense = max((d for d in dense.values()), default=0.0)
        return Retrieved(passages, coverage, top_dense, timings, _unknown_names(query, keywords))

    def outlines(self, document_ids: list[str], limit: int = 3) -> list[Passage]:
        """The outline chunks (``index.outline``) of these documents, in their order."""
        keywords = keyword_index_for(self.store)
        found = []
        for document_id in document_ids:
            for i, meta in enumerate(keywords.metas):
                section = str(meta.get("section", ""))
                if meta.get("document_id") == document_id and " > Outline: " in section:
                    found.append(passage_from(keywords.ids[i], keywords.texts[i], meta))
        return found[:limit]

    def section_headings(self) -> list[str]:
        """Distinct section paths of the live chunks (refusal calibration makes probes of them)."""
        metas = keyword_index_for(self.store).metas
        return sorted({str(m.get("section")) for m in metas if m.get("section")})

    def revision(self) -> tuple:
        """Changes whenever the indexed content changes (refusal calibrations are cached by it)."""
        return (self.store.location, self.store.name, self.store.info.get("revision", 0))

    def _dense(self, vector: np.ndarray, hashes: list[str], k: int) -> dict[str, float]:
        from llama_index.core.vector_stores.types import (
            FilterOperator,
            MetadataFilter,
            MetadataFilters,
            VectorStoreQuery,
        )

        result = self.vector_store.query(
            VectorStoreQuery(
                query_embedding=vector.tolist(),
                similarity_top_k=k,
                filters=MetadataFilters(
                    filters=[MetadataFilter(key="doc_hash", value=hashes, operator=FilterOperator.IN)]
                ),
            )
        )
        # ChromaVectorStore reports exp(-cosine distance); turn it back into cosine similarity.
        return {
            node_id: 1.0 + math.log(max(sim, 1e-12))
            for node_id, sim in zip(result.ids or [], result.similarities or [])
        }

    def _rerank(
        self,
        vector: np.ndarray,
        terms: list[str],
        dense: dict[str, float],
        sparse: list[tuple[int, float]],
        keywords: KeywordIndex,
    ) -> list[Passage]:
        cfg = self.settings
        fused: dict[str, float] = defaultdict(float)
        for rank, chunk_id in enumerate(sorted(dense, key=dense.get, reverse=True)):
            fused[chunk_id] += cfg.dense_weight / (cfg.rrf_k + rank + 1)
        for rank, (i, _) in enumerate(sparse):
            fused[keywords.ids[i]] += cfg.bm25_weight / (cfg.rrf_k + rank + 1)
        candidates = [c for c in sorted(fused, key=fused.get, reverse=True) if c in keywords.position]
        candidates = candidates[: cfg.rerank_candidates]
        missing = [c for c in candidates if c not in dense]
        if missing:
            got = self.store.chunks.get(ids=missing, include=["embeddings"])
            for chunk_id, emb in zip(got["ids"], got["embeddings"]):
                dense[chunk_id] = float(np.dot(vector, np.asarray(emb, dtype=np.float32)))
        bm25_scores = {keywords.ids[i]: s for i, s in sparse}
        top_bm25 = max(bm25_scores.values(), default=1.0) or 1.0
        weights = {t: keywords.idf(t) for t in set(terms)}
        total = sum(weights.values()) or 1.0

        scored = []
        for chunk_id in candidates:
            i = keywords.position[chunk_id]
            title_match = sum(w for t, w in weights.items() if t in keywords.title_terms[i]) / total
            section_match = sum(w for t, w in weights.items() if t in keywords.section_terms[i]) / total
            score = (
                cfg.rerank_dense * dense.get(chunk_id, 0.0)
                + cfg.rerank_bm25 * bm25_scores.get(chunk_id, 0.0) / top_bm25
                + cfg.rerank_title * title_match
                + cfg.rerank_section * section_match
            )
            scored.append(passage_from(chunk_id, keywords.texts[i], keywords.metas[i], round(score, 4)))
        scored.sort(key=lambda p: p.score, reverse=True)
        return scored


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


def _coverage(terms: list[str], passages: list[Passage], keywords: KeywordIndex) -> float:
    """The best share of the question's idf-weighted terms that one passage contains."""
    if not terms:
        return 0.0
    weights = {t: keywords.idf(t) for t in set(terms)}
    total = sum(weights.values()) or 1.0
    best = 0.0
    for p in passages:
        present = set(content_terms(f"{p.doc.title} {p.doc.publisher} {p.section} {p.text}"))
        best = max(best, sum(w for t, w in weights.items() if t in present) / total)
    return best


NAME_OR_NUMBER = re.compile(
    r"(?<!^)(?<![.?!]\s)(?<![\w-])([A-Z][A-Za-z]*(?:-[A-Za-z]+)*|[a-z]+[A-Z][A-Za-z]*|\d{2,}[\d,.]*)(?![\w-])"
)


def _unknown_names(query: str, keywords: KeywordIndex) -> tuple[str, ...]:
    """Proper names and numbers in the question that appear nowhere in the index.

    If an officer asks about "Anytown" or "2031" and no document mentions it, the documents
    cannot answer, however close the rest of the question is to some passage.
    """
    unknown = []
    for name in NAME_OR_NUMBER.findall(query.strip()):
        stems = content_terms(name)
        if stems and not any(s in keywords.bm25.vocab_dict for s in stems):
            unknown.append(name)
    return tuple(dict.fromkeys(unknown))


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
