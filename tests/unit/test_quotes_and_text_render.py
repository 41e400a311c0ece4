"""The quoted sentence found in its passage, and an answer as plain text and Markdown
(assistant/quotes.py, assistant/render.py): what the CLI prints and the web app exports."""

from __future__ import annotations

import pytest

from assistant.quotes import quoted_sentences, quoted_spans, sentence_spans
from assistant.render import (
    answer_as_markdown,
    answer_as_text,
    group_by_document,
    source_url,
    url_label,
)
from core.types import Answer, Citation

pytestmark = pytest.mark.unit

PASSAGE = (
    "Zero trust is an approach to system design.\n\n"
    "In a zero trust architecture, the network is treated as hostile, so every request is verified.\n\n"
    "-   meet accessibility standards, including offline parts\n"
    "-   avoid excluding any groups"
)


def test_sentence_spans_point_into_the_original_text() -> None:
    spans = sentence_spans(PASSAGE)
    assert [PASSAGE[a:b] for a, b in spans][:2] == [
        "Zero trust is an approach to system design.",
        "In a zero trust architecture, the network is treated as hostile, so every request is verified.",
    ]
    assert PASSAGE[spans[2][0] : spans[2][1]].startswith("meet accessibility")  # no list bullet


def test_verbatim_quote_is_found_across_line_breaks() -> None:
    answer = "In a zero trust architecture, the network is treated as hostile, so every request is verified [1]."
    assert quoted_sentences(answer, 1, PASSAGE.replace("treated as", "treated\nas")) == [
        "In a zero trust architecture, the network is treated\nas hostile, so every request is verified"
    ]
    assert quoted_spans(answer, 2, PASSAGE) == []  # the sentence cites [1], not [2]


def test_paraphrase_marks_the_sentence_sharing_most_words() -> None:
    answer = "The network is assumed hostile and each request gets verified [1]."
    assert quoted_sentences(answer, 1, PASSAGE) == [
        "In a zero trust architecture, the network is treated as hostile, so every request is verified."
    ]
    assert (
        quoted_sentences("Bananas are yellow [1].", 1, PASSAGE) == []
    )  # nothing shared: nothing marked


def test_a_list_answered_as_one_sentence_marks_each_item() -> None:
    answer = "Teams should: meet accessibility standards, including offline parts; avoid excluding any groups [1]."
    assert quoted_sentences(answer, 1, PASSAGE) == [
        "meet accessibility standards, including offline parts",
        "avoid excluding any groups",
    ]


def cite(n: int, doc: str, section: str = "", page: int | None = None, **meta) -> Citation:
    data = {
        "n": n,
        "document_id": doc,
        "title": doc.title(),
        "path": doc,
        "text": PASSAGE,
        "section": section,
        "page": page,
    }
    return Citation.from_dict({**data, **meta})


ANSWER = Answer(
    question="What is zero trust?",
    answer="Zero trust is an approach to system design [1]. The network is treated as hostile [2]. Offline parts count [3].",
    refused=False,
    refusal_reason=None,
    citations=(
        cite(
            1,
            "ncsc.md",
            "Introduction",
            year=2021,
            publisher="NCSC",
            source="github.com/ukncsc/zero-trust-architecture @ bc13ef",
        ),
        cite(2, "gds.md", "Standards", 4, source="https://www.gov.uk/service-manual"),
        cite(3, "ncsc.md", "Principles", year=2021, publisher="NCSC"),
    ),
    sources=(),
    warnings=("Sources date from 2021.",),
)


def test_passages_are_grouped_under_their_document_in_first_cited_order() -> None:
    groups = group_by_document(ANSWER.citations)
    assert [(doc.document_id, [c.n for c in cited]) for doc, cited in groups] == [
        ("ncsc.md", [1, 3]),
        ("gds.md", [2]),
    ]


def test_plain_text_answer_groups_sources_with_their_links() -> None:
    assert answer_as_text(ANSWER) == "\n".join(
        [
            ANSWER.answer,
            "",
            "Sources:",
            "  Ncsc.Md (2021). NCSC.",
            "  https://github.com/ukncsc/zero-trust-architecture",
            "    [1] Introduction",
            "    [3] Principles",
            "  Gds.Md.",
            "  https://www.gov.uk/service-manual",
            "    [2] Standards, page 4",
            "",
            "Note: Sources date from 2021.",
        ]
    )
    assert answer_as_text(ANSWER, with_question=True).startswith(
        "Question: What is zero trust?\n\n"
    )


def test_markdown_answer_has_linked_numbered_sources_and_no_raw_markup() -> None:
    md = answer_as_markdown(ANSWER)
    assert md.splitlines()[:3] == ["**Question:** What is zero trust?", "", ANSWER.answer]
    assert "- [Ncsc.Md (2021)](<https://github.com/ukncsc/zero-trust-architecture>), NCSC" in md
    assert '  - [1] Introduction: "Zero trust is an approach to system design"' in md
    assert "- [Gds.Md](<https://www.gov.uk/service-manual>)" in md
    assert (
        "\\[" not in md
        and "<details" not in md
        and "<" not in md.replace("(<", "").replace(">)", "")
    )


@pytest.mark.parametrize(
    "source, expected",
    [
        (
            "github.com/ukncsc/zero-trust-architecture @ bc13ef31",
            "https://github.com/ukncsc/zero-trust-architecture",
        ),
        (
            "github.com/alphagov/gdmp-translated-standards/service-standard-en.md @ e0305556",
            "https://github.com/alphagov/gdmp-translated-standards/blob/e0305556/service-standard-en.md",
        ),
        (
            "github.com/CIPPIC-CA/SmartCityToolkit @ 1ec8963 (22 pages, listed inline)",
            "https://github.com/CIPPIC-CA/SmartCityToolkit",
        ),
        (
            "https://www.ncsc.gov.uk/collection/zero-trust-architecture",
            "https://www.ncsc.gov.uk/collection/zero-trust-architecture",
        ),
        ("https://github.com/a/b/blob/main/c.md", "https://github.com/a/b/blob/main/c.md"),
        (
            "gitlab.com/group/proj/docs/a.md @ v2",
            "https://gitlab.com/group/proj/-/blob/v2/docs/a.md",
        ),
        ("www.gov.uk/guidance/x", "https://www.gov.uk/guidance/x"),
        ("the project seed document", None),
        ("javascript:alert(1)", None),
    ],
)
def test_source_links_go_to_the_document(source: str, expected: str | None) -> None:
    assert source_url(source) == expected


def test_link_labels_hide_commit_ids() -> None:
    label = url_label(
        "https://github.com/alphagov/gdmp-translated-standards/blob/e0305556fb815a47e8566a27fc993f87f2f8ef46/tcop-en.md"
    )
    assert label == "github.com/alphagov/gdmp-translated-standards › tcop-en.md"
