"""The store role: what ingest and retrieval need from wherever the chunks live.

Two implementations ship: ``ChromaStore`` (an embedded folder or a ``chroma run`` server) and
``InMemoryStore`` (the fake, for fast tests of fusion, reranking, refusal and the pipeline).
Nothing outside ``index.store`` touches a Chroma collection.

The commit point of a document is its manifest record: a chunk is live only when its
document's record carries the chunk's content hash, so a killed ingest never exposes half a
document. Readers check that per hit (the hash is in the chunk id), never with a filter listing
every live hash.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from core.types import EVERYONE, Access, DocumentMeta, Filters
from index.store.warming import KeywordStatus

FLAGGED_KEEP = 50  # flagged sentences kept per document record (the admin sees these)

# What a chunk holds: a piece of the document's text, or its outline (a family of numbered
# headings listed in order, ``index.outline``), which only questions about structure want.
ChunkKind = Literal["text", "outline"]


@dataclass(frozen=True)
class DocumentRecord:
    """A committed document: its metadata, content hash, and where it was ingested from."""

    meta: DocumentMeta
    doc_hash: str
    root: str
    chunks: int
    ingested_at: str
    flagged: tuple[dict[str, str], ...] = ()  # sentences withheld at ingest, with the reason
    outline_chunks: tuple[str, ...] = ()  # ids of its outline chunks, in document order

    @property
    def document_id(self) -> str:
        return self.meta.document_id

    def to_metadata(self) -> dict[str, Any]:
        """Flat scalars, as Chroma metadata must be."""
        data: dict[str, Any] = {k: v for k, v in self.meta.to_dict().items() if v is not None}
        data["groups"] = ",".join(self.meta.groups)
        data.update(doc_hash=self.doc_hash, root=self.root, chunks=self.chunks)
        data.update(ingested_at=self.ingested_at)
        data["flagged"] = json.dumps(list(self.flagged[:FLAGGED_KEEP]), ensure_ascii=False)
        data["outline_chunks"] = json.dumps(list(self.outline_chunks), ensure_ascii=False)
        return data

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> DocumentRecord:
        return cls(
            meta=DocumentMeta.from_dict(data),
            doc_hash=str(data.get("doc_hash", "")),
            root=str(data.get("root", "")),
            chunks=int(data.get("chunks") or 0),
            ingested_at=str(data.get("ingested_at", "")),
            flagged=tuple(_json_list(data.get("flagged"))),
            outline_chunks=tuple(str(c) for c in _json_list(data.get("outline_chunks"))),
        )


def _json_list(value: Any) -> list[Any]:
    """A JSON list saved as one metadata string; empty when absent or unreadable."""
    try:
        loaded = json.loads(value or "[]")
    except (TypeError, ValueError):
        return []
    return loaded if isinstance(loaded, list) else []


@dataclass(frozen=True)
class ChunkRow:
    """One chunk to write: its text, where in the document it is, and its embedding."""

    chunk_id: str
    text: str
    vector: Sequence[float]
    section: str = ""
    page: int | None = None
    index: int = 0
    kind: ChunkKind = "text"


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as read back: what a passage needs besides its document's record."""

    chunk_id: str
    document_id: str
    doc_hash: str
    text: str
    section: str = ""
    page: int | None = None
    vector: Sequence[float] | None = None
    kind: ChunkKind = "text"


@dataclass(frozen=True)
class Scope:
    """Which documents a query may see: the user's filters and the caller's access groups."""

    filters: Filters = field(default_factory=Filters)
    access: Access = EVERYONE

    @property
    def everything(self) -> bool:
        return self.filters.empty and self.access.unrestricted

    def admits(self, meta: DocumentMeta) -> bool:
        """The same rule the stores push into their queries, for one document."""
        f = self.filters
        if not meta.visible_to(self.access):
            return False
        if f.documents and meta.document_id not in f.documents:
            return False
        if f.publisher and f.publisher.lower() not in meta.publisher.lower():
            return False
        if f.year_from is not None and (meta.year is None or meta.year < f.year_from):
            return False
        if f.year_to is not None and (meta.year is None or meta.year > f.year_to):
            return False
        return True


@dataclass(frozen=True)
class SkippedFile:
    """A file an ingest skipped, remembered so the next one does not parse it again.

    ``skip_key`` is its content hash together with the parse limits it failed under: the file
    is tried again once either changes."""

    skip_key: str
    root: str
    reason: str


@dataclass(frozen=True)
class StoreInfo:
    embed_model: str | None
    last_ingest: str | None
    revision: int


