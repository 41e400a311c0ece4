"""Composing extractive answers (no embedder: lexical scores only, so these run in milliseconds)."""

from __future__ import annotations

import pytest

from assistant.backends.extractive import ExtractiveBackend
from assistant.citations import CitationChecker, join_sentences
from core.settings import AnswerSettings
from core.types import DocumentMeta, Passage

pytestmark = pytest.mark.unit


def passage(text: str, n: int = 0, section: str = "") -> Passage:
    return Passage(
        f"doc.md::x::{n:05d}", DocumentMeta("doc.md", title="Cloud guide"), text, section
    )


def draft(question: str, *texts: str) -> str:
    backend = ExtractiveBackend(AnswerSettings())
    return backend.draft(question, [passage(t, i) for i, t in enumerate(texts)], ()).text


CLOUD = (
    "Any cloud strategy will need expertise from a number of functions to deliver it effectively. "
    "There are four functions essential for a successful cloud strategy:\n"
    "- commercial - responsible for contracts with cloud providers\n"
    "- finance - responsible for budgets\n"
    "- human resources - responsible for recruiting and re-skilling\n"
    "- technology - responsible for the architecture\n\n"
    "Cloud can improve speed of delivery."
)


def test_a_list_is_quoted_whole_under_its_lead_in():
    text = draft("Which functions need to be involved in a cloud strategy?", CLOUD)
    assert "There are four functions essential for a successful cloud strategy: [1]" in text
    for item in ("commercial", "finance", "human resources", "technology"):
        assert f"\n- {item} - responsible" in text
    assert text.index("commercial") < text.index("technology")  # reading order


def test_an_example_rides_with_the_sentence_it_illustrates():
    text = draft(
        "Are there cases where we should not publish source code?",
        "There are a few cases when you should not publish source code in the open. "
        "For example, code that relates to a sensitive government policy. "
        "Cloud hosting is cheaper.",
    )
    assert "sensitive government policy" in text
    assert text.index("few cases") < text.index("For example")


def test_fragments_and_headings_are_never_quoted():
    text = draft(
        "How should backups be tested?",
        "by patching) promptly. How to test backups\n\nYou should routinely test backups to make sure they restore.",
    )
    assert "patching" not in text and "How to test backups [" not in text
    assert "routinely test backups" in text


def test_structure_questions_are_answered_from_the_outline():
    outline = (
        "The headings of Service Standard list 3 numbered sections:\n- 1. Understand users\n"
        "- 2. Solve a whole problem\n- 3. Provide a joined up experience"
    )
    body = "Understand your users and their needs in depth before you design anything for them."
    text = draft("How many points are in the Service Standard and what is point 1?", outline, body)
    assert text.startswith(
        "The headings of Service Standard list 3 numbered sections: [1]\n- 1. Understand users [1]"
    )
    assert "2. Solve" not in text
    listed = draft("What are the points of the Service Standard?", outline, body)
    assert "- 3. Provide a joined up experience [1]" in listed


def test_the_checked_answer_keeps_its_list_lines():
    assert (
        join_sentences(["Lead [1]:", "- a [1]", "- b [1]", "After [2]."])
        == "Lead [1]:\n- a [1]\n- b [1]\n\nAfter [2]."
    )
    checked = CitationChecker().check(
        "Functions are needed [1]:\n- commercial work [1]\n- finance work [1]",
        [passage("Functions are needed:\n- commercial work\n- finance work")],
    )
    assert checked.text == "Functions are needed [1]:\n- commercial work [1]\n- finance work [1]"


def test_what_is_questions_open_with_the_definition_and_pointers_are_skipped():
    text = draft(
        "What is zero trust?",
        "To learn more read our introduction to zero trust. In a zero trust network every request "
        "for zero trust access is checked. Zero trust is an approach where no network is trusted.",
    )
    assert text.startswith("Zero trust is an approach where no network is trusted. [1]")
    assert "learn more" not in text
