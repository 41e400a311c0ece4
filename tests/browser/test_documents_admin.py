"""Admin actions in the documents view, and documents whose title or text holds HTML/JS.

Runs over its own small store, so uploads and deletes leave the shared corpus store alone.
"""

from __future__ import annotations

import pytest
from webtest import ADMIN_TOKEN, LiveServer, run_axe, web_settings

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUESTION_BOX = "#question textarea"
# Our own test documents: front matter and body carrying markup and script.
HOSTILE_MD = """---
title: "Parking permits <script>window.__pwned = 1</script> policy"
publisher: "Example Borough <b>Council</b>"
year: 2024
source: "javascript:window.__pwned=2"
---
# Resident parking permits

Resident parking permits in the Example Borough cost £40 a year.
"""
HOSTILE_TXT = (
    "Visitor parking vouchers\n\nVisitor parking vouchers in the Example Borough are sold at the central"
    ' library <script>window.__pwned = 5</script> in books of ten <img src=x onerror="window.__pwned=6">'
    " for £12 a book; see [the voucher page](javascript:window.__pwned=7).\n"
)
INERT = """() => ({
    pwned: window.__pwned === undefined ? null : window.__pwned,
    tags: document.querySelectorAll('#chat script, #chat img, #chat b, #documents script, #documents img, #documents b').length,
    js_links: [...document.querySelectorAll('#chat a, #documents a')].filter(a => !/^https?:/.test(a.href)).length,
})"""


@pytest.fixture(scope="module")
def admin_web(tmp_path_factory, corpus_dir, embedder):
    from assistant.pipeline import Assistant
    from core.settings import Settings
    from index.ingest import ingest
    from ui.app import create_app

    tmp = tmp_path_factory.mktemp("admin-web")
    settings = web_settings(Settings(store=str(tmp / "store")), tmp)
    ingest(
        [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
        settings,
        embedder_factory=lambda: embedder,
    )
    docs = tmp / "to-upload"
    docs.mkdir()
    (docs / "parking-permits.md").write_text(HOSTILE_MD)
    (docs / "visitor-vouchers.txt").write_text(HOSTILE_TXT)
    with LiveServer(create_app(settings, Assistant(settings, embedder=embedder))) as server:
        yield server.url, docs


def admin_status(page) -> str:
    return page.locator("#admin-status").inner_text()


def wait_status(page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.querySelector('#admin-status').innerText.includes(t)",
        arg=text,
        timeout=120_000,
    )


def test_upload_ask_and_delete_with_hostile_documents(
    page, admin_web, axe_source, output_dir
) -> None:
    url, docs = admin_web
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url + "/")
    page.get_by_role("tab", name="Documents").click()
    page.locator("#documents tbody tr").first.wait_for()
    assert page.locator("#documents tbody tr").count() == 1
    upload = page.locator("input[type=file]")  # the upload button's hidden file input

    page.get_by_label("Admin token").fill("not-the-token")
    wait_status(page, "Refused")
    assert "wrong" in admin_status(page)
    assert page.locator(
        "#upload-button"
    ).is_disabled()  # and its route refuses uploads without the token
    assert page.locator("#documents tbody tr").count() == 1

    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    wait_status(page, "Admin token accepted")
    upload.set_input_files([str(docs / "parking-permits.md"), str(docs / "visitor-vouchers.txt")])
    wait_status(page, "uploaded 2 file(s): 2 added")
    rows = page.locator("#documents tbody tr")
    assert rows.count() == 3
    row = page.locator("#documents tbody tr", has_text="parking-permits.md")
    assert (
        row.locator("th").inner_text()
        == "Parking permits <script>window.__pwned = 1</script> policy"
    )
    assert row.locator("td").first.inner_text() == "Example Borough <b>Council</b>"
    assert page.evaluate(INERT) == {"pwned": None, "tags": 0, "js_links": 0}
    page.screenshot(path=str(output_dir / "admin-uploaded.png"), full_page=True)
    assert run_axe(page, axe_source, "documents-admin", output_dir) == []

    page.get_by_role("tab", name="Ask").click()
    for question in (
        "How much do resident parking permits cost in the Example Borough?",
        "Where are visitor parking vouchers sold in the Example Borough?",
    ):
        page.fill(QUESTION_BOX, question)
        page.press(QUESTION_BOX, "Enter")
        page.wait_for_function(
            "(n) => document.querySelectorAll('#chat details.citation').length > n",
            arg=page.locator("#chat details.citation").count(),
            timeout=60_000,
        )
        page.locator("#chat details.citation summary").last.click()
    text = page.locator("#chat").inner_text()
    assert "Parking permits <script>window.__pwned = 1</script> policy" in text
    assert "<script>window.__pwned = 5</script>" in text and "javascript:window.__pwned=7" in text
    assert page.evaluate(INERT) == {"pwned": None, "tags": 0, "js_links": 0}
    page.screenshot(path=str(output_dir / "admin-hostile-answers.png"), full_page=True)

    page.get_by_role("tab", name="Documents").click()
    page.locator("#delete-choice input").click()
    page.get_by_role("option", name="parking-permits.md").click()
    page.click("#delete-button")
    wait_status(page, "deleted")
    page.wait_for_function("() => document.querySelectorAll('#documents tbody tr').length === 2")
    assert "parking-permits.md" not in page.locator("#documents").inner_text()
    page.click("#reindex-button")
    wait_status(page, "re-indexed 2 document(s)")
    assert dialogs == []


def test_admin_actions_hidden_without_a_token(
    page, corpus_settings, corpus_assistant, tmp_path
) -> None:
    from ui.app import create_app

    settings = web_settings(corpus_settings, tmp_path, admin_token=None)
    with LiveServer(create_app(settings, corpus_assistant)) as server:
        page.goto(server.url + "/")
        page.get_by_role("tab", name="Documents").click()
        page.locator("#documents tbody tr").first.wait_for()
        assert (
            "Admin actions (upload, delete, re-index) are disabled"
            in page.locator("#admin-disabled").inner_text()
        )
        assert page.get_by_label("Admin token").count() == 0
        assert page.locator("input[type=file]").count() == 0
