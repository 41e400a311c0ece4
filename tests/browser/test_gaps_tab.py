"""The Gaps tab in the real web app, in headless Chromium: nothing of the report without the
admin token; with it, the planted topics of the seeded test log, and the CSV to download."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from gaplog import DAYS, write_log
from webtest import ADMIN_TOKEN, LiveServer, web_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]


@pytest.fixture(scope="module")
def gaps_web(tmp_path_factory, corpus_dir, embedder):
    from assistant.pipeline import Assistant
    from core.settings import Settings
    from index.ingest import ingest
    from ui.app import create_app

    tmp = tmp_path_factory.mktemp("gaps-web")
    settings = web_settings(Settings(store=str(tmp / "store")), tmp)
    ingest(
        [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
        settings,
        embedder_factory=lambda: embedder,
    )
    # Within the conversations' 30-day retention, which the running app applies.
    write_log(settings.ui.feedback_db, "test", start=datetime.now(UTC) - timedelta(days=DAYS - 2))
    with LiveServer(create_app(settings, Assistant(settings, embedder=embedder))) as server:
        yield server.url


def test_only_the_admin_token_shows_the_gaps_report(page, gaps_web, output_dir) -> None:
    page.goto(gaps_web + "/")
    page.get_by_role("tab", name="Gaps").click()
    status = page.locator("#gaps-status")
    page.locator("#gaps-token input, #gaps-token textarea").first.fill("not-the-token")
    page.locator("#gaps-button").click()
    page.wait_for_function(
        "() => document.querySelector('#gaps-status').innerText.includes('Refused')"
    )
    assert page.locator("#gaps-report table").count() == 0
    assert "taxi" not in page.locator("body").inner_text().lower()

    page.locator("#gaps-token input, #gaps-token textarea").first.fill(ADMIN_TOKEN)
    page.locator("#gaps-button").click()
    page.locator("#gaps-report table").wait_for(timeout=180_000)
    assert "202 question(s)" in status.inner_text()
    text = page.locator("#gaps-report").inner_text().lower()
    for word in ("taxi", "council tax", "pest control"):
        assert word in text, word
    assert "07700 900123" not in text
    assert page.locator("#gaps-csv").is_visible() and page.locator("#gaps-golden").is_visible()
    page.screenshot(path=str(output_dir / "gaps-tab.png"), full_page=True)
