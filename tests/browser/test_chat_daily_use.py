"""Daily use of the chat in headless Chromium: [n] that opens its source with the quoted
sentence marked, sources grouped by document with the document's own link, clean copy and
export, a printable view, saved conversations across reloads and restarts, filters, and a layout
that keeps the question box and notices in view (desktop, phone, both embed modes)."""

from __future__ import annotations

import re

import pytest
from webtest import LiveServer, out_of_view, run_axe, web_settings

from ui.history import BROWSER_KEY

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
LAST_ANSWER = "#chat [data-testid=bot] >> nth=-1"
ZERO_TRUST = "What is zero trust?"
FOLLOW_UP = "What are its principles?"
DONE = "() => /Answered with|don't answer|could not answer|Not sent/.test(document.querySelector('#status').innerText)"
KEEP_IN_VIEW = [QUESTION_BOX, "#ask-button", "#status"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def open_app(page, url: str, path: str = "/") -> None:
    page.goto(url + path)
    page.wait_for_selector(QUESTION_BOX)
    page.wait_for_function(
        f"() => localStorage.getItem('{BROWSER_KEY}') !== null"
    )  # the chat restored


def ask(page, question: str) -> None:
    before = page.locator("#chat [data-testid=bot]").count()
    page.fill(QUESTION_BOX, question)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function(
        f"(n) => document.querySelectorAll('#chat [data-testid=bot]').length > n && ({DONE})()",
        arg=before,
        timeout=60_000,
    )
    assert "could not answer" not in page.locator("#status").inner_text()


def choose(page, dropdown: str, option) -> None:
    page.locator(f"{dropdown} input").click()
    page.locator(dropdown).get_by_role("option", name=option, exact=isinstance(option, str)).click()
    page.locator(f"{dropdown} input").press("Escape")


def asked(page) -> list[str]:
    return page.locator("#chat [data-testid=user]").all_inner_texts()


def test_a_number_opens_its_source_with_the_quoted_sentence_marked(
    page, web_app, axe_source, output_dir
) -> None:
    url, _ = web_app
    open_app(page, url)
    ask(page, ZERO_TRUST)
    answer = page.locator(LAST_ANSWER)
    markers = answer.locator("a.cite-ref")
    assert markers.count() >= 2
    last = markers.last
    n = last.inner_text().strip("[]")
    target = answer.locator(f"details.citation[id$='-source-{n}']")
    assert target.get_attribute("open") is None
    page.locator("#chat .bubble-wrap, #chat [role=log]").first.evaluate(
        "(e) => { e.scrollTop = 0; }"
    )
    last.click()
    assert target.get_attribute("open") is not None
    assert page.evaluate(
        "() => document.activeElement.closest('details').id"
    ) == target.get_attribute("id")
    chat_box, passage_box = page.locator("#chat").bounding_box(), target.bounding_box()
    assert (
        passage_box["y"] >= chat_box["y"] - 1
        and passage_box["y"] < chat_box["y"] + chat_box["height"]
    )  # scrolled to
    marked = target.locator("mark").all_inner_texts()
    assert marked, "the quoted sentence is marked inside the opened passage"
    sentences = [
        s for s in re.split(r"\s*\[\d+\]\.?\s*", answer.locator("p").first.inner_text()) if s
    ]
    assert any(" ".join(m.split())[:40] in " ".join(" ".join(sentences).split()) for m in marked)
    page.screenshot(path=str(output_dir / "daily-source-opened.png"))
    assert run_axe(page, axe_source, "daily-source-opened", output_dir) == []


def test_sources_are_grouped_by_document_with_its_own_link(page, web_app) -> None:
    url, _ = web_app
    open_app(page, url)
    ask(page, "How should a council manage the risks of using AI?")
    answer = page.locator(LAST_ANSWER)
    documents = answer.locator("li.source-doc")
    titles = documents.locator(".source-title").all_inner_texts()
    assert len(titles) == len(set(titles)) >= 1  # one entry per document
    passages = answer.locator("details.citation").count()
    assert passages == answer.locator("li.source-doc details.citation").count() >= len(titles)
    for href in answer.locator(".source-meta a").evaluate_all(
        "(links) => links.map((a) => a.href)"
    ):
        assert href.startswith("https://")
        assert not re.search(r"/(tree|commit)/[0-9a-f]{7,40}", href)  # not a repository commit
        if "github.com" in href and href.endswith(".md"):
            assert "/blob/" in href  # a file opens as the repository shows it


def test_copy_download_and_print_are_clean(page, web_app, axe_source, output_dir) -> None:
    url, _ = web_app
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url)
    open_app(page, url)
    ask(page, ZERO_TRUST)
    answer = page.locator(LAST_ANSWER)
    answer.get_by_role("button", name="Copy", exact=True).click()
    page.wait_for_function(
        "() => document.querySelector('#answer-action-status')?.textContent.includes('Copied')"
    )
    text = page.evaluate("() => navigator.clipboard.readText()")
    assert text.startswith(f"Question: {ZERO_TRUST}\n\nZero trust")
    assert (
        "\nSources:\n  Zero trust architecture design principles (2021). National Cyber Security Centre"
        in text
    )
    assert "  https://github.com/ukncsc/zero-trust-architecture\n    [1] " in text
    for raw in ("\\[", "<details", "<a ", "&lt;", "**"):
        assert raw not in text, raw

    answer.get_by_role("button", name="Copy as Markdown").click()
    page.wait_for_function(
        "() => document.querySelector('#answer-action-status')?.textContent.includes('Markdown')"
    )
    markdown = page.evaluate("() => navigator.clipboard.readText()")
    assert f"**Question:** {ZERO_TRUST}" in markdown and "**Sources**" in markdown
    assert (
        "- [Zero trust architecture design principles (2021)](<https://github.com/ukncsc/zero-trust-architecture>)"
        in markdown
    )
    assert re.search(r'\n  - \[1\] .+: ".+"', markdown)  # each passage with the sentence it gave
    assert "<details" not in markdown and "\\[1\\]" not in markdown

    with page.expect_download() as download:
        answer.get_by_role("button", name="Download").click()
    assert download.value.suggested_filename == "answer-what-is-zero-trust.md"
    assert open(download.value.path(), encoding="utf-8").read() == markdown

    with page.context.expect_page() as popup:
        answer.get_by_role("button", name="Print").click()
    view = popup.value
    view.wait_for_selector("main h1")
    assert view.title() == f"Answer: {ZERO_TRUST}"
    assert view.locator(".question").inner_text() == f"Question: {ZERO_TRUST}"
    assert (
        view.locator("details").count() == view.locator("details[open]").count() >= 1
    )  # all passages shown
    assert view.locator("mark").count() >= 1 and view.locator("button, pre").count() == 0
    view.emulate_media(media="print")
    view.screenshot(path=str(output_dir / "daily-printable-view.png"), full_page=True)
    assert run_axe(view, axe_source, "daily-printable-view", output_dir) == []


