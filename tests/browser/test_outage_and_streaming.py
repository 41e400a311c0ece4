"""The chat when its own server goes away, and an answer that shows while it is written.

The assistant runs as a real ``python -m assistant serve`` process that the tests kill (SIGKILL:
no goodbye to the browser) and start again on the same port. Its answers come from an
OpenAI-compatible stand-in that holds its stream open until the test releases it
(``gated_llm.py``), so "mid-answer" is a state the test waits for, not a moment it guesses.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from gated_llm import GatedLLM
from servers import ROOT, free_port, stop_process
from webtest import out_of_view

from core.settings import Settings
from ui.render import PENDING_TEXT

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
LAST_ANSWER = "#chat [data-testid=bot] >> nth=-1"
OUTAGE = "The assistant could not be reached. Your question is kept: press Ask to try again."
BACK = "The assistant is back. Your question is kept: press Ask to send it."
ZERO_TRUST = "What is zero trust?"
SECOND = "How should each request for access be checked?"
ANSWERED = "() => /Answered with/.test(document.querySelector('#status').innerText)"
PARTIAL_SHOWN = f"""() => {{
    const bots = document.querySelectorAll('#chat [data-testid=bot]');
    const last = bots[bots.length - 1];
    return !!last && !!last.querySelector('.answer-pending') && !last.innerText.includes({PENDING_TEXT!r})
        && last.innerText.includes('[1]');
}}"""
OUTAGE_WITHIN_MS = 10_000


class AppProcess:
    """``python -m assistant serve`` on a fixed port: killed and started again by the test."""

    def __init__(self, store: Path, llm_url: str, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            os.environ,
            ASSISTANT_ANSWER__BACKEND="openai",
            ASSISTANT_ANSWER__BASE_URL=llm_url,
            ASSISTANT_ANSWER__TIMEOUT_S="300",
            ASSISTANT_UI__RATE_LIMIT_PER_MINUTE="1000",
            ASSISTANT_UI__FEEDBACK_DB=str(folder / "feedback.sqlite3"),
            PYTHONPATH=str(ROOT),
        )
        self.store = store
        self.log = folder / "serve.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> AppProcess:
        command = [
            sys.executable,
            "-m",
            "assistant",
            "serve",
            "--store",
            str(self.store),
            "--port",
            str(self.port),
        ]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"serve exited with {self.process.returncode}: {self.log.read_text()[-2000:]}"
                )
            try:
                if httpx.get(self.url + "/healthz", timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"serve did not start on {self.url}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_process(self.process)


@pytest.fixture(scope="module")
def zero_trust_store(tmp_path_factory, corpus_dir, embedder) -> Path:
    from index.ingest import ingest

    store = tmp_path_factory.mktemp("outage-store")
    document = corpus_dir / "ncsc-zero-trust-architecture-principles.md"
    report = ingest([document], Settings(store=str(store)), embedder_factory=lambda: embedder)
    assert not report.skipped
    return store


@pytest.fixture
def llm():
    with GatedLLM() as server:
        yield server


@pytest.fixture
def app(zero_trust_store, llm, tmp_path):
    process = AppProcess(zero_trust_store, llm.url, tmp_path).start()
    yield process
    llm.release()
    process.stop()


def open_chat(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector(QUESTION_BOX)


def send(page, question: str) -> None:
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")


def asked(page) -> list[str]:
    return page.locator("#chat [data-testid=user]").all_inner_texts()


def wait_for_outage(page) -> float:
    started = time.monotonic()
    page.wait_for_function(
        "(m) => document.querySelector('#status').innerText.includes(m)",
        arg=OUTAGE,
        timeout=OUTAGE_WITHIN_MS,
    )
    return time.monotonic() - started


def recover(page, app: AppProcess, llm: GatedLLM, question: str) -> None:
    """Start the server again: the page comes back by itself, the question still in the box."""
    llm.release()
    app.start()
    page.wait_for_function(
        "(m) => document.querySelector('#status')?.innerText.includes(m)", arg=BACK, timeout=60_000
    )
    assert page.input_value(QUESTION_BOX) == question
    page.click("#ask-button")
    page.wait_for_function(ANSWERED, timeout=120_000)


def test_the_answer_shows_sentence_by_sentence_as_the_model_writes(
    page, app, llm, output_dir
) -> None:
    open_chat(page, app.url)
    send(page, ZERO_TRUST)
    page.wait_for_function(PARTIAL_SHOWN, timeout=120_000)  # the model is held mid-answer
    assert llm.holding.is_set()
    partial = page.locator(LAST_ANSWER).inner_text().strip()
    assert "Answered" not in page.locator("#status").inner_text()
    page.screenshot(path=str(output_dir / "streaming-partial-answer.png"))
    llm.release()
    page.wait_for_function(ANSWERED, timeout=120_000)
    final = page.locator(LAST_ANSWER).inner_text().strip()
    assert final.startswith(partial) and len(final) > len(partial)  # nothing shown was taken back
    assert page.locator(LAST_ANSWER).locator(".answer-pending").count() == 0


def test_the_server_stopped_mid_answer(page, app, llm, output_dir) -> None:
    open_chat(page, app.url)
    send(page, ZERO_TRUST)
    page.wait_for_function(PARTIAL_SHOWN, timeout=120_000)
    app.kill()
    assert wait_for_outage(page) * 1000 < OUTAGE_WITHIN_MS
    assert (
        page.locator(LAST_ANSWER).inner_text().strip() == OUTAGE
    )  # the bubble says it, not "Searching"
    assert page.locator("#status").inner_text().strip() == OUTAGE
    assert page.input_value(QUESTION_BOX) == ZERO_TRUST
    assert out_of_view(page, ["#status", QUESTION_BOX, "#ask-button"]) == {}
    page.screenshot(path=str(output_dir / "outage-mid-answer.png"))
    llm.close_gate()
    recover(page, app, llm, ZERO_TRUST)
    assert asked(page)[-1] == ZERO_TRUST and asked(page).count(ZERO_TRUST) == 1
    page.screenshot(path=str(output_dir / "outage-mid-answer-recovered.png"))


def test_the_server_stopped_between_questions(page, app, llm, output_dir) -> None:
    llm.release()  # answers flow freely
    open_chat(page, app.url)
    send(page, ZERO_TRUST)
    page.wait_for_function(ANSWERED, timeout=120_000)
    app.kill()
    send(page, SECOND)
    wait_for_outage(page)
    status = page.locator("#status").inner_text()
    assert status.strip() == OUTAGE and "Answered" not in status  # no stale "Answered"
    assert page.input_value(QUESTION_BOX) == SECOND
    page.screenshot(path=str(output_dir / "outage-between-questions.png"))
    recover(page, app, llm, SECOND)
    assert asked(page) == [ZERO_TRUST, SECOND]
