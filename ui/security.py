"""Who may call the app: allowed origins, a per-client rate limit, and the admin token.

Same-origin is judged against the origins the app is configured to be reached at (its host and
port, and ``allowed_origins``), never against the request's own ``Host`` header: a page on
``evil.example`` that resolves its name to this server (DNS rebinding) sends ``Host`` and
``Origin`` that agree with each other, and must still be refused. The ASGI middleware that
applies these rules lives in ``ui/middleware.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}
DEFAULT_PORTS = {"http": 80, "https": 443}
SESSION_COOKIE = "assistant_admin"
SESSION_SECONDS = 8 * 3600


class AdminError(Exception):
    """An admin action was refused; ``status`` is the HTTP status that says why."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def normalise_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; None when malformed.

    An Origin header is exactly a scheme, a host and an optional port: anything with a path,
    credentials, a query, a bad port or another scheme is not one and is refused."""
    origin = origin.strip().rstrip("/").lower()
    if origin == "null":
        return origin
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:  # "http://127.0.0.1:7871.evil.example", "http://h:99999"
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path or parts.query:
        return None
    if parts.username is not None or parts.fragment or any(c in origin for c in " \t\\"):
        return None
    host = parts.hostname
    if ":" in host:  # IPv6: brackets back on
        host = f"[{host}]"
    port_part = f":{port}" if port is not None and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{port_part}"


def own_origins(host: str, port: int) -> set[str]:
    """The origins a server bound to ``host:port`` is reached at, without a proxy in front.

    Bound to a loopback address it answers to every loopback name; bound to every interface
    (0.0.0.0) also to this machine's name. Any other name (a proxy, a DNS alias) must be
    listed in ``allowed_origins``."""
    host = host.strip().lower()
    names: list[str] = []
    if host in WILDCARD_HOSTS:
        names = [*LOOPBACK_NAMES, socket.gethostname().lower()]
    elif _is_loopback(host):
        names = list(LOOPBACK_NAMES)
    else:
        names = [f"[{host}]" if ":" in host and not host.startswith("[") else host]
    found = {normalise_origin(f"http://{name}:{port}") for name in names}
    return {o for o in found if o}


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class OriginPolicy:
    """The app's own origins always; other origins only when listed in ``allowed_origins``."""

    def __init__(self, allowed_origins: Iterable[str] = (), own: Iterable[str] = ()) -> None:
        self.own = {o for o in map(normalise_origin, own) if o and o != "null"}
        listed = {normalise_origin(o) for o in allowed_origins if o.strip()}
        self.allowed = {o for o in listed if o} - self.own

    @classmethod
    def from_settings(cls, ui: Any) -> OriginPolicy:
        return cls(ui.allowed_origins, own_origins(ui.host, ui.port))

    def decide(self, origin: str | None) -> str:
        """'same' (or no Origin header), 'cross' (an allowed other origin), or 'refused'."""
        if origin is None:
            return "same"
        wanted = normalise_origin(origin)
        if wanted is None:
            return "refused"
        if wanted in self.own:
            return "same"
        if wanted in self.allowed:
            return "cross"
        return "refused"

    def frame_ancestors(self) -> str:
        return " ".join(["'self'", *sorted(o for o in self.allowed if o != "null")])

    def content_security_policy(self) -> str:
        """A CSP the Gradio app, Swagger UI and Redoc work under: everything from this origin.

        Gradio writes its config and our ARIA helper as inline scripts, compiles the ``js=``
        of events with ``new Function`` and styles its components inline, hence
        'unsafe-inline' and 'unsafe-eval' for scripts (every string we render is escaped, see
        ``ui/render.py``). What the policy still holds: nothing loads from or talks to another
        origin (no beacons, no exfiltration), no plugins, no <base> or form hijack, and only
        the allow-listed pages may frame the app. Redoc runs its search in a blob: worker."""
        return "; ".join(
            [
                "default-src 'self'",
                "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
                "style-src 'self' 'unsafe-inline'",
                "img-src 'self' data: blob:",
                "font-src 'self' data:",
                "connect-src 'self'",
                "media-src 'self' data: blob:",
                "worker-src 'self' blob:",
                "frame-src 'self'",
                "object-src 'none'",
                "base-uri 'self'",
                "form-action 'self'",
                f"frame-ancestors {self.frame_ancestors()}",
            ]
        )


class RateLimiter:
    """At most ``per_minute`` hits per client key in any 60-second window (0 or less: no limit)."""

    def __init__(
        self, per_minute: int, window_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
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
                for stale in [
                    k for k, v in self._hits.items() if not v or now - v[-1] >= self.window_s
                ]:
                    del self._hits[stale]
            return None


class AdminGuard:
    """Admin actions need the token from config; with no token configured they are disabled.

    A browser that has shown the token once gets a session cookie (signed with a key that
    lives only in this process), so that uploads, which Gradio sends before any event runs,
    can be checked without the token travelling in every request."""

    def __init__(self, token: str | None, clock: Callable[[], float] = time.time) -> None:
        self._token = token or None
        self._key = secrets.token_bytes(32)
        self._clock = clock

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

    def new_session(self) -> str:
        expires = str(int(self._clock()) + SESSION_SECONDS)
        return f"{expires}.{self._sign(expires)}"

    def session_valid(self, value: str | None) -> bool:
        if not self.enabled or not value:
            return False
        expires, _, signature = value.partition(".")
        if not expires.isdigit() or not hmac.compare_digest(signature, self._sign(expires)):
            return False
        return int(expires) > self._clock()

    def _sign(self, text: str) -> str:
        return hmac.new(self._key, text.encode(), hashlib.sha256).hexdigest()


def client_key(client: tuple[str, int] | Any | None) -> str:
    """The rate-limit key: the peer address (a proxy in front should set its own limits)."""
    if client is None:
        return "unknown"
    host = getattr(client, "host", None)
    if host is None and isinstance(client, tuple | list) and client:
        host = client[0]
    return str(host or "unknown")