def test_conversations_survive_reload_and_restart_and_stay_private(
    browser, corpus_settings, corpus_assistant, tmp_path, axe_source, output_dir
) -> None:
    from ui.app import create_app

    settings = web_settings(corpus_settings, tmp_path)
    port = settings.ui.port  # the origin the app trusts (see OriginPolicy)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    with LiveServer(create_app(settings, corpus_assistant), port=port) as server:
        open_app(page, server.url)
        ask(page, ZERO_TRUST)
        ask(page, FOLLOW_UP)
        page.reload()
        page.wait_for_function(
            "() => document.querySelectorAll('#chat [data-testid=bot] details.citation').length > 0"
        )
        assert asked(page) == [ZERO_TRUST, FOLLOW_UP]  # the conversation is back after a reload
        page.click("#clear-button")
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('new conversation')"
        )
        assert asked(page) == []
        ask(page, "What should we check before publishing open data?")

    with LiveServer(create_app(settings, corpus_assistant), port=port) as server:  # a restart
        open_app(page, server.url)
        page.wait_for_function(
            "() => document.querySelectorAll('#chat [data-testid=user]').length === 1"
        )
        assert asked(page) == ["What should we check before publishing open data?"]
        page.get_by_text("Your conversations").click()
        saved = page.locator("#saved-conversations label")
        saved.first.wait_for()
        labels = saved.all_inner_texts()
        assert (
            len(labels) == 2
            and labels[0].startswith("What should we check")
            and labels[1].startswith(f"{ZERO_TRUST} (2 questions")
        )
        page.screenshot(path=str(output_dir / "daily-conversations.png"))
        assert run_axe(page, axe_source, "daily-conversations", output_dir) == []
        saved.nth(1).click()
        page.click("#open-conversation")
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('Reopened')"
        )
        assert asked(page) == [ZERO_TRUST, FOLLOW_UP]
        ask(page, "Which principle is about identity?")  # a follow-up in the reopened conversation
        assert (
            page.locator("#saved-conversations label")
            .first.inner_text()
            .startswith(f"{ZERO_TRUST} (3 questions")
        )

        stranger = browser.new_context(viewport=DESKTOP).new_page()  # another browser: sees nothing
        open_app(stranger, server.url)
        stranger.get_by_text("Your conversations").click()
        stranger.wait_for_timeout(500)
        assert asked(stranger) == [] and stranger.locator("#saved-conversations label").count() == 0
        stranger.context.close()

        page.locator("#saved-conversations label").first.click()
        page.click("#delete-conversation")
        page.wait_for_function(
            "() => document.querySelector('#status').innerText.includes('deleted')"
        )
        assert asked(page) == []  # the open conversation was the one deleted
        open_app(page, server.url)  # reloaded
        page.get_by_text("Your conversations").click()
        page.locator("#saved-conversations label").first.wait_for()
        assert [
            t.split(" (")[0] for t in page.locator("#saved-conversations label").all_inner_texts()
        ] == ["What should we check before publishing open data?"]
    context.close()


