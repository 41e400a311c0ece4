"""The chat when the `chroma run` server behind it stops: a message in the conversation, not a
spinner stuck on "Searching the documents...", and answers again once the server is back."""

from __future__ import annotations

import pytest
from servers import ChromaServer
from webtest import LiveServer, run_axe, web_settings

from ui.render import PENDING_TEXT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
LAST_ANSWER = "#chat [data-testid=bot] >> nth=-1"
QUESTION = "What does techUK say about smart cities?"


def ask(page, question: str, wanted: str) -> str:
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function(
        "(w) => new RegExp(w).test(document.querySelector('#status').innerText)",
        arg=wanted,
        timeout=60_000,
    )
    return page.locator(LAST_ANSWER).inner_text()


def test_chat_says_the_store_is_unavailable_and_recovers(
    page, tmp_path, corpus_dir, embedder, axe_source, output_dir
) -> None:
    from assistant.pipeline import Assistant
    from core.settings import Settings
    from index.ingest import ingest
    from ui.app import create_app

    chroma = ChromaServer(tmp_path / "chroma").start()
    try:
        ingest(
            [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
            Settings(store=chroma.url),
            embedder_factory=lambda: embedder,
        )
        settings = web_settings(Settings(store=chroma.url, store_timeout_s=3), tmp_path)
        with LiveServer(create_app(settings, Assistant(settings, embedder=embedder))) as server:
            page.goto(server.url + "/")
            page.wait_for_selector(QUESTION_BOX)
            assert "[1]" in ask(page, QUESTION, "Answered with")

            chroma.stop()
            message = ask(page, QUESTION, "could not answer")
            assert "the document store is unavailable" in message and PENDING_TEXT not in message
            assert "Traceback" not in page.content()
            page.screenshot(path=str(output_dir / "chat-store-down.png"), full_page=True)
            assert run_axe(page, axe_source, "chat-store-down", output_dir) == []

            chroma.start()
            assert "[1]" in ask(page, QUESTION, "Answered with")
            assert page.js_errors == []  # type: ignore[attr-defined]
    finally:
        chroma.stop()
