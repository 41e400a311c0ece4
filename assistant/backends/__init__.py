"""Answer backends, one factory: ``make_backend(settings)`` picks by ``settings.answer.backend``.

* ``extractive`` (default): picks sentences from the passages; no LLM, cannot invent facts.
* ``llamacpp``: a local GGUF model through llama-cpp-python (extra: ``llm``).
* ``openai``: any OpenAI-compatible endpoint (Azure OpenAI, Ollama, vLLM, llama.cpp server).
"""

from __future__ import annotations

from assistant.backends.base import NO_ANSWER, AnswerBackend, Draft, streamed_draft
from core.embedder import Embedder
from core.settings import Settings

__all__ = ["AnswerBackend", "Draft", "NO_ANSWER", "make_backend", "streamed_draft"]


def make_backend(settings: Settings, embedder: Embedder | None = None) -> AnswerBackend:
    match settings.answer.backend:
        case "extractive":
            from assistant.backends.extractive import ExtractiveBackend

            return ExtractiveBackend(settings.answer, embedder=embedder)
        case "llamacpp":
            from assistant.backends.llamacpp import LlamaCppBackend

            return LlamaCppBackend(settings.answer)
        case "openai":
            from assistant.backends.openai_compat import OpenAICompatibleBackend

            return OpenAICompatibleBackend(settings.answer)
        case other:
            from core.errors import ConfigError

            raise ConfigError(f"unknown answer backend '{other}' (extractive, llamacpp, openai)")
