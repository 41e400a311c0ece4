"""One file in, plain data out: load, clean and chunk a document for the ingest to embed.

``parse_file`` is the unit of work the ingest runs per file; everything it returns is plain,
picklable data, so it can run in a separate worker process.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.settings import Settings
from core.types import DocumentMeta
from index.chunking import Chunk, chunk_document
from index.loaders import load_document


@dataclass(frozen=True)
class ParsedDocument:
    meta: DocumentMeta
    format: str
    chunks: tuple[Chunk, ...]
    # Sentences withheld at ingest, each {"text", "reason", "section"}: listed for the admin.
    flagged: tuple[dict[str, str], ...] = ()


def parse_file(
    path: Path,
    relative: str,
    data: bytes,
    doc_hash: str,
    settings: Settings,
    groups: tuple[str, ...] = (),
) -> ParsedDocument:
    """Parse ``data`` (the bytes of ``path``); ``groups`` come from the folder's ``.groups``.

    Raises ``DocumentError`` with a reason a person can act on.
    """
    document = load_document(path, relative, data)
    if groups and not document.meta.groups:  # front matter names its own groups: it wins
        document = replace(document, meta=replace(document.meta, groups=tuple(sorted(set(groups)))))
    chunks = chunk_document(
        document, doc_hash, settings.ingest.chunk_size, settings.ingest.chunk_overlap
    )
    return ParsedDocument(meta=document.meta, format=document.format, chunks=tuple(chunks))
