"""Document-grounded question answering for UK councils.

Public API::

    from assistant import Assistant, Settings, Filters, Turn
    answer = Assistant(Settings(store=".assistant/store")).ask("What is zero trust?")
    answer.answer, answer.citations, answer.refused

Heavy parts (models, Chroma) load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import (
    AssistantError,
    BackendError,
    ConfigError,
    DocumentError,
    IngestError,
    QuestionError,
    StoreError,
)
from core.settings import Settings
from core.types import Answer, Citation, DocumentMeta, Filters, Passage, Turn

if TYPE_CHECKING:
    from assistant.pipeline import Assistant

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "BackendError",
    "Citation",
    "ConfigError",
    "DocumentError",
    "DocumentMeta",
    "Filters",
    "IngestError",
    "Passage",
    "QuestionError",
    "Settings",
    "StoreError",
    "Turn",
]


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from assistant.pipeline import Assistant

        return Assistant
    raise AttributeError(name)
