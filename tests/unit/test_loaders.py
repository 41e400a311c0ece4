"""Loaders: each format keeps its structure and metadata; bad files fail with a reason.

Fixtures (PDF, DOCX, HTML) are generated at test time; the real-file tests read the shared
corpora beside the repository and never copy them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from docgen import make_docx, make_html, make_pdf

from core.errors import DocumentError
from index.loaders import SUPPORTED_SUFFIXES, load_document

pytestmark = pytest.mark.unit

SHARED = Path(__file__).resolve().parents[3] / "shared"
DEFRA = SHARED / "corpora" / "defra-ai-toolkit"
ALEXNET = SHARED / "corpora" / "history-of-alexnet" / "HistoryOfAlexnet.pdf"


def load(name: str, data: bytes | str):
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return load_document(Path(name), name, raw)


def reason(name: str, data: bytes | str) -> str:
    with pytest.raises(DocumentError) as caught:
        load(name, data)
    return str(caught.value)


# -- Markdown ---------------------------------------------------------------------------------
MARKDOWN = """---
title: Highways asset management policy
publisher: Exampleshire County Council
year: 2021-2023
licence: OGL v3
source: https://example.gov.uk/highways
---
{% include nav.html %}
* [Home](/)
* [Roads](/roads)
* [Parking](/parking)

# Highways policy

We inspect main roads monthly.[2]

## Potholes

