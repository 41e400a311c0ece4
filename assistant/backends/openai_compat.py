"""Any OpenAI-compatible chat endpoint: Azure OpenAI, Ollama, vLLM, a llama.cpp server.

``answer.base_url`` is the API root (``http://127.0.0.1:8080/v1``, ``http://localhost:11434/v1``,
``https://NAME.openai.azure.com/openai/v1``; a query string such as ``?api-version=…`` is
kept). ``answer.api_key`` goes out as a bearer token and as Azure's ``api-key`` header.
Failures become one-line ``BackendError``s that name the endpoint and never the key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx

from assistant.backends.base import Draft
from assistant.backends.prompt import (
    answer_messages,
    guard_stream,
    parse_draft,
    parse_rewrite,
    passage_budget_chars,
    rewrite_messages,
)
from core.errors import BackendError, ConfigError
from core.settings import AnswerSettings
from core.types import Passage, Turn

REWRITE_MAX_TOKENS = 64
CONNECT_TIMEOUT_S = 10.0
DETAIL_CHARS = 200


class OpenAICompatibleBackend:
    name = "openai"

    def __init__(self, settings: AnswerSettings) -> None:
        if not settings.base_url:
            raise ConfigError(
                "the openai backend needs answer.base_url (ASSISTANT_ANSWER__BASE_URL), "
                "e.g. http://127.0.0.1:8080/v1"
            )
        self.settings = settings
        base = httpx.URL(settings.base_url)
        self.endpoint = base.copy_with(query=None, fragment=None)
        self.url = base.copy_with(path=base.path.rstrip("/") + "/chat/completions")
        headers = {"Accept": "application/json"}
        if settings.api_key:
            headers["Authorization"] = f"Bearer {settings.api_key}"
            headers["api-key"] = settings.api_key
        timeout = httpx.Timeout(
            settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s)
        )
        self._client = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Draft:
        return parse_draft(
            self.complete(self._messages(question, passages, history), self.settings.max_tokens)
        )

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        payload = self._payload(
            self._messages(question, passages, history), self.settings.max_tokens
        )
        payload["stream"] = True
        return guard_stream(self._events(payload))

    def _events(self, payload: dict[str, Any]) -> Iterator[str]:
        """The text of each server-sent event of a streamed chat completion."""
        with self._errors(), self._client.stream("POST", self.url, json=payload) as response:
            if response.status_code != 200:
                response.read()
                raise self._status_error(response)
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # blank separators, comments (": ping"), event names
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    return
                piece = self._delta(data)
                if piece:
                    yield piece

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        try:
            return parse_rewrite(
                self.complete(rewrite_messages(question, history), REWRITE_MAX_TOKENS)
            )
        except BackendError:
            return None

    def _messages(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> list[dict[str, str]]:
        budget = passage_budget_chars(
            self.settings.n_ctx, self.settings.max_tokens, question, history
        )
        return answer_messages(
            question, passages, history, max_sentences=self.settings.max_sentences, max_chars=budget
        )

    def _payload(self, messages: list[dict[str, str]], max_tokens: int) -> dict[str, Any]:
        return {
            "model": self.settings.model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
        }

    def complete(self, messages: list[dict[str, str]], max_tokens: int) -> str:
        """One chat completion (no passages, no checking): used for rewrites and by the eval judge."""
        with self._errors():
            response = self._client.post(self.url, json=self._payload(messages, max_tokens))
        if response.status_code != 200:
            raise self._status_error(response)
        try:
            message = response.json()["choices"][0]["message"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise BackendError(
                f"the answer endpoint {self.endpoint} sent a reply that is not a chat completion"
            ) from exc
        return message.get("content") or ""

    def _delta(self, data: str) -> str | None:
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise BackendError(
                f"the answer endpoint {self.endpoint} sent a malformed stream event"
            ) from exc
        if isinstance(event, dict) and event.get("error"):
            raise BackendError(f"the answer endpoint {self.endpoint} failed: {_detail(event)}")
        choices = event.get("choices") if isinstance(event, dict) else None
        if not choices:
            return None  # e.g. a final usage-only event
        return (choices[0].get("delta") or {}).get("content")

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn transport failures into one-line BackendErrors that name the endpoint."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise BackendError(
                f"the answer endpoint {self.endpoint} did not reply within "
                f"{self.settings.timeout_s:g} s ({type(exc).__name__})"
            ) from exc
        except httpx.ConnectError as exc:
            raise BackendError(
                f"cannot reach the answer endpoint {self.endpoint}: {_one_line(str(exc))}"
            ) from exc
        except httpx.HTTPError as exc:
            raise BackendError(
                f"the request to the answer endpoint {self.endpoint} failed: {_one_line(str(exc))}"
            ) from exc

    def _status_error(self, response: httpx.Response) -> BackendError:
        try:
            detail = _detail(response.json())
        except ValueError:
            detail = _one_line(response.text)
        hint = " (check answer.api_key)" if response.status_code in (401, 403) else ""
        return BackendError(
            f"the answer endpoint {self.endpoint} returned HTTP {response.status_code}{hint}"
            + (f": {detail}" if detail else "")
        )


def _detail(body: Any) -> str:
    """The human part of an error body: OpenAI's {"error": {"message": …}} or FastAPI's detail."""
    if isinstance(body, dict):
        error = body.get("error", body.get("detail", body))
        if isinstance(error, dict):
            error = error.get("message", error)
        return _one_line(str(error))
    return _one_line(str(body))


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