def test_filters_in_the_ask_tab(page, web_app, axe_source, output_dir) -> None:
    url, _ = web_app
    open_app(page, url)
    page.get_by_text("Filter the documents").click()
    choose(page, "#filter-publisher", "National Cyber Security Centre (NCSC), UK")
    page.screenshot(path=str(output_dir / "daily-filters.png"))
    assert run_axe(page, axe_source, "daily-filters", output_dir) == []
    ask(page, "How should each request for access be checked?")
    assert (
        "searched only publisher 'National Cyber Security Centre (NCSC), UK'"
        in page.locator("#status").inner_text()
    )
    metas = page.locator(LAST_ANSWER).locator(".source-meta").all_inner_texts()
    assert metas and all("National Cyber Security Centre" in m for m in metas)

    page.click("#clear-filters")
    choose(page, "#filter-documents", re.compile(r"\(govuk-service-standard\.md\)"))
    ask(page, "What should service teams do about accessibility?")
    titles = page.locator(LAST_ANSWER).locator(".source-title").all_inner_texts()
    assert titles and all(t.startswith("Service Standard") for t in titles)

    page.click("#clear-filters")
    choose(page, "#filter-year-from", "2022")
    choose(page, "#filter-year-to", "2021")
    page.fill(QUESTION_BOX, ZERO_TRUST)
    page.press(QUESTION_BOX, "Enter")
    page.wait_for_function("() => document.querySelector('#status').innerText.includes('Not sent')")
    assert "'from' year is after the 'to' year" in page.locator("#status").inner_text()
    choose(page, "#filter-year-to", "2025")
    ask(page, "What does the Cyber Assessment Framework say about risk management?")
    years = page.locator(LAST_ANSWER).locator(".source-title").all_inner_texts()
    assert years and all(
        re.search(r"\((2022|2025)\)$", t) for t in years
    )  # only 2022-2025 documents


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_question_box_and_notices_stay_in_view(browser, web_app, viewport, output_dir) -> None:
    url, _ = web_app
    page = browser.new_page(viewport=viewport)
    open_app(page, url)
    assert out_of_view(page, KEEP_IN_VIEW) == {}
    ask(page, ZERO_TRUST)
    ask(page, FOLLOW_UP)  # a long conversation scrolls inside its own box
    assert out_of_view(page, KEEP_IN_VIEW) == {}
    page.locator("#chat button[aria-label=Dislike]").last.click()
    page.locator("#feedback-reason textarea").wait_for(state="visible")
    assert "thumbs down is recorded" in page.locator("#status").inner_text()
    assert out_of_view(page, [*KEEP_IN_VIEW, "#feedback-reason textarea", "#send-reason"]) == {}
    page.screenshot(
        path=str(output_dir / f"daily-layout-{viewport['width']}x{viewport['height']}.png")
    )
    page.close()


def ask_in_widget(iframe, mode: str) -> None:
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector(QUESTION_BOX)
    ask(frame, ZERO_TRUST)
    assert out_of_view(frame, KEEP_IN_VIEW) == {}, mode


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_embedded_chat_keeps_the_question_box_in_view(
    browser, web_app, viewport, output_dir
) -> None:
    url, _ = web_app
    page = browser.new_page(viewport=viewport)
    page.goto(url + "/embed/embed-example.html")
    inline = page.locator("#assistant iframe")
    inline.scroll_into_view_if_needed()
    ask_in_widget(inline, "inline, 560 px")
    page.screenshot(path=str(output_dir / f"daily-embed-inline-{viewport['width']}.png"))

    page.get_by_role("button", name="Ask the document assistant").click()
    panel = page.locator("section[aria-label='Council document assistant'] iframe")
    panel.wait_for()
    ask_in_widget(panel, "panel")
    box = panel.bounding_box()
    assert (
        box["y"] >= 0
        and box["y"] + box["height"] <= viewport["height"]
        and box["x"] + box["width"] <= viewport["width"]
    )
    page.screenshot(path=str(output_dir / f"daily-embed-panel-{viewport['width']}.png"))
    page.close()


def test_openai_client_gets_sources_grouped_by_document(web_app) -> None:
    from openai import OpenAI

    url, _ = web_app
    client = OpenAI(base_url=url + "/v1", api_key="not-needed", max_retries=0)
    reply = client.chat.completions.create(
        model="council-assistant", messages=[{"role": "user", "content": ZERO_TRUST}]
    )
    content = reply.choices[0].message.content
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "[1]" in answer
    lines = sources.splitlines()
    assert (
        lines[0]
        == "  Zero trust architecture design principles (2021). National Cyber Security Centre (NCSC), UK."
    )
    assert lines[1] == "  https://github.com/ukncsc/zero-trust-architecture"
    assert (
        lines[2].startswith("    [1] ")
        and sum(line.startswith("  Zero trust architecture") for line in lines) == 1
    )
