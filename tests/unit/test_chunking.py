"""Chunking keeps structure: title, section path, page and provenance on every chunk."""

from __future__ import annotations

import pytest

from core.types import DocumentMeta
from index.chunking import chunk_document, sections_of
from index.loaders import LoadedDocument, Page
from index.store import split_chunk_id

pytestmark = pytest.mark.unit

HASH = "ab" * 32
GUIDE = """Intro before any heading.

# Parking guide

## Permits

Resident permits cost £40 a year.

### Visitor permits

Visitor permits last one day.

## Empty heading

## References

* Some other document, 2019.

## Navigation menu

Home | About

# Enforcement

Wardens patrol every street weekly.
"""


def document(*pages: Page, **changes: object) -> LoadedDocument:
    fields: dict = dict(
        document_id="transport/parking.md",
        path="transport/parking.md",
        title="Parking guide 2021",
        publisher="Exampleshire Council",
        year=2021,
        licence="OGL v3",
        source="https://example.gov.uk/parking",
    )
    fields.update(changes)
    fmt = str(fields.pop("format", "markdown"))
    return LoadedDocument(meta=DocumentMeta(**fields), pages=pages, format=fmt)


def test_sections_carry_their_heading_path_and_noise_sections_go() -> None:
    assert sections_of(GUIDE) == [
        ("", "Intro before any heading."),
        ("Parking guide > Permits", "Resident permits cost £40 a year."),
        ("Parking guide > Permits > Visitor permits", "Visitor permits last one day."),
        ("Enforcement", "Wardens patrol every street weekly."),
    ]


def test_heading_markup_is_tidied_in_section_paths() -> None:
    assert sections_of("## **Bold** `code` _it_\n\nText.") == [("Bold code it", "Text.")]


def test_every_chunk_carries_its_section_position_and_a_stable_id() -> None:
    chunks = chunk_document(document(Page(GUIDE)), HASH, 200, 30)
    assert [c.section for c in chunks] == [
        "",
        "Parking guide > Permits",
        "Parking guide > Permits > Visitor permits",
        "Enforcement",
    ]
    for index, chunk in enumerate(chunks):
        assert chunk.index == index and chunk.page is None
        assert chunk.chunk_id == f"transport/parking.md::{HASH[:12]}::{index:05d}"
        assert split_chunk_id(chunk.chunk_id) == ("transport/parking.md", HASH[:12])
    joined = " ".join(c.text for c in chunks)
    assert "Some other document" not in joined and "Home | About" not in joined


def test_what_is_embedded_is_title_section_and_text_only() -> None:
    chunk = chunk_document(document(Page(GUIDE)), HASH, 200, 30)[2]
    embedded = chunk.embed_text
    assert "Parking guide 2021" in embedded
    assert "Parking guide > Permits > Visitor permits" in embedded
    assert embedded.endswith("Visitor permits last one day.")
    for hidden in ("OGL", "example.gov.uk", "Exampleshire", HASH[:12], "transport/"):
        assert hidden not in embedded
    assert chunk.text == "Visitor permits last one day."


def test_embedded_text_is_what_llama_index_renders_for_the_same_node() -> None:
    """Vectors stored by earlier versions (llama-index TextNodes) stay comparable."""
    from llama_index.core.schema import MetadataMode, TextNode

    chunk = chunk_document(document(Page(GUIDE)), HASH, 200, 30)[2]
    node = TextNode(
        text=chunk.text, metadata={"title": "Parking guide 2021", "section": chunk.section}
    )
    assert node.get_content(metadata_mode=MetadataMode.EMBED) == chunk.embed_text


def test_ids_are_stable_for_the_same_content_and_change_with_it() -> None:
    first = [n.chunk_id for n in chunk_document(document(Page(GUIDE)), HASH, 200, 30)]
    again = [n.chunk_id for n in chunk_document(document(Page(GUIDE)), HASH, 200, 30)]
    other = [n.chunk_id for n in chunk_document(document(Page(GUIDE)), "cd" * 32, 200, 30)]
    assert first == again
    assert not set(first) & set(other)


def test_pdf_chunks_keep_their_page_and_the_running_section() -> None:
    doc = document(
        Page("## Housing\n\nNew homes need two parking spaces.", 3),
        Page("Page four continues the housing section.", 4),
        Page("## Waste\n\nBins are emptied weekly.", 5),
        format="pdf",
    )
    nodes = chunk_document(doc, HASH, 200, 30)
    assert [(n.page, n.section) for n in nodes] == [
        (3, "Housing"),
        (4, "Housing"),
        (5, "Waste"),
    ]


def test_long_sections_split_into_bounded_overlapping_chunks() -> None:
    sentences = [
        f"Sentence {i} explains rule {i} of the parking scheme in detail." for i in range(120)
    ]
    nodes = chunk_document(document(Page("## Rules\n\n" + " ".join(sentences))), HASH, 100, 20)
    assert len(nodes) > 5
    assert all(n.section == "Rules" for n in nodes)
    assert max(len(n.text.split()) for n in nodes) < 100  # ~100 tokens is well under 100 words
    assert "Sentence 0 " in nodes[0].text and "Sentence 119 " in nodes[-1].text
    # Overlap: the start of each chunk repeats words from the end of the one before.
    assert all(" ".join(b.text.split()[:4]) in a.text for a, b in zip(nodes, nodes[1:]))


def test_a_notes_section_is_dropped_only_when_it_lists_references() -> None:
    own = "# Notes\n\nGrievance hearings at the depot are chaired by the head of HR.\n"
    assert sections_of(own) == [
        ("Notes", "Grievance hearings at the depot are chaired by the head of HR.")
    ]
    footnotes = "# Smart city\n\nCities use sensors.\n\n## Notes\n\n1. ^ Smith 2019, p. 4.\n2. ^ https://example.org/a\n"
    assert [section for section, _ in sections_of(footnotes)] == ["Smart city"]
    assert [
        section
        for section, _ in sections_of("# See also\n\nGrievance hearings are chaired by HR.\n")
    ] == []
