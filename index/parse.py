"""One file in, plain data out: load, clean and chunk a document for the ingest to embed.

``parse_file`` is the unit of work the ingest runs per file; everything it returns is plain,
picklable data, so it runs in a worker process with a time and a memory limit
(``index/isolation.py``). The file's bytes are checked against the parse limits before any
parser sees them and its text after (``index/limits.py``), and poisoned sentences are withheld
from the text before it is chunked (``index/poison.py``), so no backend can ever select them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from core.errors import DocumentError
from core.settings import Settings
from core.types import DocumentMeta
from index.chunking import Chunk, chunk_document
from index.limits import check_raw, check_text
from index.loaders import load_document
from index.poison import screen_document


@dataclass(frozen=True)
class ParsedDocument:
    meta: DocumentMeta
    format: str
    chunks: tuple[Chunk, ...]
    # Sentences withheld at ingest, each {"text", "reason", "section", "page"}: for the admin.
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
    limits = settings.ingest.limits
    check_raw(path.suffix.lower(), data, limits)
    document = load_document(path, relative, data)
    check_text("\n".join(page.text for page in document.pages), limits)
    document, flagged = screen_document(document, settings.ingest.poison)
    if groups and not document.meta.groups:  # front matter names its own groups: it wins
        document = replace(document, meta=replace(document.meta, groups=tuple(sorted(set(groups)))))
    chunks = chunk_document(
        document, doc_hash, settings.ingest.chunk_size, settings.ingest.chunk_overlap
    )
    if not chunks:
        raise DocumentError("no readable text found (only headings or markup)")
    return ParsedDocument(document.meta, document.format, tuple(chunks), flagged)
