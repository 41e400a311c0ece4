"""The shapes every layer shares: a document's metadata, a passage, an answer and its citations.

``DocumentMeta`` is written once per document at ingest and carried, unchanged, by the
manifest record, every passage retrieval returns and every citation an answer shows. The evals
score exactly these ``Answer`` objects, so what is measured is what users see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass(frozen=True)
class DocumentMeta:
    """What is known about one indexed document (from front matter, file properties, its path)."""

    document_id: str
    title: str = ""
    path: str = ""
    source: str = ""
    publisher: str = ""
    year: int | None = None
    licence: str = ""
    superseded: bool = False
    # Who may see it: the groups named in its front matter or its folder's settings. Empty means
    # every user of the assistant.
    groups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["groups"] = list(self.groups)
        return data

    def visible_to(self, access: Access) -> bool:
        return access.groups is None or not self.groups or bool(access.groups & set(self.groups))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentMeta:
        """From a flat mapping (store metadata, a JSON citation); unknown keys are ignored."""
        year = data.get("year")
        groups = data.get("groups") or ()
        if isinstance(groups, str):
            groups = [g for g in groups.split(",") if g]
        return cls(
            document_id=str(data.get("document_id", "")),
            title=str(data.get("title") or ""),
            path=str(data.get("path") or ""),
            source=str(data.get("source") or ""),
            publisher=str(data.get("publisher") or ""),
            year=int(year) if year not in (None, "") else None,
            licence=str(data.get("licence") or ""),
            superseded=bool(data.get("superseded", False)),
            groups=tuple(sorted({str(g) for g in groups})),
        )


DOCUMENT_FIELDS = tuple(f.name for f in fields(DocumentMeta))


@dataclass(frozen=True)
class Passage:
    """A chunk of an indexed document, as retrieval returns it."""

    chunk_id: str
    doc: DocumentMeta
    text: str
    section: str = ""
    page: int | None = None
    score: float = 0.0


PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


@dataclass(frozen=True, kw_only=True)
class Citation(Passage):
    """A numbered passage as shown to the user: ``[n]`` in the answer points at it."""

    n: int

    @classmethod
    def from_passage(cls, n: int, passage: Passage) -> Citation:
        values = {name: getattr(passage, name) for name in PASSAGE_FIELDS}
        return cls(**{**values, "score": round(float(passage.score), 4)}, n=n)

    def as_passage(self) -> Passage:
        return Passage(**{name: getattr(self, name) for name in PASSAGE_FIELDS})

    def to_dict(self) -> dict[str, Any]:
        """The flat JSON shape the CLI, the HTTP API and the evals share."""
        data: dict[str, Any] = {"n": self.n, **self.doc.to_dict()}
        data.update(
            chunk_id=self.chunk_id,
            text=self.text,
            section=self.section,
            page=self.page,
            score=self.score,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        page = data.get("page")
        return cls(
            n=int(data.get("n", 0)),
            chunk_id=str(data.get("chunk_id", "")),
            doc=DocumentMeta.from_dict(data),
            text=str(data.get("text", "")),
            section=str(data.get("section") or ""),
            page=int(page) if page not in (None, "") else None,
            score=float(data.get("score") or 0.0),
        )


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to some documents (API, CLI and web app); the store applies them."""

    documents: tuple[str, ...] = ()
    publisher: str | None = None  # matches publishers that contain this, case-insensitively
    year_from: int | None = None
    year_to: int | None = None

    @property
    def empty(self) -> bool:
        return self == Filters()

    def describe(self) -> str:
        """In words, for messages: "publisher 'NCSC', from 2024"."""
        parts = []
        if self.documents:
            parts.append("document " + ", ".join(f"'{d}'" for d in self.documents))
        if self.publisher:
            parts.append(f"publisher '{self.publisher}'")
        if self.year_from is not None and self.year_to is not None:
            parts.append(f"years {self.year_from}-{self.year_to}")
        elif self.year_from is not None:
            parts.append(f"from {self.year_from}")
        elif self.year_to is not None:
            parts.append(f"up to {self.year_to}")
        return ", ".join(parts)


@dataclass(frozen=True)
class Access:
    """Who is asking, as the trusted proxy said: the groups whose documents they may see.

    ``groups=None`` is unrestricted (the CLI, an admin, a deployment without access control).
    A document with no groups is visible to everyone; one with groups only to their members.
    """

    user: str | None = None
    groups: frozenset[str] | None = None

    @property
    def unrestricted(self) -> bool:
        return self.groups is None


EVERYONE = Access()


@dataclass(frozen=True)
class Answer:
    """What the assistant says, with the evidence it rests on."""

    question: str
    answer: str
    refused: bool
    refusal_reason: str | None
    citations: tuple[Citation, ...]
    sources: tuple[Citation, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""
    removed_sentences: int = 0
    warnings: tuple[str, ...] = ()
    backend: str = ""
    # The retrieval signals refusal was decided on (score, query_coverage, top_dense, ...).
    evidence: dict[str, Any] = field(default_factory=dict)
    # Keyword search was still being prepared (a new app machine): retrieved by dense search
    # alone, and ``warnings`` says so.
    keyword_warming: bool = False
    # A refusal's closest documents (ids, closest first; each has a passage among ``sources``),
    # which the answer text names and the web app lists, linked.
    closest_documents: tuple[str, ...] = ()
    # True when a follow-up was rewritten for the search: ``standalone_question`` is what was
    # searched for, and the web app shows it ("Searched for: ...") for the officer to correct.
    question_rewritten: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["citations"] = [c.to_dict() for c in self.citations]
        data["sources"] = [s.to_dict() for s in self.sources]
        data["warnings"] = list(self.warnings)
        data["timings_ms"] = dict(self.timings_ms)
        data["evidence"] = dict(self.evidence)
        data["closest_documents"] = list(self.closest_documents)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """The inverse of ``to_dict`` (a saved conversation, a JSON answer); extra keys ignored.

        An answer saved before ``closest_documents`` existed gets the documents of its first
        sources, which is how a refusal chose them.
        """
        sources = tuple(Citation.from_dict(c) for c in data.get("sources") or ())
        closest = data.get("closest_documents")
        if closest is None and data.get("refused"):
            closest = closest_documents(sources)
        return cls(
            question=str(data.get("question", "")),
            answer=str(data.get("answer", "")),
            refused=bool(data.get("refused", False)),
            refusal_reason=data.get("refusal_reason"),
            citations=tuple(Citation.from_dict(c) for c in data.get("citations") or ()),
            sources=sources,
            timings_ms=dict(data.get("timings_ms") or {}),
            standalone_question=str(data.get("standalone_question") or ""),
            removed_sentences=int(data.get("removed_sentences") or 0),
            warnings=tuple(data.get("warnings") or ()),
            backend=str(data.get("backend") or ""),
            keyword_warming=bool(data.get("keyword_warming", False)),
            evidence=dict(data.get("evidence") or {}),
            closest_documents=tuple(str(d) for d in closest or ()),
            question_rewritten=bool(data.get("question_rewritten", False)),
        )


CLOSEST_LIMIT = 3  # documents a refusal names as the closest


def closest_documents(
    passages: Sequence[Passage | Citation], limit: int = CLOSEST_LIMIT
) -> tuple[str, ...]:
    """The first ``limit`` distinct documents of these passages, in their order."""
    return tuple(dict.fromkeys(p.doc.document_id for p in passages))[:limit]
