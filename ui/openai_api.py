"""An OpenAI-compatible ``/v1/chat/completions`` (plain and SSE streaming) over the assistant.

Existing chat clients can point at the assistant unchanged. The last user message is the
question, earlier user/assistant pairs are the history, system messages are ignored (the
assistant only answers from the documents). Citations ride along twice: as a "Sources:" list at
the end of the content (what any client shows) and as an extra ``citations`` field. When
streaming, checked sentences go out as they are produced; if the pipeline then refuses (the
sentences do not answer what was asked), the refusal follows them and ``refused`` is true.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.pipeline import clean_question
from core.errors import AssistantError
from core.types import Answer, Turn
from ui.api import MAX_RAW_QUESTION, rate_limiter
from ui.render import sources_text
from ui.services import Services

MODEL_ID = "council-assistant"
SOURCES_TAIL = re.compile(r"\n+Sources:\n.*\Z", re.S)


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens...: accepted, not used

    model: str = MODEL_ID
    messages: list[ChatMessage] = Field(..., min_length=1, max_length=100)
    stream: bool = False


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
    return question, history[-20:]


def full_content(answer: Answer) -> str:
    tail = sources_text(answer.citations)
    return answer.answer + (f"\n\n{tail}" if tail else "")


def _usage(question: str, content: str) -> dict[str, int]:
    """Word counts: the assistant has no tokenizer of its own to report."""
    prompt, completion = len(question.split()), len(content.split())
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def build_openai_router(services: Services) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["openai-compatible"])
    limited = Depends(rate_limiter(services))

    @router.get("/models", summary="The one model this server offers")
    def models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "council-assistant"}],
        }

    @router.post("/chat/completions", summary="OpenAI-compatible chat (stream=true for SSE)", dependencies=[limited])
    def chat_completions(body: ChatRequest) -> Any:
        question, history = question_and_history(body.messages)
        clean_question(question)  # a bad question is a 400 before any stream starts
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if body.stream:
            return StreamingResponse(
                _sse(services, completion_id, created, question, history),
                media_type="text/event-stream",
                headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
            )
        answer = services.assistant.ask(question, history=history)
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

    return router


def _sse(services: Services, completion_id: str, created: int, question: str, history: list[Turn]) -> Iterator[str]:
    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    streamed, pending = "", ""  # trailing spaces wait for the next piece, so the text ends clean
    try:
        for event in services.assistant.stream(question, history):
            if isinstance(event, Answer):
                tail = sources_text(event.citations)
                if event.refused:
                    # Checked sentences may have streamed before the pipeline judged that they do
                    # not answer the question; the refusal then follows them, and says so.
                    tail = f"\n\n{event.answer}" if streamed else event.answer
                elif tail:
                    tail = f"\n\n{tail}"
                if tail:
                    yield chunk({"content": tail})
                yield chunk(
                    {},
                    "stop",
                    citations=event.to_dict()["citations"],
                    refused=event.refused,
                    answer_id=services.answers.add(event),
                )
            elif event:
                text = pending + event
                piece = text.rstrip()
                pending = text[len(piece) :]
                if piece:
                    streamed += piece
                    yield chunk({"content": piece})
    except AssistantError as exc:
        error = {"error": {"message": str(exc), "type": type(exc).__name__}}
        yield f"data: {json.dumps(error)}\n\n"
    yield "data: [DONE]\n\n"
