"""Escaping and citation markup of the web app (ui/render.py)."""

from __future__ import annotations

import html
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
    assert (
        source_url("github.com/ukncsc/zero-trust @ bc13ef")
        == "https://github.com/ukncsc/zero-trust"
    )
    assert source_url("see the intranet") is None
    assert source_url("javascript:alert(1)") is None


def test_citation_opens_passage_with_its_quoted_sentence_marked() -> None:
    passage = "Permits are issued yearly. Permits cost forty pounds. Renew them online."
    markup = citation_details(
        citation(text=passage), key="m3", answer_text="Permits cost forty pounds [1]."
    )
    tags = parse(markup)
    assert tags.tags == ["details", "summary", "blockquote", "mark"]
    assert 'id="m3-source-1"' in markup
    assert "<summary>[1] Permits, page 4</summary>" in markup
    assert (
        "Permits are issued yearly. <mark>Permits cost forty pounds</mark>. Renew them online."
        in markup
    )
    assert "\n" not in markup  # one line, so it never ends the Markdown HTML block early


def test_sources_are_grouped_under_their_document_with_its_own_link() -> None:
    other = dict(
        document_id="b.md",
        title="Bus lanes",
        source="github.com/x/policies/bus.md @ abc123",
        year=None,
    )
    cited = answer(
        answer="Permits cost forty pounds [1]. Bus lanes run all day [2]. Permits are yearly [3].",
        citations=(
            citation(1),
            citation(2, text="Bus lanes run all day.", **other),
            citation(3, section="Renewal", text="Permits are yearly."),
        ),
    )
    markup = answer_markdown(cited, key="m1")
    assert markup.count('<li class="source-doc">') == 2
    first, second = markup.split('<li class="source-doc">')[1:]
    assert (
        "Parking policy (2024)" in first
        and 'id="m1-source-1"' in first
        and 'id="m1-source-3"' in first
    )
    assert "Bus lanes" in second and 'id="m1-source-2"' in second
    hrefs = parse(markup).hrefs
    assert "https://www.example.gov.uk/parking" in hrefs
    assert "https://github.com/x/policies/blob/abc123/bus.md" in hrefs  # the file, not a commit
    assert hrefs.count("#m1-source-1") == 1 and "#m1-source-3" in hrefs  # [n] open their passage


def test_hostile_document_fields_are_escaped() -> None:
    hostile = citation(
        title=HOSTILE,
        section=HOSTILE,
        text=HOSTILE,
        publisher=HOSTILE,
        source="javascript:alert(4)",
    )
    markup = citation_details(hostile)
    tags = parse(markup)
    assert set(tags.tags) <= {"details", "summary", "blockquote", "p", "br", "strong"}
    assert tags.hrefs == []
    assert "&lt;script&gt;" in markup
    table = documents_table(
        [
            {
                "document_id": "x.md",
                "title": HOSTILE,
                "publisher": HOSTILE,
                "source": "javascript:x",
                "chunks": 2,
            }
        ]
    )
    assert "script" not in parse(table).tags and "img" not in parse(table).tags
    assert parse(table).hrefs == []


def test_answer_message_lists_numbered_citations_and_warnings() -> None:
    markup = answer_markdown(answer(warnings=("Sources date from 2024.",), removed_sentences=1))
    assert markup.startswith('Permits cost forty pounds <a href="#a-source-1" class="cite-ref"')
    assert markup.count("<details") == 1
    assert "Sources date from 2024" in markup
    assert "1 unsupported sentence(s)" in markup


