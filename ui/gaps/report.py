"""The gaps report: the questions the documents fell short on, grouped by topic.

``build_report`` merges the signals of one asking (a refused question that was also rated
down counts once), embeds each question, groups them (``ui.gaps.cluster``), and names for each
topic the documents closest to it and their publishers (who owns them), as far as the reader's
access groups allow. Example questions were redacted when they were stored and are redacted
again here, so a store written with redaction off still shows none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from core.pii import redact_text
from core.settings import GapsSettings
from core.types import EVERYONE, Access
from index.store import DocumentReader, Scope, split_chunk_id
from ui.gaps.cluster import groups, keywords, topic_vectors, unit_rows
from ui.gaps.log import SIGNALS, GapSignal, Signal

OTHER_LABEL = "Other questions (no topic of their own)"


class Embedder(Protocol):
    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]: ...


@dataclass
class GapQuestion:
    """One asking of a question, with every signal it drew."""

    question: str
    text: str
    first_at: str
    last_at: str
    signals: set[Signal] = field(default_factory=set)
    history: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DocumentRef:
    document_id: str
    title: str
    publisher: str
    score: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Topic:
    number: int  # 1 = the largest; 0 = the other questions
    label: str  # the most central question
    keywords: tuple[str, ...]
    questions: tuple[GapQuestion, ...]
    signals: dict[str, int]
    first_seen: str
    last_seen: str
    examples: tuple[str, ...]
    documents: tuple[DocumentRef, ...]

    @property
    def size(self) -> int:
        return len(self.questions)

    @property
    def publishers(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.publisher for d in self.documents if d.publisher))

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.number,
            "label": self.label,
            "keywords": list(self.keywords),
            "questions": self.size,
            "signals": dict(self.signals),
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "examples": list(self.examples),
            "closest_documents": [d.to_dict() for d in self.documents],
            "publishers": list(self.publishers),
        }


@dataclass(frozen=True)
class GapReport:
    since: str
    until: str
    generated_at: str
    topics: tuple[Topic, ...]
    other: Topic | None
    signals: dict[str, int]
    questions: int
    truncated: int  # older questions left out past gaps.max_questions
    threshold: float

    @property
    def all_topics(self) -> tuple[Topic, ...]:
        return self.topics + ((self.other,) if self.other else ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since or None,
            "until": self.until or None,
            "generated_at": self.generated_at,
            "questions": self.questions,
            "signals": dict(self.signals),
            "truncated": self.truncated,
            "distance_threshold": self.threshold,
            "topics": [t.to_dict() for t in self.topics],
            "other": self.other.to_dict() if self.other else None,
        }


def merge_signals(signals: Sequence[GapSignal], window_s: float) -> list[GapQuestion]:
    """One ``GapQuestion`` per asking: a signal joins an earlier asking of the same words within
    ``window_s`` that lacks that signal (two refusals of one question are two askings)."""
    merged: list[GapQuestion] = []
    open_by_key: dict[str, list[GapQuestion]] = {}
    for s in sorted(signals, key=lambda s: s.created_at):
        key = " ".join(s.question.casefold().split())
        if not key:
            continue
        match = next(
            (
                q
                for q in open_by_key.get(key, ())
                if s.signal not in q.signals and _within(q.first_at, s.created_at, window_s)
            ),
            None,
        )
        if match is None:
            match = GapQuestion(s.question, s.text, s.created_at, s.created_at)
            merged.append(match)
            open_by_key.setdefault(key, []).append(match)
        match.signals.add(s.signal)
        match.last_at = max(match.last_at, s.created_at)
        if s.standalone_question and match.text == match.question:
            match.text = s.standalone_question
        if s.history and not match.history:
            match.history = s.history
        if s.note and s.signal == "rated_down":
            match.notes.append(s.note)
    return merged


def build_report(
    signals: Sequence[GapSignal],
    embedder: Embedder,
    store: DocumentReader | None,
    settings: GapsSettings,
    access: Access = EVERYONE,
    since: str = "",
    until: str = "",
) -> GapReport:
    asked = merge_signals(signals, settings.merge_window_s)
    truncated = max(0, len(asked) - settings.max_questions)
    asked = asked[truncated:]
    texts = [q.text for q in asked]
    vectors = topic_vectors(embedder, texts)
    # The documents are searched with the questions as asked, in the space passages live in.
    asked_vectors = (
        unit_rows(embedder.get_text_embedding_batch(texts)) if texts and store is not None else None
    )
    topics: list[Topic] = []
    rest: list[int] = []
    for group in groups(vectors, settings.distance_threshold) if texts else []:
        if len(group.members) < settings.min_topic_size:
            rest.extend(group.members)
            continue
        members = [asked[i] for i in group.members]
        documents: tuple[DocumentRef, ...] = ()
        if asked_vectors is not None:
            centre = asked_vectors[list(group.members)].mean(axis=0)
            documents = closest_documents(
                store, centre.tolist(), settings.closest_documents, access
            )
        topics.append(_topic(len(topics) + 1, members, texts, documents, settings))
    other = None
    if rest:
        rest.sort(key=lambda i: asked[i].first_at)
        other = _topic(0, [asked[i] for i in rest], texts, (), settings, label=OTHER_LABEL)
    return GapReport(
        since=since,
        until=until,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        topics=tuple(topics),
        other=other,
        signals=_count_signals(asked),
        questions=len(asked),
        truncated=truncated,
        threshold=settings.distance_threshold,
    )


def closest_documents(
    store: DocumentReader | None, centre: Sequence[float], n: int, access: Access = EVERYONE
) -> tuple[DocumentRef, ...]:
    """The ``n`` documents whose passages lie nearest the topic's centre, among those ``access``
    may see (the store applies the groups in its query, as for a question)."""
    if store is None or n <= 0:
        return ()
    records = store.documents()
    best: dict[str, float] = {}
    for chunk_id, score in store.dense_search(list(centre), n * 8, Scope(access=access)):
        document_id = split_chunk_id(chunk_id)[0]
        record = records.get(document_id)
        if record is None or not record.meta.visible_to(access):
            continue
        best[document_id] = max(best.get(document_id, float("-inf")), float(score))
    ranked = sorted(best, key=lambda d: -best[d])[:n]
    return tuple(
        DocumentRef(d, records[d].meta.title or d, records[d].meta.publisher, round(best[d], 3))
        for d in ranked
    )


def _topic(
    number: int,
    members: list[GapQuestion],
    everything: list[str],
    documents: tuple[DocumentRef, ...],
    settings: GapsSettings,
    label: str = "",
) -> Topic:
    examples = tuple(dict.fromkeys(redact_text(q.text) for q in members))[
        : settings.examples_per_topic
    ]
    texts = [q.text for q in members]
    return Topic(
        number=number,
        label=label or examples[0],
        keywords=keywords(texts, everything) if not label else (),
        questions=tuple(members),
        signals=_count_signals(members),
        first_seen=min(q.first_at for q in members),
        last_seen=max(q.last_at for q in members),
        examples=examples,
        documents=documents,
    )


def _count_signals(asked: Sequence[GapQuestion]) -> dict[str, int]:
    counts = Counter(s for q in asked for s in q.signals)
    return {s: counts.get(s, 0) for s in SIGNALS}


def _within(earlier: str, later: str, window_s: float) -> bool:
    try:
        return (
            datetime.fromisoformat(later) - datetime.fromisoformat(earlier)
        ).total_seconds() <= window_s
    except ValueError:
        return False