def revision_tag(info: StoreInfo) -> str:
    """Names one state of the store: the revision and when it was reached (a store deleted and
    rebuilt to the same revision number has another ``last_ingest``)."""
    return f"{info.revision}@{info.last_ingest}:"


def chunk_id_for(document_id: str, doc_hash: str, index: int) -> str:
    """Stable for the same content; names its document and content hash (for liveness)."""
    return f"{document_id}::{doc_hash[:12]}::{index:05d}"


def split_chunk_id(chunk_id: str) -> tuple[str, str]:
    """(document id, content-hash prefix) of a chunk id made by ``chunk_id_for``."""
    document_id, _, rest = chunk_id.rpartition("::")
    document_id, _, hash_prefix = document_id.rpartition("::")
    return document_id, hash_prefix


def is_live(chunk_id: str, records: dict[str, DocumentRecord]) -> bool:
    document_id, hash_prefix = split_chunk_id(chunk_id)
    record = records.get(document_id)
    return record is not None and record.doc_hash[:12] == hash_prefix


@runtime_checkable
class DocumentReader(Protocol):
    """What retrieval, status and the web app read: search, fetch, list, revision. Every read
    sees only committed documents."""

    location: str  # a folder, a URL, or "memory"
    collection: str

    def info(self) -> StoreInfo:
        """The revision and embedder, read afresh each time: another process may have ingested
        since this one opened."""
        ...

    def documents(self) -> dict[str, DocumentRecord]:
        """The manifest: every committed document by id."""
        ...

    def dense_search(
        self, vector: Sequence[float], k: int, scope: Scope
    ) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the nearest live chunks the scope admits."""
        ...

    def keyword_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) for stemmed query terms, best first, within the scope."""
        ...

    def term_counts(
        self, terms: Sequence[str], scope: Scope | None = None
    ) -> tuple[dict[str, int], int]:
        """(in how many live chunks each term occurs, how many live chunks there are), counted
        within ``scope`` when given (slower: keep that for a few rare terms)."""
        ...

    def count(self, scope: Scope) -> int:
        """How many live chunks the scope admits (to say why a filtered search found nothing)."""
        ...

    def fetch(self, chunk_ids: Sequence[str], vectors: bool = False) -> list[StoredChunk]:
        """Chunks by id (those that exist), optionally with their embeddings."""
        ...

    def ping(self) -> None:
        """Raise ``StoreError`` when the store cannot be queried."""
        ...

    def keyword_status(self) -> KeywordStatus:
        """Whether keyword search is ready (a new app machine builds its index in the
        background; until then ``keyword_search`` finds nothing and ``term_counts`` is empty)."""
        ...


@runtime_checkable
class DocumentWriter(Protocol):
    """What ingest and removal write: one writer at a time, each document committed whole."""

    location: str
    collection: str

    def writing(self) -> AbstractContextManager[object]:
        """Held for a whole ingest or removal: one writer at a time, across processes."""
        ...

    def check_embedder(self, embed_model: str) -> None:
        """Raise ``StoreError`` when the collection was built with another embedding model."""
        ...

    def commit_document(self, record: DocumentRecord, chunks: Sequence[ChunkRow]) -> None:
        """Write the chunks, commit the record (the commit point), then drop the old version."""
        ...

    def drop_document(self, document_id: str) -> None: ...

    def repair(self) -> int:
        """Remove chunks no committed record owns (a killed ingest); return how many. Costs
        nothing when the last writer ended cleanly (the store's journal says so)."""
        ...

    def skipped_files(self) -> dict[str, SkippedFile]:
        """The files earlier ingests skipped, by document id (read once per ingest)."""
        ...

    def remember_skipped(self, changes: dict[str, SkippedFile | None]) -> None:
        """Remember newly skipped files; forget (None) those that parsed or are gone."""
        ...

    def finish_ingest(self, embed_model: str, changed: bool) -> None:
        """Record the embedder and bump the revision so readers elsewhere see the change."""
        ...

    def drop(self) -> None:
        """Delete the whole collection (``ingest --rebuild``)."""
        ...


@runtime_checkable
class RevisionNotes(Protocol):
    """Small values saved on this machine for the store's current revision (the refusal
    calibration): any change to the documents makes them disappear."""

    def load_note(self, name: str) -> str | None: ...

    def save_note(self, name: str, value: str) -> None: ...


@runtime_checkable
class DocumentStore(DocumentReader, DocumentWriter, RevisionNotes, Protocol):
    """A whole store, as ``open_store`` returns it: ``ChromaStore`` and ``InMemoryStore``. Code
    that only reads (or only writes) takes the narrower role."""