Potholes deeper than 40mm are repaired within 28 days.
"""


def test_markdown_front_matter_becomes_metadata() -> None:
    doc = load("policies/highways.md", MARKDOWN)
    assert doc.meta.title == "Highways asset management policy"
    assert doc.meta.publisher == "Exampleshire County Council"
    assert (doc.meta.year, doc.year_label) == (2023, "2021-2023")
    assert doc.meta.licence == "OGL v3"
    assert doc.meta.source == "https://example.gov.uk/highways"
    assert doc.meta.document_id == doc.meta.path == "policies/highways.md"
    assert doc.format == "markdown" and not doc.meta.superseded
    assert len(doc.pages) == 1 and doc.pages[0].number is None


def test_the_documents_own_web_address_beats_a_provenance_note() -> None:
    provenance = MARKDOWN.replace(
        "source: https://example.gov.uk/highways",
        "source: github.com/example/policies/highways.md @ abc123\nurl: https://www.example.gov.uk/highways-policy",
    )
    assert load("h.md", provenance).meta.source == "https://www.example.gov.uk/highways-policy"
    both = MARKDOWN.replace("licence: OGL v3", "licence: OGL v3\nurl: https://mirror.example.org/h")
    assert (
        load("h.md", both).meta.source == "https://example.gov.uk/highways"
    )  # an http source stays
    only_url = MARKDOWN.replace(
        "source: https://example.gov.uk/highways", "url: https://example.gov.uk/h"
    )
    assert load("h.md", only_url).meta.source == "https://example.gov.uk/h"


def test_html_canonical_link_is_its_source() -> None:
    page = (
        '<html><head><title>Bins</title><link rel="canonical" href="https://www.example.gov.uk/bins">'
        "</head><body><h1>Bins</h1><p>Black bins are collected every Tuesday morning.</p></body></html>"
    )
    assert load("bins.html", page).meta.source == "https://www.example.gov.uk/bins"


def test_markdown_body_is_clean_and_keeps_headings() -> None:
    text = load("highways.md", MARKDOWN).pages[0].text
    assert text.startswith("# Highways policy")
    assert "## Potholes" in text.splitlines()
    assert "We inspect main roads monthly." in text
    for noise in ("title:", "publisher:", "{%", "[Home]", "Parking", "[2]"):
        assert noise not in text


def test_markdown_without_front_matter_takes_its_title_from_the_first_heading() -> None:
    assert (
        load("x.md", "Intro line.\n\n## Street lighting\n\nLamps.").meta.title == "Street lighting"
    )
    assert load("street-lighting-plan.md", "Just text.").meta.title == "street lighting plan"


@pytest.mark.parametrize(
    "front", ["superseded_by: new-plan.md", "status: Withdrawn", "superseded: true"]
)
def test_superseded_documents_are_flagged(front: str) -> None:
    assert load("old.md", f"---\ntitle: Old plan\n{front}\n---\nText.").meta.superseded


# -- plain text ---------------------------------------------------------------------------------
def test_plain_text_keeps_its_text_and_strips_a_bom() -> None:
    doc = load(
        "notes/bin-rules.txt", "\ufeffGreen bins take garden waste.\n\nBlack bins the rest.\n"
    )
    assert doc.format == "text"
    assert doc.meta.title == "bin rules"
    assert doc.pages[0].text == "Green bins take garden waste.\n\nBlack bins the rest."


def test_non_utf8_text_is_refused_with_the_offending_byte() -> None:
    message = reason("latin1.txt", "Café au lait: £3".encode("latin-1"))
    assert "UTF-8" in message and "0xe9" in message


def test_binary_data_with_a_text_name_is_refused() -> None:
    assert "binary" in reason("data.md", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")


@pytest.mark.parametrize("name", ["empty.md", "empty.txt", "empty.pdf", "empty.docx", "empty.html"])
def test_empty_files_are_refused(name: str) -> None:
    assert "empty" in reason(name, b"")


def test_whitespace_only_file_is_refused() -> None:
    assert "empty" in reason("blank.txt", b"  \n\n\t \n")


def test_unsupported_type_names_the_supported_ones() -> None:
    message = reason("budget.xlsx", b"PK\x03\x04whatever")
    assert "unsupported file type '.xlsx'" in message
    for suffix in (".md", ".pdf", ".docx", ".html", ".txt"):
        assert suffix in SUPPORTED_SUFFIXES and suffix in message


# -- HTML -----------------------------------------------------------------------------------------
def test_html_keeps_content_headings_and_tables_and_drops_site_chrome() -> None:
    page = make_html(
        "Bin collections | Exampleshire",
        "<h1>Bin collections</h1><p>Bins are collected <b>weekly</b>.</p>"
        "<h2>Missed bins</h2><p>Report a missed bin within 2 days.</p>"
        "<table><tr><th>Bin</th><th>Day</th></tr><tr><td>Green</td><td>Monday</td></tr></table>",
        author="Exampleshire Council",
    )
    doc = load("bins.html", page)
    text = doc.pages[0].text
    assert doc.format == "html"
    assert doc.meta.title == "Bin collections | Exampleshire"
    assert doc.meta.publisher == "Exampleshire Council"
    lines = text.splitlines()
    assert "# Bin collections" in lines and "## Missed bins" in lines
    assert "Bins are collected weekly." in text
    assert "Bin: Green; Day: Monday." in lines
    for chrome in ("Sign in", "Council tax", "sidebar", "cookies", "UA-HIDDEN", "font-family"):
        assert chrome not in text


# -- PDF ------------------------------------------------------------------------------------------
def test_pdf_keeps_page_numbers_and_metadata() -> None:
    pdf = make_pdf(
        [
            ["Local plan review", "Parking standards for new homes."],
            ["Waste collection happens weekly (except bank holidays)."],
            ["Street lighting is LED."],
        ],
        title="Local Plan Review 2021",
        author="Exampleshire Council",
    )
    doc = load("plans/local-plan.pdf", pdf)
    assert doc.format == "pdf"
    assert [p.number for p in doc.pages] == [1, 2, 3]
    assert "weekly (except bank holidays)" in doc.pages[1].text
    assert "Street lighting is LED." in doc.pages[2].text
    assert (doc.meta.title, doc.meta.publisher, doc.meta.year) == (
        "Local Plan Review 2021",
        "Exampleshire Council",
        2021,
    )


def test_pdf_blank_pages_are_dropped_but_numbering_is_kept() -> None:
    doc = load("gaps.pdf", make_pdf([["Page one."], [], ["Page three."]]))
    assert [p.number for p in doc.pages] == [1, 3]
    assert doc.meta.title == "gaps"


def test_pdf_without_any_text_suggests_ocr() -> None:
    assert "OCR" in reason("scan.pdf", make_pdf([[], []]))


def test_binary_data_named_pdf_is_refused() -> None:
    assert "not a PDF" in reason(
        "photo.pdf", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256))
    )


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
def test_truncated_pdf_is_refused_as_corrupt(keep: float) -> None:
    good = make_pdf([["Some text on a page."], ["And another page."]])
    assert "corrupt or unreadable PDF" in reason("broken.pdf", good[: int(len(good) * keep)])


def test_pdf_running_headers_footers_and_page_numbers_are_dropped() -> None:
    pages = [
        ["Exampleshire Council - Draft Local Plan", str(n), f"Policy text number {n} on housing."]
        for n in range(1, 6)
    ]
    doc = load("plan.pdf", make_pdf(pages, author="-"))
    for page in doc.pages:
        assert page.text == f"Policy text number {page.number} on housing."
    assert doc.meta.publisher == ""  # an author of "-" is no publisher


# -- DOCX -----------------------------------------------------------------------------------------
def test_docx_headings_become_markdown_sections() -> None:
    data = make_docx(
        "Highways Policy",
        [
            (1, "Potholes", ["We repair potholes within 28 days."]),
            (2, "Emergency repairs", ["Dangerous defects are made safe in 2 hours."]),
        ],
        table=[["Defect", "Response"], ["Category 1", "2 hours"]],
        author="Exampleshire Council",
    )
    doc = load("highways.docx", data)
    lines = doc.pages[0].text.splitlines()
    assert doc.format == "docx"
    assert (doc.meta.title, doc.meta.publisher) == ("Highways Policy", "Exampleshire Council")
    assert lines[0] == "# Highways Policy"
    assert "## Potholes" in lines and "### Emergency repairs" in lines
    assert lines.index("## Potholes") < lines.index("We repair potholes within 28 days.")
    assert "Defect: Category 1; Response: 2 hours." in lines


def test_docx_year_comes_from_its_core_properties() -> None:
    import io

    import docx

    document = docx.Document(io.BytesIO(make_docx("T", [(1, "H", ["Body."])])))
    document.core_properties.created = dt.datetime(2019, 5, 1)
    buffer = io.BytesIO()
    document.save(buffer)
    assert load("t.docx", buffer.getvalue()).meta.year == 2019


def test_corrupt_docx_is_refused() -> None:
    assert "corrupt or unreadable DOCX" in reason("broken.docx", b"PK\x03\x04 not really a zip")


# -- real documents ---------------------------------------------------------------------------------
@pytest.mark.skipif(not DEFRA.is_dir(), reason="shared Defra corpus not present")
def test_defra_pages_lose_their_navigation_front_matter_and_html() -> None:
    loaded = skipped = 0
    for file in sorted(DEFRA.rglob("*.md")):
        try:
            doc = load_document(file, file.relative_to(DEFRA).as_posix(), file.read_bytes())
        except DocumentError as exc:
            # Question and form pages hold nothing but front matter.
            assert "no readable text" in str(exc), file
            skipped += 1
            continue
        loaded += 1
        text = doc.pages[0].text
        assert doc.meta.title and "\n" not in doc.meta.title
        for noise in ("customNav", "breadcrumbItems", "href", "govuk-link", "</", "{%"):
            assert noise not in text, (file.name, noise)
    assert loaded >= 25 and skipped <= 8


@pytest.mark.skipif(not DEFRA.is_dir(), reason="shared Defra corpus not present")
def test_a_defra_page_keeps_title_and_sections() -> None:
    file = DEFRA / "ai-toolkit" / "guidance" / "security.md"
    doc = load_document(file, "ai-toolkit/guidance/security.md", file.read_bytes())
    assert doc.meta.title == "Security"
    lines = doc.pages[0].text.splitlines()
    assert "## Check for embedded credentials" in lines
    assert not any(line.startswith("- text:") for line in lines)


@pytest.mark.integration
@pytest.mark.skipif(not ALEXNET.is_file(), reason="shared AlexNet PDF not present")
def test_real_pdf_keeps_all_its_numbered_pages() -> None:
    doc = load_document(ALEXNET, ALEXNET.name, ALEXNET.read_bytes())
    assert doc.format == "pdf"
    assert [p.number for p in doc.pages] == list(range(1, 40))
    assert doc.meta.year == 2018
    assert (
        doc.meta.title.strip() and len(doc.meta.title) > 3
    )  # its PDF title is a lone symbol: not used
    assert "Abstract" in doc.pages[0].text
    assert doc.meta.publisher == ""  # its /Author is "-"
    assert not any("PAPER IDENTIFICATION NUMBER" in p.text for p in doc.pages)  # running header
    assert "AlexNet" in " ".join(p.text for p in doc.pages[9:12])