def test_answer_carries_clean_exports_for_copy_download_and_print() -> None:
    markup = answer_markdown(answer(answer="Permits cost *forty* pounds [1] <b>now</b>."))
    assert [
        b for b in ("Copy", "Copy as Markdown", "Download", "Print") if f">{b}</button>" in markup
    ] == [
        "Copy",
        "Copy as Markdown",
        "Download",
        "Print",
    ]
    text = html.unescape(markup.split('<pre hidden class="export-text">')[1].split("</pre>")[0])
    assert text.startswith(
        "Question: How much is a permit?\n\nPermits cost *forty* pounds [1] <b>now</b>."
    )
    assert "\\[" not in text and "<details" not in text and "<a " not in text
    assert "  https://www.example.gov.uk/parking" in text and "    [1] Permits, page 4" in text
    md = html.unescape(markup.split('<pre hidden class="export-markdown">')[1].split("</pre>")[0])
    assert (
        "Permits cost \\*forty\\* pounds [1] \\<b>now\\</b>." in md
    )  # markers kept, markup escaped
    assert "- [Parking policy (2024)](<https://www.example.gov.uk/parking>), Example Council" in md
    assert '  - [1] Permits, page 4: "Permits cost forty pounds."' in md  # the quoted sentence
    assert "<details" not in md and "\\[1\\]" not in md


def test_refusal_is_shown_as_such_with_closest_documents() -> None:
    refusal = answer(
        answer="The documents don't answer this.",
        refused=True,
        refusal_reason="the evidence is too weak",
        citations=(),
        sources=(
            citation(1),
            citation(2, text="other"),
            citation(3, document_id="b.md", title="Other doc"),
        ),
        closest_documents=("doc.md", "b.md"),
    )
    markup = answer_markdown(refusal)
    assert markup.startswith(f"**{markdown_text(REFUSAL_HEADING)}**")
    assert "the evidence is too weak" in markup
    assert "<details" not in markup
    assert markup.count("- <a href=") == 2  # the two distinct closest documents, linked


def test_refusal_names_the_closest_documents_once() -> None:
    refusal = answer(
        answer="The documents don't answer this. The closest documents are: Parking policy (2024); Other doc.",
        refused=True,
        refusal_reason="the evidence is too weak",
        citations=(),
        sources=(citation(1), citation(3, document_id="b.md", title="Other doc")),
        closest_documents=("doc.md", "b.md"),
    )
    markup = answer_markdown(refusal)
    assert markup.count("Other doc") == 1 and markup.count("Parking policy") == 1
    assert "The documents don't answer this\\." in markup


def test_a_refusal_lists_only_its_closest_documents_and_keeps_its_own_sentence() -> None:
    """The list comes from the answer's ``closest_documents`` field, not from its text; a
    refusal that names none (an answer withheld) shows its own sentence and no list."""
    sources = (citation(1), citation(3, document_id="b.md", title="Other doc"))
    refusal = answer(
        answer="The documents don't answer this. The closest documents are: Other doc.",
        refused=True,
        refusal_reason="weak",
        citations=(),
        sources=sources,
        closest_documents=("b.md",),
    )
    markup = answer_markdown(refusal)
    assert (
        markup.count("- <a href=") == 1 and "Other doc" in markup and "Parking policy" not in markup
    )
    withheld = answer(
        answer="This answer cited a document you can no longer see.",
        refused=True,
        refusal_reason="hidden",
        citations=(),
        sources=sources,
    )
    markup = answer_markdown(withheld)
    assert "no longer see" in markup and "Closest documents" not in markup


def test_an_answer_saved_before_closest_documents_existed_gets_them_from_its_sources() -> None:
    refusal = answer(
        refused=True, citations=(), sources=(citation(1), citation(3, document_id="b.md"))
    )
    data = refusal.to_dict()
    assert data["closest_documents"] == []
    del data["closest_documents"]
    assert Answer.from_dict(data).closest_documents == ("doc.md", "b.md")
    assert Answer.from_dict(answer(closest_documents=("b.md",)).to_dict()).closest_documents == (
        "b.md",
    )


def test_sources_text_for_openai_clients() -> None:
    text = sources_text(
        [
            citation(),
            citation(2, section="Fees", page=None),
            citation(
                3, document_id="b.md", title="B", source="", path="b.md", year=None, publisher=""
            ),
        ]
    )
    assert text.splitlines() == [
        "Sources:",
        "  Parking policy (2024). Example Council.",
        "  https://www.example.gov.uk/parking",
        "    [1] Permits, page 4",
        "    [2] Fees",
        "  B.",
        "  b.md",
        "    [3] Permits, page 4",
    ]
    assert sources_text([]) == ""
    assert (
        sources_text([citation().to_dict()]).splitlines()[1]
        == "  Parking policy (2024). Example Council."
    )
