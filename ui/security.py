"""Who may call the app: allowed origins, a per-client rate limit, and the admin token.

The origin check is a pure ASGI middleware (not ``BaseHTTPMiddleware``) so that it never buffers
the streamed answers and also covers Gradio's routes. A request from an origin that is not
allowed is refused *before* it runs (CORS alone would still run a POST and only hide the reply).
"""

from __future__ import annotations

import hmac
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CORS_METHODS = "GET, POST, DELETE, OPTIONS"
CORS_HEADERS = "Content-Type, Authorization"


class AdminError(Exception):
    """An admin action was refused; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, without a trailing slash or a default port."""
    origin = origin.strip().rstrip("/").lower()
    if origin == "null":
        return origin
    parts = urlsplit(origin)
    if not parts.scheme or not parts.hostname:
        return origin
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


class OriginPolicy:
    """Same origin always; other origins only when listed in ``settings.ui.allowed_origins``."""

    def __init__(self, allowed_origins: Iterable[str] = ()) -> None:
        self.allowed = {normalise_origin(o) for o in allowed_origins if o.strip()}

    def own_origin(self, scheme: str, host: str) -> str:
        return normalise_origin(f"{scheme}://{host}")

    def decide(self, origin: str | None, scheme: str, host: str) -> str:
        """'same' (or no Origin header), 'cross' (allowed other origin), or 'refused'."""
        if origin is None:
            return "same"
        wanted = normalise_origin(origin)
        if host and wanted == self.own_origin(scheme, host):
            return "same"
        if wanted in self.allowed:
            return "cross"
        return "refused"

    def frame_ancestors(self) -> str:
        return " ".join(["'self'", *sorted(o for o in self.allowed if o != "null")])


class RateLimiter:
    """At most ``per_minute`` hits per client key in any 60-second window (0 or less: no limit)."""

    def __init__(self, per_minute: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Count one hit; return None when allowed, else the seconds until the next is allowed."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window_s:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return max(0.1, round(self.window_s - (now - hits[0]), 1))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget idle clients so memory stays bounded
                for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window_s]:
                    del self._hits[stale]
            return None


class AdminGuard:
    """Admin actions need the token from config; with no token configured they are disabled."""

    def __init__(self, token: str | None) -> None:
        self._token = token or None

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def check(self, given: str | None) -> None:
        if not self.enabled:
            raise AdminError(
                "admin actions are disabled: no admin token is configured (ASSISTANT_UI__ADMIN_TOKEN)",
                403,
            )
        if not given or not hmac.compare_digest(given.strip().encode(), self._token.encode()):  # type: ignore[union-attr]
            raise AdminError("the admin token is missing or wrong", 401)

    def check_bearer(self, authorization: str | None) -> None:
        scheme, _, value = (authorization or "").partition(" ")
        self.check(value if scheme.lower() == "bearer" else None)


def client_key(client: tuple[str, int] | Any | None) -> str:
    """The rate-limit key: the peer address (a proxy in front should set its own limits)."""
    if client is None:
        return "unknown"
    host = getattr(client, "host", None)
    if host is None and isinstance(client, tuple | list) and client:
        host = client[0]
    return str(host or "unknown")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class SecurityMiddleware:
    """Refuses other origins, answers CORS for allowed ones, and sets framing/sniffing headers."""

    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        decision = self.policy.decide(origin, scheme, _header(scope, b"host") or "")
        if decision == "refused":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _json_response(send, 403, {"detail": f"requests from origin {origin} are not allowed"})
            return
        extra: list[tuple[bytes, bytes]] = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"content-security-policy", f"frame-ancestors {self.policy.frame_ancestors()}".encode()),
        ]
        if decision == "cross" and origin:
            extra += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"vary", b"Origin"),
            ]
            if scope["type"] == "http" and scope["method"] == "OPTIONS":
                await _preflight(send, extra)
                return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0].lower() not in {k for k, _ in extra}]
                message["headers"] = headers + extra
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


async def _preflight(send: Send, headers: list[tuple[bytes, bytes]]) -> None:
    headers = headers + [
        (b"access-control-allow-methods", CORS_METHODS.encode()),
        (b"access-control-allow-headers", CORS_HEADERS.encode()),
        (b"access-control-max-age", b"600"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _json_response(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
