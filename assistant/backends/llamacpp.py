"""A local GGUF model through llama-cpp-python (the optional ``llm`` extra).

The model loads once, when the backend is made, so a missing file or a missing extra fails at
start with a clear message rather than at the first question. Generation is greedy by default
(``answer.temperature`` 0) and serialised by a lock: one llama.cpp context is not thread-safe.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Generator, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from assistant.backends.base import Draft
from assistant.backends.prompt import (
    answer_messages,
    guard_stream,
    parse_draft,
    parse_rewrite,
    rewrite_messages,
)
from assistant.models import resolve_model_path
from core.errors import BackendError, missing_extra
from core.settings import AnswerSettings
from core.types import Passage, Turn

if TYPE_CHECKING:  # the optional ``llm`` extra
    from llama_cpp.llama_types import (
        ChatCompletionRequestMessage,
        ChatCompletionStreamResponseDelta,
        CreateChatCompletionResponse,
        CreateChatCompletionStreamResponse,
    )

REWRITE_MAX_TOKENS = 64
FIT_ATTEMPTS = 4


class LlamaCppBackend:
    name = "llamacpp"

    def __init__(self, settings: AnswerSettings) -> None:
        self.settings = settings
        try:
            import llama_cpp
        except ImportError as exc:
            raise missing_extra("llama-cpp-python", "llm") from exc
        self.model_path = resolve_model_path(settings.model_path)
        try:
            self._llm = llama_cpp.Llama(
                model_path=str(self.model_path),
                n_ctx=settings.n_ctx,
                n_threads=settings.n_threads or os.cpu_count() or 1,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise BackendError(f"could not load the model {self.model_path}: {exc}") from exc
        self._lock = threading.Lock()

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Draft:
        messages = self._fit(question, passages, history)
        return parse_draft(self.complete(messages, self.settings.max_tokens))

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        return guard_stream(self._pieces(self._fit(question, passages, history)))

    def _pieces(self, messages: list[dict[str, str]]) -> Iterator[str]:
        with self._lock:
            try:
                # Typed as either return; with stream=True it is a generator of chunks.
                chunks = cast(
                    "Generator[CreateChatCompletionStreamResponse, None, None]",
                    self._llm.create_chat_completion(
                        messages=_chat(messages),
                        stream=True,
                        **self._sampling(self.settings.max_tokens),
                    ),
                )
                try:
                    for chunk in chunks:
                        # the "empty" delta llama_cpp also types is this one with no keys set
                        delta = cast(
                            "ChatCompletionStreamResponseDelta",
                            chunk["choices"][0].get("delta", {}),
                        )
                        piece = delta.get("content")
                        if piece:
                            yield piece
                finally:
                    chunks.close()  # stopped early: end the generation before the lock goes
            except (ValueError, RuntimeError) as exc:
                raise BackendError(f"the local model failed: {exc}") from exc

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        try:
            return parse_rewrite(
                self.complete(rewrite_messages(question, history), REWRITE_MAX_TOKENS)
            )
        except BackendError:
            return None

    def _sampling(self, max_tokens: int) -> dict[str, Any]:
        return {"temperature": self.settings.temperature, "max_tokens": max_tokens}

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        """One chat completion (no passages, no checking): used for rewrites and by the eval judge."""
        with self._lock:
            try:
                reply = cast(
                    "CreateChatCompletionResponse",
                    self._llm.create_chat_completion(
                        messages=_chat(messages), **self._sampling(max_tokens)
                    ),
                )
            except (ValueError, RuntimeError) as exc:
                raise BackendError(f"the local model failed: {exc}") from exc
        return reply["choices"][0]["message"].get("content") or ""

    def _fit(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> list[dict[str, str]]:
        """Messages that fit the context window, measured with the model's own tokenizer:
        all the passages if they fit, else later ones cut by the share that overflows."""
        n_ctx, max_tokens = self.settings.n_ctx, self.settings.max_tokens
        limit = n_ctx - max_tokens
        budget: int | None = None
        for _ in range(FIT_ATTEMPTS):
            messages = answer_messages(
                question,
                passages,
                history,
                max_sentences=self.settings.max_sentences,
                max_chars=budget,
            )
            used = self._count_tokens(messages)
            if used <= limit:
                return messages
            chars_per_token = sum(len(m["content"]) for m in messages) / used
            shown = sum(len(p.text) for p in passages) if budget is None else budget
            budget = max(0, shown - int((used - limit) * chars_per_token * 1.1) - 1)
        raise BackendError(
            f"the question and passages do not fit the model's context of {n_ctx} tokens; "
            "raise answer.n_ctx or lower answer.max_tokens"
        )

    def _count_tokens(self, messages: list[dict[str, str]]) -> int:
        text = "\n".join(m["content"] for m in messages)
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)) + 32


def _chat(messages: list[dict[str, str]]) -> list[ChatCompletionRequestMessage]:
    """The messages as llama_cpp's TypedDicts: each is a "system" or "user" role and its
    content, which is all those types ask for."""
    return cast("list[ChatCompletionRequestMessage]", messages)
