"""The web app: FastAPI (JSON API, OpenAI-compatible API, static embed files) with the Gradio
chat mounted beside it at ``/``. ``create_app`` builds it (tests use it); ``serve`` runs it.

    python -m assistant serve [--store ...] [--host H] [--port P] [--workers N]   # 127.0.0.1:7860

``/docs`` (Swagger UI) and ``/redoc`` use the copies of their scripts that ship in the
``fastapi-offline`` wheel, so they work on an intranet with no way out.
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from assistant.pipeline import Assistant
from core.errors import ServeError
from core.pii import install_log_redaction
from core.settings import Settings, set_offline_environment
from ui.services import Services
from ui.warmup import warm_up_in_background

STATIC_DIR = Path(__file__).resolve().parent / "static"
EMBED_PATH = "/chat"
log = logging.getLogger("ui")

CSS = (STATIC_DIR / "app.css").read_text(encoding="utf-8")
# The chat's own script (live status regions, [n] that opens its source, Copy/Download/Print),
# inlined so it also runs under /chat/ and behind a proxy's path prefix.
HEAD_SCRIPT = (STATIC_DIR / "chat.js").read_text(encoding="utf-8")
HEAD = (
    '<meta name="description" content="Answers from council documents, with checked citations.">\n'
    f"<script>\n{HEAD_SCRIPT}</script>"
)


def create_app(settings: Settings, assistant: Assistant | None = None) -> FastAPI:
    """The whole app around one shared ``Assistant`` (built from ``settings`` when not given)."""
    set_offline_environment()
    if settings.privacy.redact_personal_data:
        install_log_redaction()  # questions and reasons reach the logs in error messages
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    import gradio as gr
    from fastapi_offline import FastAPIOffline

    from ui.api import build_router
    from ui.chat import build_blocks
    from ui.errors import install_error_handlers
    from ui.gaps.routes import build_gaps_router
    from ui.middleware import BodyLimits, SecurityMiddleware
    from ui.openai_api import build_openai_router

    services = Services.build(settings, assistant)
    # Open the store once, here, before request threads race to create the Chroma client.
    _ = services.assistant.store
    warm_up_in_background(services.assistant)
    app: FastAPI = FastAPIOffline(
        title="Council document assistant",
        version="0.1.0",
        description="Answers questions from council documents, with checked citations. "
        "Admin endpoints need `Authorization: Bearer <admin token>`. For programs, use "
        "`POST /api/ask` or the OpenAI-compatible `POST /v1/chat/completions`.",
        static_url="/docs-assets",
    )
    app.state.services = services
    install_error_handlers(app)
    app.include_router(build_router(services))
    app.include_router(build_openai_router(services))
    app.include_router(build_gaps_router(services))
    app.mount("/embed", StaticFiles(directory=STATIC_DIR), name="embed")
    app.add_api_route(
        EMBED_PATH, lambda: RedirectResponse(f"{EMBED_PATH}/"), include_in_schema=False
    )
    options: dict[str, Any] = {
        "footer_links": [],
        "ssr_mode": False,
        "pwa": False,
        "mcp_server": False,
        "enable_monitoring": False,
        "max_file_size": f"{settings.ingest.max_file_mb:g}mb",
        "theme": _theme(gr),
        "css": CSS,
        "head": HEAD,
    }
    # The chat alone for the intranet widget first, so "/" does not swallow "/chat".
    gr.mount_gradio_app(app, build_blocks(services, embedded=True), path=EMBED_PATH, **options)
    gr.mount_gradio_app(app, build_blocks(services), path="/", **options)
    app.add_middleware(
        SecurityMiddleware,
        policy=services.policy,
        guard=services.guard,
        limits=BodyLimits.from_settings(settings.ui),
    )
    return app


def _theme(gr: Any) -> Any:
    """Gradio's default theme with colours dark enough for WCAG AA contrast."""
    theme = gr.themes.Default(primary_hue=gr.themes.colors.blue, neutral_hue=gr.themes.colors.gray)
    return theme.set(
        button_primary_background_fill="*primary_700",
        button_primary_background_fill_hover="*primary_800",
        button_primary_background_fill_dark="*primary_700",
        button_primary_background_fill_hover_dark="*primary_800",
        button_primary_text_color="white",
        button_primary_text_color_dark="white",
        button_cancel_background_fill="#b91c1c",
        button_cancel_background_fill_hover="#991b1b",
        button_cancel_background_fill_dark="#b91c1c",
        button_cancel_background_fill_hover_dark="#991b1b",
        button_cancel_text_color="white",
        button_cancel_text_color_dark="white",
    )


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the address (not yet listening) before the models load: a busy port fails at once."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ServeError(
                f"port {port} on {host} is already in use (is the assistant already running?);"
                " stop that server or choose another port with --port"
            ) from None
        raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def worker_app() -> FastAPI:
    """The app factory each of several workers runs (``serve --workers N``; ui/workers.py)."""
    from ui.workers import WORKERS_ENV, share_cores, worker_settings

    set_offline_environment()
    settings = worker_settings()
    share_cores(int(os.environ.get(WORKERS_ENV) or 1))
    assistant = Assistant(settings)
    assistant.retrieve("warm up")
    _ = assistant.backend
    return create_app(settings, assistant)


def serve(settings: Settings, workers: int = 1) -> None:
    """Run the app with uvicorn; the models load (and the index is read) before it listens.
    With ``workers`` > 1, that many processes share the socket and the store."""
    set_offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sock = bind_socket(settings.ui.host, settings.ui.port)
    try:
        if workers > 1:
            from index.store import open_store
            from ui.workers import serve_workers

            open_store(settings).documents()  # no index: one clear error here, not one per worker
            serve_workers(settings, workers, sock, settings.ui.shutdown_grace_s)
            return
        assistant = Assistant(settings)
        log.info("loading models and the index from %s ...", settings.store)
        assistant.retrieve("warm up")  # fails fast with a clear StoreError when there is no index
        _ = assistant.backend
        app = create_app(settings, assistant)
        if not settings.ui.admin_token:
            log.info("no admin token configured: upload/delete/re-index are disabled")
        grace = settings.ui.shutdown_grace_s
        config = uvicorn.Config(
            app,
            log_level="info",
            proxy_headers=False,
            timeout_graceful_shutdown=max(1, round(grace)),
        )
        log.info("serving on http://%s:%s", settings.ui.host, settings.ui.port)
        BoundedShutdownServer(config, grace).run(sockets=[sock])
    finally:
        sock.close()


class BoundedShutdownServer(uvicorn.Server):
    """uvicorn's server, but SIGTERM ends the process within seconds whatever is running.

    uvicorn waits ``grace_s`` for running requests, then cancels them; a request running in
    a worker thread (an ingest, an upload) cannot be cancelled, and the interpreter would
    wait for it at exit. So a signal also arms a deadline: a timer thread that exits the
    process, and behind it an alarm the kernel acts on even while a thread holds the GIL."""

    def __init__(self, config: uvicorn.Config, grace_s: float) -> None:
        super().__init__(config)
        self.grace_s = grace_s

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        _exit_deadline(self.grace_s + 3.0)


def _exit_deadline(seconds: float) -> None:
    timer = threading.Timer(seconds, lambda: os._exit(128 + signal.SIGTERM))
    timer.daemon = True
    timer.start()
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(int(seconds) + 3)
