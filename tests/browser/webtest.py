"""Helpers for the browser tests: live servers, the browser's settings, axe-core."""

from __future__ import annotations

import functools
import http.server
import json
import secrets
import threading
from pathlib import Path

from servers import LiveServer, free_port  # noqa: F401  (the browser tests import them from here)

from core.settings import Settings, UISettings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
INSTALL_HINT = "run scripts/install-browser.sh (Debian chromium + axe-core from npm)"
ADMIN_TOKEN = "browser-admin-" + secrets.token_hex(8)


class StaticSite:
    """A plain file server: the 'intranet' that embeds the assistant from another origin."""

    def __init__(self, folder: Path, port: int | None = None) -> None:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.port = port or free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def web_settings(base: Settings, folder: Path, **ui) -> Settings:
    values = dict(
        admin_token=ADMIN_TOKEN,
        rate_limit_per_minute=1000,
        feedback_db=folder / "feedback.sqlite3",
        port=free_port(),  # the LiveServer listens there: the app's own origin
    )
    values.update(ui)
    return base.model_copy(update={"ui": UISettings(**values)})


IN_VIEW = """(selectors) => Object.fromEntries(selectors.map((s) => {
    const e = document.querySelector(s);
    if (!e) return [s, 'missing'];
    const r = e.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0
        && r.bottom <= window.innerHeight && r.right <= window.innerWidth;
    return [s, inside ? 'in view' : `box ${[r.left, r.top, r.right, r.bottom].map(Math.round)} outside ${innerWidth}x${innerHeight}`];
}))"""


def out_of_view(page_or_frame, selectors: list[str]) -> dict[str, str]:
    """The selectors whose bounding box is not wholly inside the (frame's) viewport, and why."""
    found = page_or_frame.evaluate(IN_VIEW, selectors)
    return {s: why for s, why in found.items() if why != "in view"}


def run_axe(page, axe_source: str, name: str, output_dir: Path) -> list[dict]:
    """axe-core's serious and critical violations on the page (the full report is saved)."""
    page.add_script_tag(content=axe_source)
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']},
            resultTypes: ['violations'],
        })"""
    )
    (output_dir / f"axe-{name}.json").write_text(json.dumps(result["violations"], indent=2))
    serious = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    return serious
