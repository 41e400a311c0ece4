"""Structure-aware chunking: Markdown sections first, then sentence-bounded pieces.

Every chunk carries its document's title, section path and page, and what is embedded starts
with the title and section so a question naming "the techUK report" finds its chunks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from index.loaders import LoadedDocument
from index.store.base import ChunkKind, chunk_id_for

if TYPE_CHECKING:  # llama-index costs ~1.5 s to import; an ingest with nothing new needs none
    from llama_index.core.node_parser import SentenceSplitter

# Bump when chunking or cleaning changes, so re-ingesting re-embeds what changed.
# 7: poisoned sentences withheld at ingest; 8: debris, tables, outlines; 9: notes kept;
# 10: each chunk's kind (text or outline) stored, and each record names its outline chunks;
# 11: underscore-joined words and glued footnote numbers removed (index/debris.py);
# 12: the trained detector and the contact-point policy screen sentences (index/screening.py)
PIPELINE_VERSION = "12"
SECTION_SEPARATOR = " > "
HEADING_LINE = re.compile(r"^#{1,6}\s+(.*)$")
NAVIGATION_SECTION = re.compile(r"^(navigation menu|site navigation|contents)\s*$", re.I)
# Sections that list other works or pages: they match many questions and answer none.
REFERENCE_SECTION = re.compile(
    r"^(references|external links|see also|further reading|notes|bibliography|citations|contents"
    r"|table of contents|(other |related )?(useful )?(resources|sources)|(canadian|foreign) sources"
    r"|resources\s*-.*)\s*$",
    re.I,
)


# "Notes" heads footnotes on Wikipedia but a council's own notes elsewhere ("# Notes" of a
# meeting): dropped only when its body is a list of references.
NOTES_SECTION = re.compile(r"^notes\s*$", re.I)
REFERENCE_LINE = re.compile(r"^\s*(?:[-*+•^]|\d{1,3}[.)]|\[\d{1,3}\])\s|https?://|\]\(")


def _lists_references(body: str) -> bool:
    lines = [line for line in body.splitlines() if line.strip()]
    return (
        bool(lines) and sum(bool(REFERENCE_LINE.search(line)) for line in lines) >= len(lines) / 2
    )


@dataclass(frozen=True)
class Chunk:
    """One piece of a document as ingest writes it (plain data: it crosses process boundaries)."""

    chunk_id: str
    text: str  # what a passage shows and the answer quotes
    embed_text: str  # what is embedded
    section: str = ""
    page: int | None = None
    index: int = 0
    kind: ChunkKind = "text"


@lru_cache(maxsize=8)
def _splitter(chunk_size: int, chunk_overlap: int) -> SentenceSplitter:
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)


def sections_of(markdown: str) -> list[tuple[str, str]]:
    """(section path, body) pairs in document order; heading-only sections are dropped."""
    from llama_index.core.node_parser import MarkdownNodeParser
    from llama_index.core.schema import Document

    parser = MarkdownNodeParser(include_prev_next_rel=False)
    result = []
    for node in parser.get_nodes_from_documents([Document(text=markdown)]):
        text = node.get_content()
        parents = [p for p in node.metadata.get("header_path", "/").split("/") if p.strip()]
        lines = text.splitlines()
        heading = HEADING_LINE.match(lines[0]) if lines else None
        if heading:
            parents.append(heading.group(1).strip())
            lines = lines[1:]
        body = "\n".join(lines).strip()
        if parents and REFERENCE_SECTION.match(_tidy_heading(parents[-1])):
            if not NOTES_SECTION.match(_tidy_heading(parents[-1])) or _lists_references(body):
                continue
        if any(NAVIGATION_SECTION.match(_tidy_heading(p)) for p in parents):
            continue
        if body:
            result.append((SECTION_SEPARATOR.join(_tidy_heading(p) for p in parents), body))
    return result


SENTENCE_START = re.compile(r"(?<=[.!?:;])[\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n+")


LAST_SENTENCE_START = re.compile(
    r"(?:[.!?][\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])|\n+)(?!.*(?:[.!?]\s+[A-Z0-9]|\n))", re.S
)
MAX_CARRIED_CHARS = 600


def whole_sentence_pieces(pieces: list[str]) -> list[str]:
    """Pieces that start at a sentence, not mid-way ("by patching) promptly. ...").

    The splitter's overlap can begin a piece inside a sentence that the piece before already
    holds whole: that leading fragment is dropped. Where the piece before holds only the start
    of the sentence (a cut at "e.g."), that start moves over, so both pieces hold whole ones.
    """
    result: list[str] = []
    for piece in (p.strip() for p in pieces):
        if result and piece[:1].islower():
            cut = SENTENCE_START.search(piece)
            if cut and piece[: cut.start()].strip() in result[-1] and piece[cut.end() :].strip():
                piece = piece[cut.end() :].strip()
            else:
                previous = result[-1]
                start = LAST_SENTENCE_START.search(previous)
                begin = start.end() if start else 0
                if 0 < len(previous) - begin <= MAX_CARRIED_CHARS:
                    tail = previous[begin:].strip()
                    shared = next(
                        (
                            k
                            for k in range(min(len(tail), len(piece)), 0, -1)
                            if tail.endswith(piece[:k])
                        ),
                        0,
                    )  # the splitter's overlap
                    piece = f"{tail}{piece[shared:]}" if shared else f"{tail} {piece}"
                    result[-1] = previous[:begin].strip()
                    if not result[-1]:
                        result.pop()
        result.append(piece)
    return result


def _tidy_heading(heading: str) -> str:
    return re.sub(r"[#*_`]+", "", heading).strip()


def embed_text(title: str, section: str, text: str) -> str:
    """What is embedded: title and section first, so a question naming the document finds it.

    The layout is llama-index's ``MetadataMode.EMBED`` rendering of a node whose embedded
    metadata is title and section, so vectors match the ones earlier versions stored.
    """
    return f"title: {title}\nsection: {section}\n\n{text}"


def chunk_document(
    document: LoadedDocument, doc_hash: str, chunk_size: int, chunk_overlap: int
) -> list[Chunk]:
    """Split a loaded document into chunks whose ids are stable for the same content."""
    splitter = _splitter(chunk_size, chunk_overlap)
    meta = document.meta
    chunks: list[Chunk] = []

    def add(piece: str, section: str, page: int | None, kind: ChunkKind = "text") -> None:
        index = len(chunks)
        chunks.append(
            Chunk(
                chunk_id=chunk_id_for(meta.document_id, doc_hash, index),
                text=piece,
                embed_text=embed_text(meta.title, section, piece),
                section=section,
                page=page,
                index=index,
                kind=kind,
            )
        )

    section = ""
    for page in document.pages:
        for section_path, body in sections_of(page.text):
            section = section_path or section
            for piece in whole_sentence_pieces(splitter.split_text(body)):
                if len(piece) >= 3:
                    add(piece, section, page.number)
    for section_path, text in structure_chunks(document):
        add(text, section_path, None, kind="outline")
    return chunks


def structure_chunks(document: LoadedDocument) -> list[tuple[str, str]]:
    """Extra chunks that hold the document's structure (see ``index.outline``)."""
    from index.outline import outline_sections

    return outline_sections(document.meta.title, "\n".join(p.text for p in document.pages))
