"""The latest answer opens at its first line (desktop, phone, both embed modes), is announced
politely, filters and saved conversations are in reach, and a rewritten follow-up shows what
was searched for, which the officer can correct and search again."""

from __future__ import annotations

import pytest
from webtest import out_of_view

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
ZERO_TRUST = "What is zero trust?"
FOLLOW_UP = "What are its principles?"
EDITED = "What are the zero trust architecture design principles?"
DONE = "() => /Answered with|don't answer|could not answer|Not sent/.test(document.querySelector('#status').innerText)"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# Where the latest answer is: its box, the chat box's, the viewport's height, and whether its
# first line is what the reader sees there (not covered by the chat's label or anything else).
LATEST = """() => {
    const bots = document.querySelectorAll('#chat [data-testid=bot]');
    const answer = bots[bots.length - 1];
    const box = answer.getBoundingClientRect();
    const chat = document.querySelector('#chat').getBoundingClientRect();
    const seen = document.elementFromPoint(box.left + 24, box.top + 14);
    return {top: box.top, bottom: box.bottom, chatTop: chat.top, chatBottom: chat.bottom,
            height: innerHeight, firstLineSeen: !!seen && answer.contains(seen)};
}"""


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


def assert_opens_at_first_line(page, where: str, long: bool = True) -> None:
    page.wait_for_function(
        "() => (document.querySelector('#answer-announcer')?.textContent || '').startsWith('Answer: ')"
    )
    page.wait_for_timeout(300)  # a frame for the last scroll (asserted below, not assumed)
    box = page.evaluate(LATEST)
    assert box["chatTop"] <= box["top"] <= box["chatBottom"] - 40, (
        where,
        box,
    )  # its top inside the chat box
    assert 0 <= box["top"] <= box["height"] - 40, (where, box)  # and inside the viewport
    assert box["firstLineSeen"], (where, box)
    if long:
        assert box["bottom"] > box["chatBottom"], (
            where,
            box,
        )  # its end is further down: not scrolled to it
    announcer = page.locator("#answer-announcer")
    assert (
        announcer.get_attribute("aria-live") == "polite"
        and announcer.get_attribute("role") == "status"
    )
    first = (
        page.locator("#chat [data-testid=bot] >> nth=-1")
        .locator("p:not(.searched-for)")
        .first.inner_text()
    )
    assert announcer.text_content().removeprefix("Answer: ")[:40] == " ".join(first.split())[:40], (
        where
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_latest_answer_opens_at_its_first_line(browser, web_app, viewport, output_dir) -> None:
    url, _ = web_app
    page = browser.new_page(viewport=viewport)
    page.goto(url + "/")
    page.wait_for_selector(QUESTION_BOX)
    tools = ["#filters", "#conversations"]
    assert out_of_view(page, tools) == {}  # in reach without scrolling
    ask(page, ZERO_TRUST)
    assert_opens_at_first_line(page, f"first answer {viewport}", long=viewport == PHONE)
    ask(page, FOLLOW_UP)  # a long list: its end is well below the chat box
    assert_opens_at_first_line(page, f"follow-up {viewport}")
    assert out_of_view(page, [*tools, QUESTION_BOX, "#ask-button", "#status"]) == {}
    page.screenshot(
        path=str(output_dir / f"answer-in-view-{viewport['width']}x{viewport['height']}.png")
    )
    page.close()


def test_the_latest_answer_opens_at_its_first_line_in_both_embeds(
    browser, web_app, output_dir
) -> None:
    url, _ = web_app
    page = browser.new_page(viewport=DESKTOP)
    page.goto(url + "/embed/embed-example.html")
    inline = page.locator("#assistant iframe")
    inline.scroll_into_view_if_needed()
    frame = inline.element_handle().content_frame()
    frame.wait_for_selector(QUESTION_BOX)
    assert out_of_view(frame, ["#conversations"]) == {}
    ask(frame, ZERO_TRUST)
    ask(frame, FOLLOW_UP)
    assert_opens_at_first_line(frame, "inline embed")
    page.screenshot(path=str(output_dir / "answer-in-view-embed-inline.png"))

    page.get_by_role("button", name="Ask the document assistant").click()
    panel = page.locator("section[aria-label='Council document assistant'] iframe")
    panel.wait_for()
    frame = panel.element_handle().content_frame()
    frame.wait_for_selector(QUESTION_BOX)
    ask(frame, ZERO_TRUST)
    ask(frame, FOLLOW_UP)
    assert_opens_at_first_line(frame, "panel embed")
    page.screenshot(path=str(output_dir / "answer-in-view-embed-panel.png"))
    page.close()


def test_a_rewritten_follow_up_shows_what_was_searched_and_can_be_corrected(
    page, web_app, output_dir
) -> None:
    url, _ = web_app
    page.goto(url + "/")
    page.wait_for_selector(QUESTION_BOX)
    ask(page, ZERO_TRUST)
    assert not page.locator("#searched-for-box").is_visible()  # nothing was rewritten
    ask(page, FOLLOW_UP)
    searched = page.locator("#searched-for textarea")
    searched.wait_for(state="visible")
    rewritten = searched.input_value()
    assert rewritten != FOLLOW_UP and "zero trust" in rewritten.lower()
    note = page.locator("#chat [data-testid=bot] >> nth=-1").locator(".searched-for")
    assert note.inner_text() == f"Searched for: “{rewritten}”"
    page.screenshot(path=str(output_dir / "searched-for.png"))

    searched.fill(EDITED)
    page.click("#search-again")
    page.wait_for_function(
        "(q) => [...document.querySelectorAll('#chat [data-testid=user]')].pop()?.innerText.trim() === q",
        arg=EDITED,
    )
    page.wait_for_function(
        f"() => !document.querySelector('#chat [data-testid=bot]:last-of-type .answer-pending') && ({DONE})()"
    )
    page.wait_for_function(
        "() => /Answered with/.test(document.querySelector('#status').innerText)"
    )
    last = page.locator("#chat [data-testid=bot] >> nth=-1")
    assert last.locator(".searched-for").count() == 0  # searched exactly as edited
    assert not page.locator("#searched-for-box").is_visible()
    assert "principles" in last.inner_text().lower()
