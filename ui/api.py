"""The JSON HTTP API: ask, documents (admin actions behind a bearer token), feedback, health.

Bad input is the caller's fault and says so (400/422 with a message), never a 500. Asking and
feedback are rate-limited per client; the chat in the browser shares the same limiter.
"""

import math
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Header, HTTPException, Query, Request, UploadFile
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.pipeline import MAX_QUESTION_CHARS
from assistant.retrieval import Filters
from core.errors import AssistantError
from core.settings import HISTORY_TURNS
from core.types import Turn
from ui.feedback import MAX_REASON_CHARS
from ui.security import SESSION_COOKIE, SESSION_SECONDS, AdminError, client_key
from ui.services import Services

MAX_RAW_QUESTION = MAX_QUESTION_CHARS * 50  # the pipeline's own guard; tidier text must fit 2,000
MAX_HISTORY = HISTORY_TURNS


class TurnIn(BaseModel):
    question: str = Field(..., max_length=MAX_RAW_QUESTION)
    answer: str = Field("", max_length=50_000)


class FiltersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    documents: list[str] = Field(default_factory=list, max_length=200, description="document ids")
    publisher: str | None = Field(None, max_length=200, description="publisher contains this")
    year_from: int | None = Field(None, ge=1000, le=3000)
    year_to: int | None = Field(None, ge=1000, le=3000)

    def to_filters(self) -> Filters:
        return Filters(
            documents=tuple(self.documents),
            publisher=self.publisher or None,
            year_from=self.year_from,
            year_to=self.year_to,
        )


class AskIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(..., max_length=MAX_RAW_QUESTION, examples=["What is zero trust?"])
    history: list[TurnIn] = Field(default_factory=list, max_length=MAX_HISTORY)
    filters: FiltersIn | None = None


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"]
    reason: str = Field("", max_length=MAX_REASON_CHARS)
    answer_id: str | None = Field(
        None, max_length=64, description="the answer_id /api/ask returned"
    )
    question: str | None = Field(None, max_length=MAX_RAW_QUESTION)
    answer: str | None = Field(None, max_length=50_000)
    citations: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


def rate_limiter(services: Services):
    def check(request: Request) -> None:
        wait = services.limiter.hit(client_key(request.client))
        if wait is not None:
            raise HTTPException(
                429,
                detail=f"too many requests: at most {services.limiter.per_minute} a minute; "
                f"try again in {math.ceil(wait)} s",
                headers={"Retry-After": str(math.ceil(wait))},
            )

    return check


def admin_token(services: Services):
    """The bearer token, once checked (401 wrong or missing, 403 admin disabled)."""

    def check(authorization: str | None = Header(None)) -> str:
        try:
            services.guard.check_bearer(authorization)
        except AdminError as exc:
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            raise HTTPException(exc.status, detail=str(exc), headers=headers) from None
        return (authorization or "").partition(" ")[2].strip()

    return check


def build_router(services: Services) -> APIRouter:
    """Every HTTP route but the OpenAI-compatible ones, grouped as the docs page groups them."""
    router = APIRouter()
    _meta_and_ask_routes(router, services)
    _document_routes(router, services)
    _admin_session_routes(router, services)
    _feedback_routes(router, services)
    return router


def _meta_and_ask_routes(router: APIRouter, services: Services) -> None:
    limited = Depends(rate_limiter(services))

    @router.get(
        "/healthz",
        tags=["meta"],
        summary="Health: 200 when the store answers a real query, 503 with the reason when not",
    )
    def healthz(request: Request) -> JSONResponse:
        try:
            documents = services.documents.list(services.access(request))
            services.assistant.retrieve(
                "health check"
            )  # a store that lists but cannot be queried is down
        except AssistantError as exc:
            return JSONResponse({"status": "error", "detail": str(exc)}, status_code=503)
        keyword = services.assistant.store.keyword_status()
        if not keyword.ready:  # answers come from dense search alone meanwhile
            return JSONResponse(
                {
                    "status": "warming",
                    "detail": keyword.notice,
                    "chunks_to_index": keyword.chunks_to_index,
                    "seconds_warming": keyword.seconds_warming,
                    "last_error": keyword.error,
                    "documents": len(documents),
                },
                status_code=503,
            )
        return JSONResponse(
            {
                "status": "ok",
                "documents": len(documents),
                "chunks": sum(int(d.get("chunks") or 0) for d in documents),
                "backend": services.assistant.settings.answer.backend,
            }
        )

    @router.post(
        "/api/ask",
        tags=["ask"],
        summary="Answer a question from the documents",
        dependencies=[limited],
    )
    def ask(body: AskIn, request: Request) -> dict[str, Any]:
        history = [Turn(t.question, t.answer) for t in body.history]
        filters = body.filters.to_filters() if body.filters else None
        answer = services.assistant.ask(
            body.question, history=history, filters=filters, access=services.access(request)
        )
        services.note_answer(answer, "api", filters)
        data = answer.to_dict()
        data["answer_id"] = services.answers.add(answer)
        return data


