"""The assistant: question -> standalone query -> hybrid retrieval -> draft -> checked answer.

``Assistant`` is the one entry point the CLI, the web app, the HTTP API and the evals share,
so all of them show and score the same ``Answer``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import time
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from assistant.answer_type import missing_fact
from assistant.answerability import judge, not_stated_reason, not_stated_text
from assistant.backends import AnswerBackend, Draft, make_backend, streamed_draft
from assistant.citations import CheckedAnswer, CitationChecker
from assistant.contacts import mask_passages
from assistant.followup import standalone_question
from assistant.question import shape_of
from assistant.refusal import CALIBRATIONS, Calibration, calibrate, missing_constraints
from assistant.retrieval import HybridRetriever, Retrieved
from assistant.streaming import ShownAnswer
from core.embedder import Embedder
from core.errors import QuestionError, StoreError
from core.settings import AnswerSettings, Settings
from core.types import (
    CLOSEST_LIMIT,
    EVERYONE,
    Access,
    Answer,
    Citation,
    Filters,
    Passage,
    Turn,
)
from index.store import DocumentStore

KEYWORD_WARMING = (
    "Keyword search is still being prepared: this answer comes from meaning-based search alone."
)

__all__ = ["Assistant", "Filters"]

MAX_QUESTION_CHARS = AnswerSettings.model_fields["max_question_chars"].default
NO_ANSWER_TEXT = "The documents don't answer this."
CLOSEST_DOCUMENTS = " The closest documents are: "


def clean_question(question: str, max_chars: int = MAX_QUESTION_CHARS) -> str:
    """Strip control characters; reject empty and oversized questions with a clear message."""
    if not isinstance(question, str):
        raise QuestionError("the question must be text")
    if len(question) > max_chars * 50:
        raise QuestionError(
            f"the question is {len(question):,} characters; ask in at most {max_chars:,}"
        )
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in question)
    text = " ".join(text.split())
    if not text:
        raise QuestionError("the question is empty; type a question about the documents")
    if len(text) > max_chars:
        raise QuestionError(
            f"the question is {len(text):,} characters; ask in at most {max_chars:,}"
        )
    return text


class Assistant:
    def __init__(
        self,
        settings: Settings,
        backend: AnswerBackend | None = None,
        embedder: Embedder | None = None,
        store: DocumentStore | None = None,
    ) -> None:
        self.settings = settings
        self._embedder = embedder
        self._backend = backend
        self._store = store
        self._retriever: HybridRetriever | None = None

    # Built on first use so that constructing an Assistant is free.
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            from index.embedding import load_embedder

            self._embedder = load_embedder(self.settings.embed_model)
        return self._embedder

    @property
    def backend(self) -> AnswerBackend:
        if self._backend is None:
            self._backend = make_backend(self.settings, embedder=self.embedder)
        return self._backend

    @property
    def store(self) -> DocumentStore:
        """Opened on first use; a store that does not exist is a ``StoreError`` naming the
        ingest command (only ``ingest`` creates one)."""
        if self._store is None:
            from index.store import open_store

            self._store = open_store(self.settings)
        return self._store

    @property
    def retriever(self) -> HybridRetriever:
        if self._retriever is None:
            self._retriever = HybridRetriever(self.settings, self.store, self.embedder)
        return self._retriever

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        top_n: int | None = None,
        access: Access = EVERYONE,
    ) -> Retrieved:
        question = clean_question(question, self.settings.answer.max_question_chars)
        return self.retriever.retrieve(question, filters, top_n, access)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        access: Access = EVERYONE,
    ) -> Answer:
        answer: Answer | None = None
        for event in self.stream(question, history, filters, access):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self,
        question: str,
        history: Sequence[Turn] = (),
        filters: Filters | None = None,
        access: Access = EVERYONE,
    ) -> Iterator[str | Answer]:
        """Yield checked sentences as the backend produces them, then the final ``Answer``.

        The pieces join to exactly the final answer's text (``assistant.streaming``); a
        sentence is shown only once the answer so far passes the refusal checks, so an answer
        that ends in a refusal shows nothing before it.
        """
        started = time.perf_counter()
        timings: dict[str, float] = {}
        question = clean_question(question, self.settings.answer.max_question_chars)
        t0 = time.perf_counter()
        standalone = self.backend.rewrite_followup(question, history) if history else None
        standalone = standalone or standalone_question(question, history)
        timings["condense"] = _ms(t0)

        t0 = time.perf_counter()
        retrieved = self.retriever.retrieve(standalone, filters, access=access)
        timings["retrieve"] = _ms(t0)
        timings.update({f"retrieve.{k}": v for k, v in retrieved.timings_ms.items()})
        passages = self._with_outlines(standalone, retrieved.passages)
        passages = mask_passages(passages, self.settings.ingest.poison)  # assistant/contacts.py
        # While keyword search warms up, the evidence is dense-only: the calibration (made
        # with both, and saved for the revision) is neither used nor made from it.
        calibration = None if retrieved.keyword_warming else self.calibration()
        threshold = calibration.threshold if calibration else self.settings.answer.refusal.threshold
        dense_floor = calibration.dense_floor if calibration else 0.0
        evidence = {
            "score": evidence_score(retrieved, self.settings.answer),
            "threshold": threshold,
            "dense_floor": dense_floor,
            "query_coverage": round(retrieved.query_coverage, 4),
            "top_dense": round(retrieved.top_dense, 4),
            "unknown_names": list(retrieved.unknown_names),
        }

        def finish(**fields: Any) -> Answer:
            timings["total"] = _ms(started)
            if retrieved.keyword_warming:
                notice = self.store.keyword_status().notice or KEYWORD_WARMING
                fields["warnings"] = (notice, *fields.get("warnings", ()))
            return Answer(
                keyword_warming=retrieved.keyword_warming,
                question=question,
                standalone_question=standalone,
                question_rewritten=_rewritten(question, standalone),
                sources=tuple(Citation.from_passage(i + 1, p) for i, p in enumerate(passages)),
                timings_ms=timings,
                backend=self.backend.name,
                evidence=evidence,
                **fields,
            )

        refusal = self._weak_evidence(retrieved, threshold, dense_floor)
        checked = None
        lead: str | None = None  # a refusal's own opening: what the documents cover, not state
        if refusal is None:
            t0 = time.perf_counter()
            checker = CitationChecker(self.embedder, self.settings.answer.citations)
            session = checker.session(passages)
            # The answerability judgement is made on the whole answer: while it is on, nothing is
            # shown before it (a shown sentence is never taken back).
            judged_at_end = self.settings.answer.refusal.answerability
            shown = ShownAnswer(
                lambda: (
                    not judged_at_end
                    and self._unanswered(question, streamed_draft(session.draft), session.result())
                    is None
                )
            )
            for piece in self.backend.stream(standalone, passages, history):
                yield from shown.offer(session.feed(piece))
            last = session.feed(None)
            checked = session.result()
            refusal = self._unanswered(question, streamed_draft(session.draft), checked)
            timings["draft_and_check"] = _ms(t0)
            if refusal is None:  # cited and on topic: does it state what was asked?
                t1 = time.perf_counter()
                judgement = judge(
                    standalone, checked.text, checked.citations, self.settings.answer.refusal
                )
                evidence["answerability"] = judgement.answerability
                if (
                    judgement.kind_stated is not None
                ):  # the kind of fact asked for, in the cited text
                    evidence["kind_stated"] = float(judgement.kind_stated)
                refusal = not_stated_reason(judgement, self.settings.answer.refusal)
                lead = not_stated_text(judgement, checked.citations) if refusal else None
                timings["answerability"] = _ms(t1)
            yield from shown.finish(last, refusal is None)
        if refusal is not None:
            removed = checked.removed_sentences if checked else 0
            yield finish(**self._refusal(refusal, passages, lead), removed_sentences=removed)
            return
        assert checked is not None  # no refusal: the draft was made and checked above
        yield finish(
            answer=checked.text,
            refused=False,
            refusal_reason=None,
            citations=checked.citations,
            removed_sentences=checked.removed_sentences,
            warnings=currency_warnings(checked.citations, self.settings.answer.stale_after_years),
        )

    def _unanswered(self, question: str, draft: Draft, checked: CheckedAnswer) -> str | None:
        """Why a drafted answer does not answer after all, or None."""
        if draft.declined:
            return "the passages found do not answer the question"
        if not checked.kept_sentences:
            return "no sentence of the draft answer was supported by the passages it cited"
        missing = missing_fact(question, checked.text)
        if missing:
            return f"the passages found are on the topic but do not state {missing}"
        if self.settings.answer.refusal.check_constraints:
            absent = missing_constraints(question, checked.text, checked.citations)
            if absent:
                names = ", ".join(f"'{n}'" for n in absent)
                return f"the passages found are on the topic but do not mention {names}"
        return None

    def _weak_evidence(
        self, retrieved: Retrieved, threshold: float, dense_floor: float
    ) -> str | None:
        if not retrieved.passages:
            return retrieved.out_of_scope or "nothing in the index matched the question"
        if retrieved.unknown_names:
            names = ", ".join(f"'{n}'" for n in retrieved.unknown_names)
            return f"the documents never mention {names}"
        score = evidence_score(retrieved, self.settings.answer)
        # Officers read these: what was looked for and not found, no scores (they are in evidence).
        if score < threshold:
            return (
                "the documents found share too few of the question's words and meaning to answer it"
            )
        if retrieved.top_dense < dense_floor:
            return "no passage found is closer to the question than unrelated questions come"
        return None

    def _with_outlines(self, question: str, passages: list[Passage]) -> list[Passage]:
        """A question about structure ("how many points", "principle 7") gets the outline
        chunks of the documents retrieval put first, ahead of the other passages."""
        if not passages or not shape_of(question).structural:
            return passages
        documents = list(dict.fromkeys(p.doc.document_id for p in passages))[:2]
        have = {p.chunk_id for p in passages}
        outlines = [p for p in self.retriever.outlines(documents) if p.chunk_id not in have]
        if not outlines:
            return passages
        return (outlines + passages)[: max(len(passages), len(outlines))]

    def calibration(self) -> Calibration | None:
        """This collection's evidence levels (computed once per store revision), or None."""
        cfg = self.settings.answer.refusal
        if not cfg.calibrate:
            return None
        retriever = self.retriever

        def score_of(question: str) -> tuple[float, float]:
            retrieved = retriever.retrieve(question)
            return evidence_score(retrieved, self.settings.answer), retrieved.top_dense

        settings_key, note = self._calibration_key

        def saved_or_computed() -> Calibration:
            """Saved beside the store, so a restart does not re-probe (32 retrievals)."""
            saved = self.store.load_note(note)
            if saved is not None:
                with contextlib.suppress(ValueError, TypeError):
                    return Calibration(**json.loads(saved))
            calibration = calibrate(score_of, retriever.section_headings(), cfg)
            with contextlib.suppress(StoreError):  # a read-only keyword folder: just recompute
                self.store.save_note(note, json.dumps(dataclasses.asdict(calibration)))
            return calibration

        return CALIBRATIONS.get((*retriever.revision(), settings_key), saved_or_computed)

    @functools.cached_property
    def _calibration_key(self) -> tuple[str, str]:
        """What a calibration depends on besides the store's revision, and the name it is saved
        under: worked out once, not per question."""
        key = f"{self.settings.embed_model} {self.settings.answer.refusal.model_dump_json()}"
        return key, "calibration:" + hashlib.sha256(key.encode()).hexdigest()[:16]

    def _refusal(
        self, reason: str, passages: Sequence[Passage], lead: str | None = None
    ) -> dict[str, Any]:
        named: dict[str, str] = {}  # label -> the first document that bears it
        for p in passages:
            named.setdefault(f"{p.doc.title}{_year(p)}", p.doc.document_id)
        labels = list(named)[:CLOSEST_LIMIT]
        text = lead or NO_ANSWER_TEXT
        if labels:
            text += CLOSEST_DOCUMENTS + "; ".join(labels) + "."
        return {
            "answer": text,
            "refused": True,
            "refusal_reason": reason,
            "citations": (),
            "closest_documents": tuple(named[label] for label in labels),
        }


