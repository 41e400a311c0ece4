"""Document-grounded question answering for UK councils.

Public API::

    from assistant import Assistant, Settings, Filters, Turn
    answer = Assistant(Settings(store=".assistant/store")).ask("What is zero trust?")
    answer.answer, answer.citations, answer.refused

Heavy parts (models, Chroma) load on first use, so importing this package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.errors import (
    AssistantError,
    BackendError,
    ConfigError,
    DocumentError,
    IngestError,
    QuestionError,
    StoreError,
)
from assistant.settings import Settings
from assistant.types import Answer, Citation, Passage, Turn

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from assistant.retrieval import Filters

__all__ = [
    "Answer",
    "Assistant",
    "AssistantError",
    "BackendError",
    "Citation",
    "ConfigError",
    "DocumentError",
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
    if name == "Filters":
        from assistant.retrieval import Filters

        return Filters
    raise AttributeError(name)
