"""The officer chat in headless Chromium: streamed cited answers, citations, feedback,
refusals, keyboard-only use, escaping, the documents view and axe-core accessibility checks."""

from __future__ import annotations

import json
import sqlite3

import pytest
from webtest import ADMIN_TOKEN, LiveServer, out_of_view, run_axe, web_settings

from ui.render import PENDING_TEXT, REFUSAL_HEADING

pytestmark = [pytest.mark.slow, pytest.mark.integration]

ZERO_TRUST = "What is zero trust?"
QUESTION_BOX = "#question textarea"
LAST_ANSWER = "#chat [data-testid=bot] >> nth=-1"
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> [click me](javascript:window.__pwned=3) <b>bold</b>?'

RECORD_ANSWER_TEXTS = """() => {
    window.__answerTexts = [];
    const chat = document.querySelector('#chat');
    new MutationObserver(() => {
        const bots = chat.querySelectorAll('[data-testid=bot]');
        if (!bots.length) return;
        const text = bots[bots.length - 1].innerText;
        if (window.__answerTexts[window.__answerTexts.length - 1] !== text) window.__answerTexts.push(text);
    }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


def open_app(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector(QUESTION_BOX)


def ask(page, question: str) -> None:
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function(
        "() => /Answered with|don't answer|could not answer/.test(document.querySelector('#status').innerText)",
        timeout=60_000,
    )
    assert "could not answer" not in page.locator("#status").inner_text(), page.locator(
        LAST_ANSWER
    ).inner_text()


def feedback_rows(settings) -> list[tuple]:
    with sqlite3.connect(settings.ui.feedback_db) as db:
        return db.execute(
            "SELECT rating, reason, question, answer, citations, settings FROM feedback ORDER BY id"
        ).fetchall()


def test_cited_answer_streams_in_and_a_citation_opens(
    page, web_app, axe_source, output_dir
) -> None:
    url, _ = web_app
    open_app(page, url)
    assert run_axe(page, axe_source, "home", output_dir) == []
    page.screenshot(path=str(output_dir / "web-home.png"), full_page=True)

    page.evaluate(RECORD_ANSWER_TEXTS)
    ask(page, ZERO_TRUST)
    texts = page.evaluate("() => window.__answerTexts")
    shown = [t.strip() for t in texts if t.strip()]
    assert shown[0] == PENDING_TEXT  # the message appears at once, then fills in
    assert "Sources" in shown[-1] and "[1]" in shown[-1]
    assert page.locator("#status").inner_text().startswith("Answered with")
    assert (
        page.locator("#status").get_attribute("aria-live") == "polite"
    )  # screen readers announce it

    first = page.locator("#chat details.citation").first
    summary = first.locator("summary")
    assert summary.inner_text().startswith("[1] Zero trust architecture design principles")
    assert not first.locator("blockquote").is_visible()
    summary.click()
    assert first.get_attribute("open") is not None
    passage = first.locator("blockquote.passage")
    assert passage.is_visible() and "zero trust" in passage.inner_text().lower()
    meta = page.locator("#chat .source-meta").first.inner_text()
    assert meta.startswith("Zero trust architecture design principles (2021)")
    assert "National Cyber Security Centre" in meta and "Open Government Licence" in meta
    assert (
        page.locator("#chat .source-meta a").first.get_attribute("href")
        == "https://github.com/ukncsc/zero-trust-architecture"
    )
    page.screenshot(path=str(output_dir / "web-answer-citation-open.png"), full_page=True)
    assert run_axe(page, axe_source, "answer", output_dir) == []
    assert page.js_errors == []


def test_thumbs_down_with_a_reason_is_stored(page, web_app, axe_source, output_dir) -> None:
    url, settings = web_app
    open_app(page, url)
    ask(page, ZERO_TRUST)
    before = len(feedback_rows(settings))
    page.locator("#chat button[aria-label=Dislike]").last.click()
    reason = page.locator("#feedback-reason textarea")
    reason.wait_for(state="visible")
    assert "thumbs down is recorded" in page.locator("#status").inner_text()
    assert run_axe(page, axe_source, "feedback", output_dir) == []
    reason.fill("It should mention <b>least privilege</b>")
    page.click("#send-reason")
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('reason is recorded')"
    )
    page.screenshot(path=str(output_dir / "web-feedback.png"), full_page=True)

    rows = feedback_rows(settings)
    assert len(rows) == before + 1
    rating, why, question, answer, citations, snapshot = rows[-1]
    assert (rating, why, question) == (
        "down",
        "It should mention <b>least privilege</b>",
        ZERO_TRUST,
    )
    assert "zero trust" in answer.lower() and "[1]" in answer
    assert json.loads(citations)[0]["document_id"] == "ncsc-zero-trust-architecture-principles.md"
    assert json.loads(snapshot)["answer"]["backend"] == "extractive"

    page.locator("#chat button[aria-label=Like]").last.click()
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('thumbs up is recorded')"
    )
    assert feedback_rows(settings)[-1][0] == "up"


def test_refusal_is_shown_as_such_and_clear_empties_the_chat(page, web_app) -> None:
    url, _ = web_app
    open_app(page, url)
    ask(page, "What is the recipe for a Victoria sponge cake?")
    answer = page.locator(LAST_ANSWER).inner_text()
    assert answer.startswith(REFUSAL_HEADING) and "Closest documents" in answer
    closest = page.locator(LAST_ANSWER).locator("li").all_inner_texts()
    assert closest and all(answer.count(title) == 1 for title in closest)  # named once, not twice
    assert page.locator("#chat details.citation").count() == 0
    page.click("#clear-button")
    page.wait_for_function(
        "() => document.querySelector('#status').innerText.includes('new conversation')"
    )
    assert page.locator("#chat [data-testid=bot]").count() == 0


def test_example_question_fills_the_box(page, web_app) -> None:
    url, _ = web_app
    open_app(page, url)
    example = "What should we check before publishing open data?"
    page.get_by_text(example).click()
    page.wait_for_function(
        "(q) => document.querySelector('#question textarea').value === q", arg=example
    )


def _tab_to(page, test: str, key: str = "Tab", limit: int = 60) -> int:
    for presses in range(1, limit + 1):
        page.keyboard.press(key)
        if page.evaluate(test):
            return presses
    raise AssertionError(f"never reached {test} with {key}")


def test_keyboard_only(page, web_app, output_dir) -> None:
    url, _ = web_app
    open_app(page, url)
    _tab_to(page, "() => document.activeElement.closest('#question') !== null")
    page.keyboard.type(ZERO_TRUST)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat details.citation")
    # The chat sits above the question box: go back into it to the first citation.
    _tab_to(page, "() => document.activeElement.tagName === 'SUMMARY'", key="Shift+Tab")
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.parentElement.open") is True
    page.screenshot(path=str(output_dir / "web-keyboard-citation.png"), full_page=True)
    _tab_to(
        page, "() => document.activeElement.getAttribute('aria-label') === 'Dislike'", key="Tab"
    )
    page.keyboard.press("Enter")
    page.wait_for_selector("#feedback-reason textarea", state="visible")


def test_questions_render_as_inert_text(page, web_app) -> None:
    url, _ = web_app
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    open_app(page, url)
    ask(page, HOSTILE)
    shown = page.locator("#chat [data-testid=user]").last.inner_text()
    assert "<script>window.__pwned=1</script>" in shown and "javascript:window.__pwned=3" in shown
    assert "<b>bold</b>" in shown
    found = page.evaluate(
        """() => ({
            pwned: window.__pwned === undefined ? null : window.__pwned,
            tags: document.querySelectorAll('#chat script, #chat img, #chat b').length,
            js_links: [...document.querySelectorAll('#chat a')].filter(a => !/^https?:/.test(a.href)).length,
        })"""
    )
    assert found == {"pwned": None, "tags": 0, "js_links": 0}
    assert dialogs == []


def test_documents_view(page, web_app, axe_source, output_dir) -> None:
    url, _ = web_app
    open_app(page, url)
    page.get_by_role("tab", name="Documents").click()
    table = page.locator("#documents table")
    table.wait_for()
    assert table.locator("tbody tr").count() == 12
    headers = table.locator("thead th").all_inner_texts()
    assert headers == [
        "Title",
        "Publisher",
        "Year",
        "Licence",
        "Chunks",
        "Withheld",
        "Ingested",
        "Document id",
    ]
    row = table.locator("tbody tr", has_text="ncsc-zero-trust-architecture-principles.md")
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == "2021" and int(cells[3]) > 0 and cells[4] == "0" and cells[5][:2] == "20"
    assert page.get_by_label("Admin token").is_visible()  # a token is configured
    page.screenshot(path=str(output_dir / "web-documents.png"), full_page=True)
    assert run_axe(page, axe_source, "documents", output_dir) == []


def test_no_admin_secret_reaches_the_browser(page, web_app) -> None:
    url, _ = web_app
    responses = []
    page.on("response", lambda response: responses.append(response))
    open_app(page, url)
    ask(page, ZERO_TRUST)
    page.get_by_role("tab", name="Documents").click()
    page.locator("#documents table").wait_for()
    page.goto(url + "/chat/")
    page.wait_for_selector(QUESTION_BOX)
    page.goto(url + "/embed/embed-example.html")
    page.frame_locator("#assistant iframe").locator(QUESTION_BOX).wait_for()
    bodies = []
    for response in responses:
        if "event-stream" in response.headers.get("content-type", ""):
            continue  # open streams (the queue's) never end; what they carry is in the DOM
        try:
            bodies.append(response.text())
        except Exception:  # redirects and aborted requests have no body
            continue
    assert len(bodies) > 10
    assert all(ADMIN_TOKEN not in body for body in bodies)
    assert ADMIN_TOKEN not in page.content()


def test_chat_is_rate_limited_per_client(page, corpus_settings, corpus_assistant, tmp_path) -> None:
    from ui.app import create_app

    settings = web_settings(corpus_settings, tmp_path, rate_limit_per_minute=1)
    with LiveServer(create_app(settings, corpus_assistant)) as server:
        open_app(page, server.url)
        ask(page, ZERO_TRUST)
        page.fill(QUESTION_BOX, "What are the zero trust principles?")
        page.press(QUESTION_BOX, "Enter")
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('Too many questions')"
        )
        assert (
            out_of_view(page, ["#status", QUESTION_BOX, "#ask-button"]) == {}
        )  # the notice is seen
        assert page.locator("#chat [data-testid=bot]").count() == 1
        assert (
            page.input_value(QUESTION_BOX) == "What are the zero trust principles?"
        )  # kept to send later
