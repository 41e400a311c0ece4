"""An OpenAI-compatible ``/v1/chat/completions`` (plain and SSE streaming) over the assistant.

Existing chat clients can point at the assistant unchanged. The last user message is the
question, earlier user/assistant pairs are the history, system messages are ignored (the
assistant only answers from the documents). Citations ride along twice: as a "Sources:" list at
the end of the content (what any client shows) and as an extra ``citations`` field. When
streaming, checked sentences go out as they are produced; if the pipeline then refuses (the
sentences do not answer what was asked), the refusal follows them and ``refused`` is true.

Errors use OpenAI's ``{"error": {"message", "type", "param", "code"}}`` (``ui/errors.py``). A
stream whose first step fails (the store is down) is refused with a plain HTTP error, as
OpenAI does; a failure once the stream is under way is sent as an error event, then
``[DONE]``. ``stream_options.include_usage`` adds OpenAI's final usage chunk.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from assistant.pipeline import clean_question
from core.errors import AssistantError
from core.settings import HISTORY_TURNS
from core.types import Answer, Turn
from ui.api import MAX_RAW_QUESTION, rate_limiter
from ui.errors import error_status, openai_error
from ui.render import sources_text
from ui.services import Services

MODEL_ID = "council-assistant"
SOURCES_TAIL = re.compile(r"\n+Sources:\n.*\Z", re.S)
log = logging.getLogger("ui.openai")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, not used

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False
    stream_options: StreamOptions | None = None


def message_text(message: ChatMessage) -> str:
    if isinstance(message.content, str):
        return message.content
    parts = message.content or []
    return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The last user message and the (question, answer) pairs before it."""
    chat = [m for m in messages if m.role in ("user", "assistant")]
    if not chat or chat[-1].role != "user":
        raise HTTPException(400, detail="the last message must be the user's question")
    question = message_text(chat[-1])
    if len(question) > MAX_RAW_QUESTION:
        raise HTTPException(400, detail=f"the question is over {MAX_RAW_QUESTION:,} characters")
    history: list[Turn] = []
    for message in chat[:-1]:
        text = message_text(message)
        if message.role == "user":
            history.append(Turn(text))
        elif history and not history[-1].answer:
            history[-1] = Turn(history[-1].question, SOURCES_TAIL.sub("", text))
    return question, history[-HISTORY_TURNS:]


def full_content(answer: Answer) -> str:
    tail = sources_text(answer.citations)
    return answer.answer + (f"\n\n{tail}" if tail else "")


def _usage(question: str, content: str) -> dict[str, int]:
    """Word counts: the assistant has no tokenizer of its own to report."""
    prompt, completion = len(question.split()), len(content.split())
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def build_openai_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])
    limited = Depends(rate_limiter(services))

    @router.get("/models", summary="The one model this server offers")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [
                {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "council-assistant"}
            ],
        }

    @router.post(
        "/chat/completions",
        summary="OpenAI-compatible chat (stream=true for SSE)",
        dependencies=[limited],
    )
    def chat_completions(body: ChatRequest, request: Request) -> Any:
        access = services.access(request)
        question, history = question_and_history(body.messages)
        clean_question(question)  # a bad question is a 400 before any stream starts
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            events = services.assistant.stream(question, history, access=access)
            # The first step (retrieval) runs before the response starts, so a store that is
            # down is a plain 503 the client can read, not a stream cut short.
            first = next(events, None)
            usage = bool(body.stream_options and body.stream_options.include_usage)
            stream = _Stream(services, completion_id, created, question, usage)
            return StreamingResponse(
                stream.events(itertools.chain([first] if first is not None else [], events)),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = services.assistant.ask(question, history=history, access=access)
        services.note_answer(answer, "openai")
        content = full_content(answer)
        citations = answer.to_dict()["citations"]
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": MODEL_ID,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "citations": citations},
                    "finish_reason": "stop",
                }
            ],
            "usage": _usage(question, content),
            "citations": citations,
            "refused": answer.refused,
            "answer_id": services.answers.add(answer),
        }

    _answer_unknown_paths(router)
    return router


def _answer_unknown_paths(router: APIRouter) -> None:
    """Any other ``/v1`` path or method gets OpenAI's error shape (404, or 405 with ``Allow``),
    not the web app's page-not-found: added last, so the real routes match first."""
    offered = {
        route.path: sorted(route.methods or ())
        for route in router.routes
        if isinstance(route, APIRoute)
    }
    listing = ", ".join(f"{' '.join(methods)} {path}" for path, methods in offered.items())

    def unknown(request: Request) -> None:
        path = request.url.path.rstrip("/") or request.url.path
        allowed = offered.get(path)
        if allowed:
            raise HTTPException(
                405,
                f"{request.method} is not allowed on {path}; use {' or '.join(allowed)}",
                headers={"Allow": ", ".join(allowed)},
            )
        raise HTTPException(404, f"unknown path {request.url.path}: this server offers {listing}")

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]
    for path in ("", "/{rest:path}"):
        router.add_api_route(path, unknown, methods=methods, include_in_schema=False)


class _Stream:
    """The SSE events of one streamed completion."""

    def __init__(
        self, services: Services, completion_id: str, created: int, question: str, usage: bool
    ) -> None:
        self.services = services
        self.id = completion_id
        self.created = created
        self.question = question
        self.usage = usage

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> str:
        data = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": MODEL_ID,
            "choices": choices,
            **({"usage": None} if self.usage else {}),
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return self._event([{"index": 0, "delta": delta, "finish_reason": finish}], **extra)

    def events(self, answer_events: Iterator[str | Answer]) -> Iterator[str]:
        yield self.chunk({"role": "assistant", "content": ""})
        streamed, pending = (
            "",
            "",
        )  # trailing spaces wait for the next piece, so the text ends clean
        try:
            for event in answer_events:
                if isinstance(event, Answer):
                    yield from self._final(event, streamed)
                elif event:
                    text = pending + event
                    piece = text.rstrip()
                    pending = text[len(piece) :]
                    if piece:
                        streamed += piece
                        yield self.chunk({"content": piece})
        except AssistantError as exc:
            log.warning("stream %s failed: %s", self.id, exc)
            yield f"data: {json.dumps(openai_error(error_status(exc), str(exc)))}\n\n"
        except Exception:  # a bug: the client still gets an error event and [DONE], never a cut
            log.exception("stream %s failed", self.id)
            message = (
                "internal error: the assistant could not finish this answer (see the server log)"
            )
            yield f"data: {json.dumps(openai_error(500, message))}\n\n"
        yield "data: [DONE]\n\n"

    def _final(self, answer: Answer, streamed: str) -> Iterator[str]:
        self.services.note_answer(answer, "openai")
        tail = sources_text(answer.citations)
        if answer.refused:
            # Checked sentences may have streamed before the pipeline judged that they do
            # not answer the question; the refusal then follows them, and says so.
            tail = f"\n\n{answer.answer}" if streamed else answer.answer
        elif tail:
            tail = f"\n\n{tail}"
        if tail:
            yield self.chunk({"content": tail})
        yield self.chunk(
            {},
            "stop",
            citations=answer.to_dict()["citations"],
            refused=answer.refused,
            answer_id=self.services.answers.add(answer),
        )
        if self.usage:
            yield self._event([], usage=_usage(self.question, streamed + tail))
