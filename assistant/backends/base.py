"""The answer backend role: turn a question and numbered passages into a cited draft.

Backends only draft. The pipeline numbers the passages (1-based, in the order given), checks
every cited sentence of the draft against the passage it cites, and decides on refusal, so a
backend can never put an unchecked claim or an invented citation in front of a user.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from assistant.refusal import declines_only
from core.types import Passage, Turn

NO_ANSWER = "NO_ANSWER"


@dataclass(frozen=True)
class Draft:
    """Answer text whose sentences end with [n] markers naming passages 1..len(passages)."""

    text: str
    declined: bool = False  # the backend says the passages do not answer the question
    reason: str | None = None


def streamed_draft(text: str) -> Draft:
    """A backend's streamed text as the ``Draft`` it amounts to. A stream carries no flag, so
    a decline is read here, where the text leaves the backend: no text, the model's
    ``NO_ANSWER`` token, or sentences that each only say the passages do not answer."""
    text = text.strip()
    if not text:
        return Draft("", declined=True, reason="the backend drafted nothing")
    if text.startswith(NO_ANSWER):
        return Draft("", declined=True, reason="the backend found no answer in the passages")
    if declines_only(text):
        return Draft(text, declined=True, reason="the draft only says the passages do not answer")
    return Draft(text)


@runtime_checkable
class AnswerBackend(Protocol):
    name: str

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Draft:
        """A complete draft for the question from these passages."""
        ...

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        """The draft's text as it is produced (pieces of any size)."""
        ...

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        """A standalone version of a follow-up question, or None to use the built-in rewrite."""
        ...
