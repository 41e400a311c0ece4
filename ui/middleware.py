"""The ASGI middleware in front of every route, Gradio's included.

In order, before anything runs: other origins are refused (and allowed ones get CORS), upload
routes and every multipart body need the admin token (Gradio writes an upload or a recording to
disk before any event handler could check it), and bodies over the size cap are refused with 413, whether they announce their
length or stream it. Every reply gets the security headers. A pure ASGI middleware, not
``BaseHTTPMiddleware``, so the streamed answers are never buffered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from starlette.exceptions import HTTPException

from ui.errors import error_payload
from ui.security import SESSION_COOKIE, AdminError, AdminGuard, OriginPolicy

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CORS_METHODS = "GET, POST, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Authorization"
# Gradio writes these bodies to disk before any handler could look at them.
UPLOAD_ROUTES = re.compile(r"^(/api/documents|(/.*)?/gradio_api/(upload|process_recording))$")
WRITE_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class BodyLimits:
    max_body: int  # bytes, every request but uploads
    max_upload: int  # bytes, an upload request with all its files

    @classmethod
    def from_settings(cls, ui: Any) -> BodyLimits:
        return cls(int(ui.max_body_kb * 1024), int(ui.max_upload_mb * 1024 * 1024))


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when a streamed body passes the cap (routes turn it into 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over the {_size(limit)} limit")


def _size(n: int) -> str:
    if n >= 1048576:
        return f"{n / 1048576:.3g} MB"
    return f"{n / 1024:.3g} KB" if n >= 1024 else f"{n} bytes"


def is_upload(method: str, path: str, content_type: str | None = None) -> bool:
    """An upload route, or a multipart body on any route (Gradio parses those into files on
    disk wherever they arrive, its component server included): all need the admin token."""
    if method not in WRITE_METHODS:
        return False
    if (content_type or "").strip().lower().startswith("multipart/"):
        return True
    return method == "POST" and bool(UPLOAD_ROUTES.match(re.sub("/{2,}", "/", path).rstrip("/")))


class SecurityMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        policy: OriginPolicy,
        guard: AdminGuard | None = None,
        limits: BodyLimits | None = None,
    ) -> None:
        self.app = app
        self.policy = policy
        self.guard = guard
        self.limits = limits
        self.headers = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
            (b"content-security-policy", policy.content_security_policy().encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        decision = self.policy.decide(origin)
        if decision == "refused":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            shown = (origin or "")[:100]
            await self._refuse(
                scope,
                send,
                403,
                f"requests from origin {shown} are not allowed",
                "origin_not_allowed",
            )
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        extra = list(self.headers)
        if decision == "cross" and origin:
            extra += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ]
            if scope["method"] == "OPTIONS":
                await _preflight(send, extra)
                return
        upload = is_upload(scope["method"], scope["path"], _header(scope, b"content-type"))
        if upload and (refusal := self._upload_refusal(scope)) is not None:
            await self._refuse(scope, send, *refusal, extra=extra)
            return
        limit = None
        if self.limits is not None:
            limit = self.limits.max_upload if upload else self.limits.max_body
            declared = _header(scope, b"content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                await self._refuse(scope, send, 413, BodyTooLarge(limit).detail, extra=extra)
                return
        started = False
        names = {k for k, _ in extra}

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                kept = [h for h in message.get("headers", []) if h[0].lower() not in names]
                message["headers"] = kept + extra
            await send(message)

        try:
            await self.app(scope, _capped(receive, limit) if limit else receive, send_with_headers)
        except BodyTooLarge as exc:  # an app that let it through: answer it here if we still can
            if started:
                raise
            await self._refuse(scope, send, 413, str(exc.detail), extra=extra)

    def _upload_refusal(self, scope: Scope) -> tuple[int, str] | None:
        """Uploads need the admin token (bearer) or a browser session started with it."""
        if self.guard is None or not self.guard.enabled:
            return (
                403,
                "uploads are disabled: no admin token is configured (ASSISTANT_UI__ADMIN_TOKEN)",
            )
        if self.guard.session_valid(_cookie(scope, SESSION_COOKIE)):
            return None
        try:
            self.guard.check_bearer(_header(scope, b"authorization"))
        except AdminError as exc:
            return exc.status, f"uploads need the admin token: {exc}"
        return None

    async def _refuse(
        self,
        scope: Scope,
        send: Send,
        status: int,
        message: str,
        code: str | None = None,
        extra: list[tuple[bytes, bytes]] | None = None,
    ) -> None:
        payload = error_payload(scope.get("path", ""), status, message, code)
        headers = list(extra if extra is not None else self.headers)
        if status == 401:
            headers.append((b"www-authenticate", b"Bearer"))
        await _json_response(send, status, payload, headers)


def _capped(receive: Receive, limit: int) -> Receive:
    total = 0

    async def capped() -> Message:
        nonlocal total
        message = await receive()
        if message["type"] == "http.request":
            total += len(message.get("body", b""))
            if total > limit:
                raise BodyTooLarge(limit)
        return message

    return capped


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: Scope, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(name)
    except CookieError:
        return None
    return morsel.value if morsel else None


async def _preflight(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    headers = headers + [
        (b"access-control-allow-methods", CORS_METHODS.encode()),
        (b"access-control-allow-headers", CORS_HEADERS.encode()),
        (b"access-control-max-age", b"600"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _json_response(
    send: Send, status: int, payload: dict[str, Any], headers: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(payload).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
