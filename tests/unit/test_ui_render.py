"""Escaping and citation markup of the web app (ui/render.py)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from core.types import Answer, Citation
from ui.render import (
    REFUSAL_HEADING,
    answer_markdown,
    citation_details,
    documents_table,
    markdown_text,
    safe_url,
    source_url,
    sources_text,
)

pytestmark = pytest.mark.unit

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)"> [click](javascript:alert(3))'


def citation(n: int = 1, **changes) -> Citation:
    data = dict(
        n=n,
        document_id="doc.md",
        title="Parking policy",
        section="Permits",
        page=4,
        path="doc.md",
        source="https://www.example.gov.uk/parking",
        text="Permits cost forty pounds.",
        score=1.0,
        publisher="Example Council",
        year=2024,
        licence="OGL v3",
    )
    data.update(changes)
    return Citation.from_dict(data)


def answer(**changes) -> Answer:
    data = dict(
        question="How much is a permit?",
        answer="Permits cost forty pounds [1].",
        refused=False,
        refusal_reason=None,
        citations=(citation(),),
        sources=(citation(),),
    )
    data.update(changes)
    return Answer(**data)


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [v for k, v in attrs if k == "href"]


def parse(markup: str) -> Tags:
    tags = Tags()
    tags.feed(markup)
    return tags


def test_markdown_text_is_inert() -> None:
    text = markdown_text(HOSTILE)
    assert "<" not in text and ">" not in text
    assert "](" not in text  # a Markdown link cannot form
    assert "\\[click\\]\\(javascript:alert\\(3\\)\\)" in text
    assert markdown_text("don't") == "don't"  # no entity that a Markdown escape could break


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.gov.uk/a", "https://example.gov.uk/a"),
        ("javascript:alert(1)", None),
        ("JAVASCRIPT:alert(1)", None),
        ("data:text/html,hi", None),
        ("//evil.test/x", None),
        ("", None),
    ],
)
def test_safe_url(url, expected) -> None:
    assert safe_url(url) == expected


def test_source_url_accepts_schemeless_repository_references() -> None:
    assert source_url("github.com/ukncsc/zero-trust @ bc13ef") == "https://github.com/ukncsc/zero-trust"
    assert source_url("see the intranet") is None
    assert source_url("javascript:alert(1)") is None


def test_citation_opens_passage_with_title_section_page_year_and_link() -> None:
    markup = citation_details(citation())
    tags = parse(markup)
    assert tags.tags[:2] == ["details", "summary"]
    assert "[1] Parking policy (2024), Permits, page 4" in markup
    assert "Permits cost forty pounds." in markup
    assert tags.hrefs == ["https://www.example.gov.uk/parking"]
    assert "\n" not in markup  # one line, so it never ends the Markdown HTML block early


def test_hostile_document_fields_are_escaped() -> None:
    hostile = citation(title=HOSTILE, section=HOSTILE, text=HOSTILE, publisher=HOSTILE, source="javascript:alert(4)")
    markup = citation_details(hostile)
    tags = parse(markup)
    assert set(tags.tags) <= {"details", "summary", "blockquote", "p", "br", "strong"}
    assert tags.hrefs == []
    assert "&lt;script&gt;" in markup
    table = documents_table([{"document_id": "x.md", "title": HOSTILE, "publisher": HOSTILE, "source": "javascript:x", "chunks": 2}])
    assert "script" not in parse(table).tags and "img" not in parse(table).tags
    assert parse(table).hrefs == []


def test_answer_message_lists_numbered_citations_and_warnings() -> None:
    markup = answer_markdown(answer(warnings=("Sources date from 2024.",), removed_sentences=1))
    assert markup.startswith("Permits cost forty pounds \\[1\\]\\.")
    assert markup.count("<details") == 1
    assert "Sources date from 2024" in markup
    assert "1 unsupported sentence(s)" in markup


def test_refusal_is_shown_as_such_with_closest_documents() -> None:
    refusal = answer(
        answer="The documents don't answer this.",
        refused=True,
        refusal_reason="the evidence is too weak",
        citations=(),
        sources=(citation(1), citation(2, text="other"), citation(3, document_id="b.md", title="Other doc")),
    )
    markup = answer_markdown(refusal)
    assert markup.startswith(f"**{markdown_text(REFUSAL_HEADING)}**")
    assert "the evidence is too weak" in markup
    assert "<details" not in markup
    assert markup.count("- <a href=") == 2  # the two distinct closest documents, linked


def test_sources_text_for_openai_clients() -> None:
    text = sources_text([citation(), citation(2, page=None, source="", path="b.md")])
    assert text.splitlines() == [
        "Sources:",
        "[1] Parking policy (2024), Permits, page 4 - https://www.example.gov.uk/parking",
        "[2] Parking policy (2024), Permits - b.md",
    ]
    assert sources_text([]) == ""
