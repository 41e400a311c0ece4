"""The web app: FastAPI (JSON API, OpenAI-compatible API, static embed files) with the Gradio
chat mounted beside it at ``/``. ``create_app`` builds it (tests use it); ``serve`` runs it.

    python -m assistant serve [--store ...] [--host H] [--port P]   # 127.0.0.1:7860
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from assistant.pipeline import Assistant
from core.errors import AssistantError
from core.pii import install_log_redaction
from core.settings import Settings, set_offline_environment
from ui.services import Services, error_status

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

    from ui.api import build_router
    from ui.chat import build_blocks
    from ui.openai_api import build_openai_router
    from ui.security import SecurityMiddleware

    services = Services.build(settings, assistant)
    # Open the store once, here, before request threads race to create the Chroma client.
    _ = services.assistant.store
    app = FastAPI(
        title="Council document assistant",
        version="0.1.0",
        description="Answers questions from council documents, with checked citations. "
        "Admin endpoints need `Authorization: Bearer <admin token>`.",
    )
    app.state.services = services
    app.add_exception_handler(AssistantError, _assistant_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.include_router(build_router(services))
    app.include_router(build_openai_router(services))
    app.mount("/embed", StaticFiles(directory=STATIC_DIR), name="embed")
    app.add_api_route(EMBED_PATH, lambda: RedirectResponse(f"{EMBED_PATH}/"), include_in_schema=False)
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
    app.add_middleware(SecurityMiddleware, policy=services.policy)
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


async def _assistant_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AssistantError)
    return JSONResponse({"detail": str(exc)}, status_code=error_status(exc))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    readable = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg', 'invalid')}"
        for e in errors
    )
    safe = [{k: e.get(k) for k in ("loc", "msg", "type")} for e in errors]
    return JSONResponse({"detail": f"invalid request: {readable}", "errors": safe}, status_code=422)


def serve(settings: Settings) -> None:
    """Run the app with uvicorn; the models load (and the index is read) before it listens."""
    import uvicorn

    set_offline_environment()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    assistant = Assistant(settings)
    log.info("loading models and the index from %s ...", settings.store)
    assistant.retrieve("warm up")  # fails fast with a clear StoreError when there is no index
    _ = assistant.backend
    app = create_app(settings, assistant)
    if not settings.ui.admin_token:
        log.info("no admin token configured: upload/delete/re-index are disabled")
    log.info("serving on http://%s:%s", settings.ui.host, settings.ui.port)
    uvicorn.run(app, host=settings.ui.host, port=settings.ui.port, log_level="info", proxy_headers=False)