def _document_routes(router: APIRouter, services: Services) -> None:
    admin = Depends(admin_token(services))

    @router.get("/api/documents", tags=["documents"], summary="What is indexed")
    def documents(request: Request) -> dict[str, Any]:
        listed = services.documents.list(services.access(request))
        return {
            "count": len(listed),
            "chunks": sum(int(d.get("chunks") or 0) for d in listed),
            "admin_enabled": services.guard.enabled,
            "documents": listed,
        }

    @router.get(
        "/api/documents/withheld",
        tags=["documents"],
        summary="Sentences withheld at ingest (admin)",
    )
    def withheld(token: Annotated[str, admin]) -> dict[str, Any]:
        flagged = services.documents.flagged(token)
        return {"count": len(flagged), "withheld": flagged}

    @router.post("/api/documents", tags=["documents"], summary="Upload documents (admin)")
    def upload(
        files: Annotated[list[UploadFile], File()], token: Annotated[str, admin]
    ) -> dict[str, Any]:
        result = services.documents.upload(
            token, [(f.filename or "upload", f.file.read()) for f in files]
        )
        if not result.ok:
            raise HTTPException(400, detail=result.to_dict())
        return result.to_dict()

    @router.post(
        "/api/documents/reindex", tags=["documents"], summary="Re-index every document (admin)"
    )
    def reindex(token: Annotated[str, admin]) -> dict[str, Any]:
        result = services.documents.reindex(token)
        if not result.ok:
            raise HTTPException(409, detail=result.to_dict())
        return result.to_dict()

    @router.delete(
        "/api/documents/{document_id:path}",
        tags=["documents"],
        summary="Remove a document from the index (admin)",
    )
    def delete(document_id: str, token: Annotated[str, admin]) -> dict[str, Any]:
        result = services.documents.delete(token, document_id)
        if not result.ok:
            raise HTTPException(404, detail=result.message)
        return result.to_dict()


def _admin_session_routes(router: APIRouter, services: Services) -> None:
    admin = Depends(admin_token(services))

    @router.post(
        "/api/admin/session",
        tags=["documents"],
        summary="Start an admin session in this browser (admin): a cookie that lets it upload",
    )
    def admin_session(request: Request, token: Annotated[str, admin]) -> JSONResponse:
        response = JSONResponse({"ok": True, "expires_in_s": SESSION_SECONDS})
        response.set_cookie(
            SESSION_COOKIE,
            services.guard.new_session(),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.delete(
        "/api/admin/session", tags=["documents"], summary="End this browser's admin session"
    )
    def end_admin_session() -> JSONResponse:
        response = JSONResponse({"ok": True})
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
        return response


def _feedback_routes(router: APIRouter, services: Services) -> None:
    limited = Depends(rate_limiter(services))
    admin = Depends(admin_token(services))

    @router.post(
        "/api/feedback",
        tags=["feedback"],
        summary="Thumbs up/down on an answer",
        dependencies=[limited],
    )
    def feedback(body: FeedbackIn) -> dict[str, Any]:
        if body.answer_id:
            answer = services.answers.get(body.answer_id)
            if answer is None:
                raise HTTPException(
                    404, detail="unknown answer_id (answers are kept for a limited time)"
                )
            row = services.record_feedback(answer, body.rating, body.reason, source="api")
        elif body.question and body.answer:
            data = {"question": body.question, "answer": body.answer, "citations": body.citations}
            row = services.record_feedback(data, body.rating, body.reason, source="api")
        else:
            raise HTTPException(
                422, detail="give the answer_id from /api/ask, or the question and the answer"
            )
        return {"id": row, "rating": body.rating}

    @router.get(
        "/api/feedback/export",
        tags=["feedback"],
        summary="Feedback as JSONL (admin)",
        dependencies=[admin],
    )
    def export(format: Literal["jsonl", "golden"] = Query("jsonl")) -> PlainTextResponse:
        text = (
            services.feedback.golden_jsonl()
            if format == "golden"
            else services.feedback.export_jsonl()
        )
        return PlainTextResponse(text, media_type="application/x-ndjson")
