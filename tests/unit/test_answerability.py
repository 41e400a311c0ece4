"""Answerability refusal: the kind of fact asked for, the ranker's floor, officer wording."""

from __future__ import annotations

import pytest

from assistant.answerability import (
    Judgement,
    asked_kind,
    covered_topics,
    not_stated_reason,
    not_stated_text,
    opening_sentences,
)
from core.settings import RefusalSettings
from core.types import Citation, DocumentMeta
from index.debris import debris_in, remove_debris

pytestmark = pytest.mark.unit


def _citation(n: int, section: str, title: str = "Smart city report") -> Citation:
    doc = DocumentMeta(document_id=f"d{n}", title=title, source=f"d{n}.md")
    return Citation(n=n, chunk_id=f"c{n}", doc=doc, text="x", section=section)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What is the budget for our smart city programme?", "the amount of money"),
        ("How much does the licence cost?", "the amount of money"),
        ("What percentage of councils share data?", "the percentage"),
        ("When was the Service Standard introduced?", "the date"),
        ("Who leads the programme?", "who it is"),
        ("How many principles are there?", "the number"),
        ("What is zero trust?", None),
        ("Why does data sharing matter?", None),
    ],
)
def test_asked_kind(question: str, kind: str | None) -> None:
    found = asked_kind(question)
    assert (found[1] if found else None) == kind


def test_low_answerability_refuses_whatever_the_kind() -> None:
    cfg = RefusalSettings(answerability_floor=0.1, entity_answerability=0.5)
    assert not_stated_reason(Judgement(0.05, None, None), cfg)
    assert not_stated_reason(Judgement(0.2, None, None), cfg) is None


def test_missing_kind_refuses_only_below_the_entity_threshold() -> None:
    cfg = RefusalSettings(answerability_floor=0.1, entity_answerability=0.5)
    reason = not_stated_reason(Judgement(0.3, "the amount of money", False), cfg)
    assert reason and "the amount of money" in reason
    assert not_stated_reason(Judgement(0.8, "the amount of money", False), cfg) is None
    assert not_stated_reason(Judgement(0.3, "the amount of money", True), cfg) is None


def test_no_ranker_never_refuses() -> None:
    assert not_stated_reason(Judgement(None, "the date", False), RefusalSettings()) is None


def test_refusal_text_says_what_is_covered_without_scores() -> None:
    citations = [_citation(1, "Report > Programme aims"), _citation(2, "Report > Partners")]
    text = not_stated_text(Judgement(0.2, "the amount of money", False), citations)
    assert (
        text
        == "The documents cover “Programme aims” and “Partners” but do not state the amount of money."
    )
    assert not any(ch.isdigit() for ch in text)
    assert covered_topics([_citation(1, "")]) == ["Smart city report"]


def test_opening_sentences_carry_their_cited_section() -> None:
    citations = [_citation(1, "Guide > Budget"), _citation(2, "Guide > Aims")]
    answer = "The programme aims to cut emissions. [2] It started in 2019. [1] Third one. [1]"
    assert opening_sentences(answer, citations, 2) == [
        ("The programme aims to cut emissions.", "Aims"),
        ("It started in 2019.", "Budget"),
    ]


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        (
            "including climate_change, economic_restructuring, the move",
            "including climate change, economic restructuring, the move",
        ),
        (
            "Singapore, Dubai, Milton_Keynes, Southampton",
            "Singapore, Dubai, Milton Keynes, Southampton",
        ),
        (
            "its metropolitan city-regions.12 The EU has",
            "its metropolitan city-regions. The EU has",
        ),
        ("maintainer_id: ordnance-survey", "maintainer_id: ordnance-survey"),
        ("Version 2.12 The release", "Version 2.12 The release"),
    ],
)
def test_underscores_and_glued_footnotes_removed(dirty: str, clean: str) -> None:
    assert remove_debris(dirty) == clean


def test_debris_metric_catches_underscores_and_glued_footnotes() -> None:
    assert "words joined by underscores" in debris_in("Milton_Keynes has a plan.")
    assert "footnote number glued to a word" in debris_in("Cities grow.12 The EU acts.")
    assert debris_in("Milton Keynes has a plan.") == []
