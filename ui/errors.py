"""Error replies: one JSON shape per API, never a traceback or a plain-text 500.

The JSON API and the app answer ``{"detail": message}``. The OpenAI-compatible API (``/v1``)
answers OpenAI's ``{"error": {"message", "type", "param", "code"}}``, so the official ``openai``
client (and every client built like it) shows the message instead of a bare "Error code: 400".
The security middleware uses the same shapes for the refusals it makes before any route runs.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.errors import (
    AssistantError,
    BackendError,
    DocumentError,
    QuestionError,
    StoreError,
)

OPENAI_PREFIX = "/v1"
log = logging.getLogger("ui.errors")

_TYPES = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
_CODES = {
    400: "invalid_request",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "request_too_large",
    422: "invalid_request",
    429: "rate_limit_exceeded",
    500: "internal_error",
    502: "backend_unavailable",
    503: "store_unavailable",
}


def is_openai_path(path: str) -> bool:
    return path == OPENAI_PREFIX or path.startswith(OPENAI_PREFIX + "/")


def openai_error(
    status: int, message: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """OpenAI's error object for an HTTP status."""
    kind = _TYPES.get(status) or ("server_error" if status >= 500 else "invalid_request_error")
    return {
        "error": {
            "message": message,
            "type": kind,
            "param": param,
            "code": code or _CODES.get(status),
        }
    }


def error_payload(path: str, status: int, message: str, code: str | None = None) -> dict[str, Any]:
    """The error body for a request to ``path``: OpenAI's shape on /v1, ``detail`` elsewhere."""
    return openai_error(status, message, code) if is_openai_path(path) else {"detail": message}


def error_status(exc: AssistantError) -> int:
    """The HTTP status for an assistant error: the user's fault 400, ours 5xx."""
    if isinstance(exc, QuestionError | DocumentError):
        return 400
    if isinstance(exc, StoreError):
        return 503
    if isinstance(exc, BackendError):
        return 502
    return 500  # IngestError, ConfigError: the server is set up wrongly


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AssistantError, _assistant_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


async def _assistant_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError)
    status = error_status(exc)
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_payload(request.url.path, status, str(exc)), status_code=status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    readable = "; ".join(f"{_where(e)}: {e.get('msg', 'invalid')}" for e in errors)
    message = f"invalid request: {readable}"
    if is_openai_path(request.url.path):  # OpenAI answers 400 for a malformed request
        param = _where(errors[0]) if errors else None
        return JSONResponse(openai_error(400, message, param=param), status_code=400)
    safe = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]
    return JSONResponse({"detail": message, "errors": safe}, status_code=422)


def _where(error: dict[str, Any]) -> str:
    return ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = getattr(exc, "headers", None)
    if is_openai_path(request.url.path):
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return JSONResponse(
            openai_error(exc.status_code, message), exc.status_code, headers=headers
        )
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    """A bug: the caller gets one line; the exception goes on to the server's log."""
    message = "internal error: the assistant could not handle this request (see the server log)"
    return JSONResponse(error_payload(request.url.path, 500, message), status_code=500)
