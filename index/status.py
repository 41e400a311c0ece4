"""What the index holds, without loading any model (``status`` must be fast)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.settings import Settings
from core.types import EVERYONE, Access, DocumentMeta
from index.store import DocumentReader, describe_store, open_store


@dataclass(frozen=True)
class DocumentStatus:
    """One indexed document as the status and the web app's document list show it."""

    meta: DocumentMeta
    chunks: int
    ingested_at: str
    flagged: tuple[dict[str, str], ...] = ()  # sentences withheld at ingest (for the admin)

    @property
    def document_id(self) -> str:
        return self.meta.document_id

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.meta.to_dict(),
            "chunks": self.chunks,
            "ingested_at": self.ingested_at,
            "flagged": list(self.flagged),
        }


@dataclass(frozen=True)
class IndexStatus:
    """The store, its revision and embedder, and the documents one caller may see."""

    store: str
    collection: str
    embed_model: str
    last_ingest: str | None
    revision: int
    document_list: tuple[DocumentStatus, ...]

    @property
    def chunks(self) -> int:
        return sum(d.chunks for d in self.document_list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``status --json`` prints."""
        return {
            "store": self.store,
            "collection": self.collection,
            "documents": len(self.document_list),
            "chunks": self.chunks,
            "embed_model": self.embed_model,
            "last_ingest": self.last_ingest,
            "revision": self.revision,
            "document_list": [d.to_dict() for d in self.document_list],
        }


def status_of(
    settings: Settings, store: DocumentReader | None = None, access: Access = EVERYONE
) -> IndexStatus:
    """What the index holds, as far as ``access`` may see (counts included).

    Raises ``StoreError`` (naming the ingest command) when there is no index there.
    """
    store = store or open_store(settings)
    records = [r for r in store.documents().values() if r.meta.visible_to(access)]
    info = store.info()
    return IndexStatus(
        store=describe_store(settings.store) if store.location != "memory" else "memory",
        collection=settings.collection,
        embed_model=info.embed_model or settings.embed_model,
        last_ingest=info.last_ingest,
        revision=info.revision,
        document_list=tuple(
            DocumentStatus(r.meta, r.chunks, r.ingested_at, tuple(r.flagged))
            for r in sorted(records, key=lambda r: r.meta.path)
        ),
    )


def index_status(
    settings: Settings, store: DocumentReader | None = None, access: Access = EVERYONE
) -> dict[str, Any]:
    """``status_of`` as the JSON ``status --json`` prints."""
    return status_of(settings, store, access).to_dict()
