"""Real servers and a real browser for the web app tests.

The app runs under uvicorn on 127.0.0.1 (a free port, in a thread) over the shared corpus
store; Playwright drives Debian's chromium (``scripts/install-browser.sh`` installs it and
axe-core; never ``playwright install``). A second plain HTTP server plays the intranet page
on another origin, for the embedding tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webtest import AXE, CHROMIUM, CHROMIUM_ARGS, INSTALL_HINT, LiveServer, free_port, web_settings

from core.settings import Settings


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is not installed at {AXE}: {INSTALL_HINT}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request, output_dir):
    """A fresh page; on failure a screenshot lands in test-output/ for whoever debugs it."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    if getattr(request.node, "failed", False):
        page.screenshot(path=str(output_dir / f"FAILED-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        item.failed = True


@pytest.fixture(scope="module")
def intranet_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def web_app(
    corpus_settings, corpus_assistant, tmp_path_factory, intranet_port
) -> Iterator[tuple[str, Settings]]:
    """The app over the shared corpus store; the 'intranet' on 127.0.0.1:intranet_port may embed it."""
    from ui.app import create_app

    settings = web_settings(
        corpus_settings,
        tmp_path_factory.mktemp("web"),
        allowed_origins=[f"http://127.0.0.1:{intranet_port}"],
    )
    with LiveServer(create_app(settings, corpus_assistant)) as server:
        yield server.url, settings
