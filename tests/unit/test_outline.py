"""A document's numbered headings become outline chunks (headings are data)."""

from __future__ import annotations

import pytest

from core.types import DocumentMeta
from index.chunking import chunk_document, whole_sentence_pieces
from index.loaders import LoadedDocument, Page
from index.outline import OUTLINE_LEAD, heading_families, outline_sections

pytestmark = pytest.mark.unit

CAF = """# Cyber Assessment Framework
## Contents
### CAF - Objective A - Managing security risk
#### Principle A1 Governance
Text.
#### Principle A2 Risk Management
Text.
# CAF - Objective B - Protecting against cyber attack
## Principle B1 Service Protection Policies
Text.
# CAF - Objective C – Detecting Cyber Security Events
## Principle C1 Security Monitoring
Text.
# CAF - Objective D - Minimising the impact of incidents
## Principle D1 Response and Recovery Planning
Text.
"""

STANDARD = "\n".join(
    f"## {n}.  {title}\n\n### Why it's important\n\nBecause.\n"
    for n, title in enumerate(
        ["Understand users", "Solve a whole problem", "Provide a joined up experience"], 1
    )
)


def test_objectives_and_principles_are_families_whatever_their_heading_level():
    families = {f.name: [text for _, text in f.members] for f in heading_families(CAF)}
    assert families["objectives"] == [
        "CAF - Objective A - Managing security risk",
        "CAF - Objective B - Protecting against cyber attack",
        "CAF - Objective C – Detecting Cyber Security Events",
        "CAF - Objective D - Minimising the impact of incidents",
    ]
    assert len(families["principles"]) == 5


def test_numbered_sections_are_listed_in_order_and_repeated_subheadings_are_not():
    [(section, text)] = outline_sections("Service Standard", STANDARD)
    assert section == "Service Standard > Outline: numbered sections"
    assert text.splitlines() == [
        "The headings of Service Standard list 3 numbered sections:",
        "- 1. Understand users",
        "- 2. Solve a whole problem",
        "- 3. Provide a joined up experience",
    ]
    assert OUTLINE_LEAD.match(text)  # what the extractive backend reads the count from


def test_an_overview_repeating_the_list_does_not_make_a_second_outline():
    text = "### 1. Know it\n### 2. Use it\n### 3. Check it\n## 1. Know it\n## 2. Use it\n"
    assert len(outline_sections("Zero trust", text)) == 1


def test_two_numbered_headings_are_not_a_structure():
    assert outline_sections("Guide", "## 1. Intro\n\ntext\n\n## 2. Scope\n\ntext") == []


def test_chunk_document_adds_the_outline_chunk_after_the_text():
    doc = LoadedDocument(DocumentMeta("caf.md", title="CAF"), (Page(CAF),), "markdown")
    nodes = chunk_document(doc, "ab" * 32, 200, 30)
    outlines = [n for n in nodes if n.kind == "outline"]
    assert {n.section for n in outlines} == {
        "CAF > Outline: objectives",
        "CAF > Outline: principles",
    }
    assert nodes[-1] in outlines
    assert all(OUTLINE_LEAD.match(n.text) for n in outlines)
    assert not any(OUTLINE_LEAD.match(n.text) for n in nodes if n.kind == "text")


def test_pieces_start_at_a_sentence():
    assert whole_sentence_pieces(["First one. Second has (e.g.", "policies) in it. Third."]) == [
        "First one.",
        "Second has (e.g. policies) in it. Third.",
    ]
    assert whole_sentence_pieces(["A whole one. And part of", "part of a long one. Next."]) == [
        "A whole one.",
        "And part of a long one. Next.",
    ]
    assert whole_sentence_pieces(["One. Two words here.", "here. Three."]) == [
        "One. Two words here.",
        "Three.",
    ]
