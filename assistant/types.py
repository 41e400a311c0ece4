"""The one shape of an answer, shared by the CLI, the Python API, the web app and the evals.

The evals score exactly these objects, so what is measured is what users see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A chunk of an indexed document, as retrieval returns it."""

    chunk_id: str
    document_id: str
    text: str
    title: str = ""
    section: str = ""
    page: int | None = None
    path: str = ""
    source: str = ""
    publisher: str = ""
    year: int | None = None
    licence: str = ""
    superseded: bool = False
    score: float = 0.0

    def with_score(self, score: float) -> Passage:
        return replace(self, score=score)


@dataclass(frozen=True)
class Citation:
    """A numbered passage as shown to the user: ``[n]`` in the answer points at it."""

    n: int
    document_id: str
    title: str
    section: str
    page: int | None
    path: str
    source: str
    text: str
    score: float
    publisher: str = ""
    year: int | None = None
    licence: str = ""
    superseded: bool = False
    chunk_id: str = ""

    @classmethod
    def from_passage(cls, n: int, passage: Passage) -> Citation:
        return cls(
            n=n,
            document_id=passage.document_id,
            title=passage.title,
            section=passage.section,
            page=passage.page,
            path=passage.path,
            source=passage.source,
            text=passage.text,
            score=round(float(passage.score), 4),
            publisher=passage.publisher,
            year=passage.year,
            licence=passage.licence,
            superseded=passage.superseded,
            chunk_id=passage.chunk_id,
        )


    def as_passage(self) -> Passage:
        return Passage(
            chunk_id=self.chunk_id, document_id=self.document_id, text=self.text,
            title=self.title, section=self.section, page=self.page, path=self.path,
            source=self.source, publisher=self.publisher, year=self.year,
            licence=self.licence, superseded=self.superseded, score=self.score,
        )  # fmt: skip


@dataclass(frozen=True)
class Turn:
    """One earlier exchange of a conversation."""

    question: str
    answer: str = ""


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["citations"] = [asdict(c) for c in self.citations]
        data["sources"] = [asdict(s) for s in self.sources]
        data["warnings"] = list(self.warnings)
        return data

