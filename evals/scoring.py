"""Score one question: our ``Answer`` (and each baseline's retrieved nodes) into a result row.

A row carries everything needed to tune from it without re-running: the retrieved passages with
their scores and whether each is relevant, the evidence score the refusal decision used, the
answer and its citations with an independent support verdict, and the reasons it failed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from core.embedder import Embedder
from core.text import CITATION, content_terms, split_sentences, strip_citations
from core.types import Answer, Citation
from evals.aggregate import KS
from evals.dataset import EvalItem
from evals.metrics import (
    citation_scores,
    cosine,
    document_labels,
    forbidden_found,
    key_facts_found,
    passage_labels,
    ranking,
    words,
)
from index.debris import debris_in

# A citation group closing a sentence ("... [1][2]." then text that does not carry on in
# lower case): the claim ends there. "X [1] and Y [2]." stays one claim, as the checker reads it.
MARKER_END = re.compile(r"((?:\[\d{1,3}\])+[.!?:;]?)\s+(?=[^a-z])")


def retrieval_block(item: EvalItem, doc_ids: Sequence[str], texts: Sequence[str]) -> dict[str, Any]:
    block: dict[str, Any] = {"document": None, "passage": None}
    if item.expected_documents:
        documents = document_labels(doc_ids, item.expected_documents)
        block["document"] = ranking(documents, len(item.expected_documents), KS)
    if item.reference_contexts:
        passages = passage_labels(texts, item.reference_contexts)
        block["passage"] = ranking(passages, len(item.reference_contexts), KS)
    return block


def answer_sentences(text: str) -> list[tuple[str, list[int]]]:
    """(claim without markers, cited numbers) for each sentence that says something.

    Read as a user reads it: a citation group that ends a sentence ends the claim, even when
    the next one starts with a list dash or a lower-case word the sentence splitter keeps on.
    """
    result = []
    for sentence in split_sentences(text):
        for piece in MARKER_END.sub("\\1\x00", sentence).split("\x00"):
            claim = strip_citations(piece)
            if content_terms(claim):
                result.append((claim, [int(n) for n in dict.fromkeys(CITATION.findall(piece))]))
    return result


class MemoEmbedder:
    """The project embedder, remembering every text it embedded during the run: the support
    checks, answer similarities and baselines embed the same passages and references again
    and again. Questions pass straight through to the embedder."""

    def __init__(self, embedder: Embedder, limit: int = 200_000) -> None:
        self.embedder = embedder
        self.limit = limit
        self.vectors: dict[str, list[float]] = {}

    def get_text_embedding_batch(self, texts: list[str], **_: Any) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            if len(self.vectors) + len(missing) > self.limit:
                self.vectors.clear()
            self.vectors.update(zip(missing, self.embedder.get_text_embedding_batch(missing)))
        return [self.vectors[t] for t in texts]

    def get_query_embedding(self, query: str) -> list[float]:
        return self.embedder.get_query_embedding(query)


def similarity(embedder: Embedder, text: str, reference: str) -> float | None:
    if not reference.strip() or not text.strip():
        return None
    a, b = embedder.get_text_embedding_batch([strip_citations(text), reference])
    return round(cosine(a, b), 4)


def score_answer(
    item: EvalItem,
    answer: Answer | None,
    error: str | None,
    evidence: dict[str, float] | None,
    checker: Any,
    embedder: Embedder,
) -> dict[str, Any]:
    """The row for our assistant. ``answer`` is None when it rejected the question (``error``)."""
    row: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "question": item.question,
        "history": [asdict(t) for t in item.history],
        "expected_documents": list(item.expected_documents),
        "expected_section": item.expected_section,
        "must_refuse": item.must_refuse,
        "notes": item.notes,
        "error": error,
        "evidence": evidence,
        "baselines": {},
        "judge": None,
    }
    if answer is None:
        row.update(
            standalone_question="",
            refused=True,
            refusal_reason=error,
            answer="",
            citations=[],
            retrieved=[],
            timings_ms={},
            warnings=[],
            removed_sentences=0,
            retrieval={"document": None, "passage": None, "section_hit": None},
            answer_similarity=None,
        )
    else:
        sources = answer.sources
        retrieval = retrieval_block(
            item, [s.doc.document_id for s in sources], [s.text for s in sources]
        )
        passage_match = (
            passage_labels([s.text for s in sources], item.reference_contexts)
            if item.reference_contexts
            else [None] * len(sources)
        )
        retrieval["section_hit"] = section_hit(item, sources) if item.expected_section else None
        row.update(
            standalone_question=answer.standalone_question,
            refused=answer.refused,
            refusal_reason=answer.refusal_reason,
            answer=answer.answer,
            retrieved=[
                {
                    "rank": s.n,
                    "document_id": s.doc.document_id,
                    "section": s.section,
                    "page": s.page,
                    "chunk_id": s.chunk_id,
                    "score": s.score,
                    "expected_document": s.doc.document_id in item.expected_documents,
                    "reference_match": match,
                    "text": s.text,
                }
                for s, match in zip(sources, passage_match)
            ],
            timings_ms=dict(answer.timings_ms),
            warnings=list(answer.warnings),
            removed_sentences=answer.removed_sentences,
            retrieval=retrieval,
            answer_similarity=similarity(embedder, answer.answer, item.reference_answer),
        )
    text = row["answer"] if not row["refused"] else ""
    found = key_facts_found(text, item.key_facts)
    row["key_facts"] = {
        "found": [f for f, ok in zip(item.key_facts, found) if ok],
        "missing": [f for f, ok in zip(item.key_facts, found) if not ok],
        "recall": sum(found) / len(found) if found else None,
    }
    row["forbidden_found"] = forbidden_found(row["answer"], item.must_not_contain)
    row["debris"] = debris_block(answer)
    row["citation"], row["citations"] = _citations(answer, checker)
    row["failures"] = failures(row, item)
    row["passed"] = not row["failures"]
    return row


def debris_block(answer: Answer | None) -> dict[str, Any]:
    """Markup and layout debris left in the answer and in the passages a user can open."""
    if answer is None:
        return {"answer": [], "passages": {}}
    passages = {s.chunk_id: kinds for s in answer.sources if (kinds := debris_in(s.text))}
    return {"answer": [] if answer.refused else debris_in(answer.answer), "passages": passages}


def section_hit(item: EvalItem, sources: Sequence[Citation]) -> bool:
    wanted = item.expected_section.lower()
    return any(
        wanted in s.section.lower()
        and (not item.expected_documents or s.doc.document_id in item.expected_documents)
        for s in sources[:5]
    )


def _citations(answer: Answer | None, checker: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    empty = {"pairs": 0, "supported": 0, "sentences": 0, "cited_sentences": 0, "unsupported": []}
    if answer is None or answer.refused:
        return empty, []
    by_number = {c.n: c.as_passage() for c in answer.citations}
    scores = citation_scores(answer_sentences(answer.answer), by_number, checker.supports)
    bad = {u["n"] for u in scores["unsupported"]}
    cited = [
        {
            "n": c.n,
            "document_id": c.doc.document_id,
            "section": c.section,
            "page": c.page,
            "chunk_id": c.chunk_id,
            "supported": c.n not in bad,
        }
        for c in answer.citations
    ]
    return scores, cited


def failures(row: dict[str, Any], item: EvalItem) -> list[str]:
    """Why the row failed, in words a person can act on."""
    reasons = []
    if row["error"] and row["error"].startswith("backend error"):
        reasons.append(row["error"])
    if item.must_refuse and not row["refused"]:
        reasons.append("answered a question it should refuse")
    if not item.must_refuse and row["refused"]:
        reasons.append(f"refused: {row['refusal_reason']}")
    document = row["retrieval"]["document"]
    if document is not None and not document["hit@5"]:
        got = list(dict.fromkeys(r["document_id"] for r in row["retrieved"][:5]))
        reasons.append(f"no expected document in the top 5 (got {', '.join(got) or 'nothing'})")
    passage = row["retrieval"]["passage"]
    if passage is not None and not passage["hit@5"]:
        reasons.append("no reference context in the top 5 passages")
    if row["retrieval"]["section_hit"] is False:
        reasons.append(f"expected section '{item.expected_section}' not in the top 5")
    if not row["refused"] and row["key_facts"]["missing"]:
        reasons.append("missing key facts: " + "; ".join(row["key_facts"]["missing"]))
    if row["debris"]["answer"]:
        reasons.append("debris in the answer: " + ", ".join(row["debris"]["answer"]))
    if row["forbidden_found"]:
        reasons.append("contains forbidden text: " + "; ".join(row["forbidden_found"]))
    for bad in row["citation"]["unsupported"]:
        reasons.append(f"citation [{bad['n']}] does not support: {bad['sentence'][:160]}")
    if not row["refused"] and row["citation"]["sentences"] and not row["citation"]["pairs"]:
        reasons.append("answer has no citations")
    return reasons


def score_baseline(item: EvalItem, hits: Sequence[Any], ms: float, embedder: Any) -> dict[str, Any]:
    """A baseline's block in the row; its 'answer' is its top retrieved text (labelled so)."""
    retrieval = retrieval_block(item, [h.document_id for h in hits], [h.text for h in hits])
    matches = (
        passage_labels([h.text for h in hits], item.reference_contexts)
        if item.reference_contexts
        else [None] * len(hits)
    )
    top = hits[0].text if hits else ""
    found = key_facts_found(top, item.key_facts) if not item.must_refuse else []
    return {
        "retrieved": [
            {
                "rank": i + 1,
                "document_id": h.document_id,
                "score": round(h.score, 4),
                "expected_document": h.document_id in item.expected_documents,
                "reference_match": m,
                "words": len(words(h.text)),
            }
            for i, (h, m) in enumerate(zip(hits, matches))
        ],
        "retrieval": retrieval,
        "top_text_key_fact_recall": sum(found) / len(found) if found else None,
        "top_text_answer_similarity": similarity(embedder, top, item.reference_answer),
        "latency_ms": ms,
    }
