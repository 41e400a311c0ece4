"""What the index holds, without loading any model (``status`` must be fast)."""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from core.types import EVERYONE, Access
from index.store import DocumentStore, describe_store, open_store


def index_status(
    settings: Settings, store: DocumentStore | None = None, access: Access = EVERYONE
) -> dict[str, Any]:
    """What the index holds, as far as ``access`` may see (counts included).

    Raises ``StoreError`` (naming the ingest command) when there is no index there.
    """
    store = store or open_store(settings)
    records = {d: r for d, r in store.documents().items() if r.meta.visible_to(access)}
    info = store.info()
    documents = sorted(records.values(), key=lambda r: r.meta.path)
    return {
        "store": describe_store(settings.store) if store.location != "memory" else "memory",
        "collection": settings.collection,
        "documents": len(records),
        "chunks": sum(r.chunks for r in documents),
        "embed_model": info.embed_model or settings.embed_model,
        "last_ingest": info.last_ingest,
        "revision": info.revision,
        "document_list": [
            {
                **r.meta.to_dict(),
                "chunks": r.chunks,
                "ingested_at": r.ingested_at,
                "flagged": list(r.flagged),
            }
            for r in documents
        ],
    }