def evidence_score(retrieved: Retrieved, settings: AnswerSettings) -> float:
    """How strongly the passages bear on the question: its words found, and dense similarity."""
    cfg = settings.refusal
    return round(
        cfg.coverage_weight * retrieved.query_coverage + cfg.dense_weight * retrieved.top_dense, 4
    )


def currency_warnings(
    citations: Sequence[Citation], stale_after_years: int = 5, today: date | None = None
) -> tuple[str, ...]:
    """Say how old the sources are, and warn about superseded ones."""
    warnings = []
    years = sorted({c.doc.year for c in citations if c.doc.year})
    this_year = (today or date.today()).year
    if years:
        span = f"{years[0]}" if len(years) == 1 else f"{years[0]} to {years[-1]}"
        note = f"Sources date from {span}."
        if this_year - years[0] >= stale_after_years:
            note += f" The oldest is {this_year - years[0]} years old: check for newer guidance."
        warnings.append(note)
    for c in citations:
        if c.doc.superseded:
            warnings.append(
                f"[{c.n}] {c.doc.title} is marked as superseded: do not rely on it alone."
            )
    return tuple(warnings)


def _year(p: Passage) -> str:
    return f" ({p.doc.year})" if p.doc.year else ""


def _rewritten(question: str, standalone: str) -> bool:
    """Whether the search used other words than the officer's (not just another capital)."""
    return " ".join(standalone.split()).casefold() != " ".join(question.split()).casefold()


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 2)
