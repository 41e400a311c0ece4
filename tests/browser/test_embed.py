"""The intranet widget: the example page, and an 'intranet' on another origin, allowed or not."""

from __future__ import annotations

import pytest
from webtest import StaticSite, run_axe

from ui.app import STATIC_DIR

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
FETCH_ASK = """async (url) => {
    try {
        const r = await fetch(url + '/api/ask', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                 body: JSON.stringify({question: 'What is zero trust?'})});
        return {status: r.status, citations: (await r.json()).citations.length};
    } catch (e) { return {blocked: String(e)}; }
}"""


def ask_in_frame(frame, question: str) -> None:
    frame.locator(QUESTION_BOX).fill(question)
    frame.locator(QUESTION_BOX).press("Enter")
    frame.locator("#chat details.citation").first.wait_for(timeout=60_000)


def test_example_page_embeds_the_chat(page, web_app, axe_source, output_dir) -> None:
    url, _ = web_app
    page.goto(url + "/embed/embed-example.html")
    frame = page.frame_locator("#assistant iframe")
    ask_in_frame(frame, "What is zero trust?")
    assert frame.locator("#chat details.citation").count() >= 1
    assert frame.get_by_role("tab").count() == 0  # the widget shows the chat alone
    page.screenshot(path=str(output_dir / "embed-example-inline.png"), full_page=True)
    assert run_axe(page, axe_source, "embed-example", output_dir) == []

    launcher = page.get_by_role("button", name="Ask the document assistant")
    assert launcher.get_attribute("aria-expanded") == "false"
    launcher.click()
    panel = page.get_by_role("region", name="Council document assistant")
    panel.wait_for(state="visible")
    assert launcher.get_attribute("aria-expanded") == "true"
    page.frame_locator("section[aria-label='Council document assistant'] iframe").locator(
        QUESTION_BOX
    ).wait_for()
    page.screenshot(path=str(output_dir / "embed-example-floating.png"))
    page.keyboard.press("Escape")
    panel.wait_for(state="hidden")
    assert page.evaluate("() => document.activeElement.textContent") == "Ask the document assistant"


def test_embedded_chat_page_accessibility(page, web_app, axe_source, output_dir) -> None:
    url, _ = web_app
    page.goto(url + "/chat/")
    page.wait_for_selector(QUESTION_BOX)
    ask_in_frame(page, "What is zero trust?")
    page.locator("#chat details.citation summary").first.click()
    assert run_axe(page, axe_source, "embed-chat", output_dir) == []


def test_intranet_on_allowed_and_other_origins(
    page, web_app, intranet_port, tmp_path, output_dir
) -> None:
    url, _ = web_app
    html = (STATIC_DIR / "embed-example.html").read_text(encoding="utf-8")
    (tmp_path / "index.html").write_text(
        html.replace('src="/embed/embed.js"', f'src="{url}/embed/embed.js"')
    )
    with StaticSite(tmp_path, port=intranet_port):
        allowed = f"http://127.0.0.1:{intranet_port}/index.html"  # listed in allowed_origins
        page.goto(allowed)
        ask_in_frame(page.frame_locator("#assistant iframe"), "What is zero trust?")
        page.screenshot(path=str(output_dir / "embed-intranet-allowed.png"), full_page=True)
        fetched = page.evaluate(FETCH_ASK, url)
        assert fetched["status"] == 200 and fetched["citations"] > 0

        other = (
            f"http://localhost:{intranet_port}/index.html"  # the same page, an origin not listed
        )
        page.goto(other)
        page.wait_for_selector("#assistant iframe")
        page.wait_for_timeout(3000)
        assert page.frame_locator("#assistant iframe").locator(QUESTION_BOX).count() == 0
        assert "blocked" in page.evaluate(FETCH_ASK, url)
        page.screenshot(path=str(output_dir / "embed-intranet-refused.png"), full_page=True)
