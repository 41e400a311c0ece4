"""What the index holds, without loading any model (``status`` must be fast)."""

from __future__ import annotations

from typing import Any

from core.settings import Settings
from index.store import Store, describe_store


def index_status(settings: Settings) -> dict[str, Any]:
    store = Store(settings.store, settings.collection)
    records = store.documents()
    info = store.info
    documents = sorted(records.values(), key=lambda r: r.meta.path)
    return {
        "store": describe_store(settings.store),
        "collection": settings.collection,
        "documents": len(records),
        "chunks": sum(r.chunks for r in documents),
        "embed_model": info.get("embed_model") or settings.embed_model,
        "last_ingest": info.get("last_ingest"),
        "revision": info.get("revision", 0),
        "document_list": [
            {**r.meta.to_dict(), "chunks": r.chunks, "ingested_at": r.ingested_at}
            for r in documents
        ],
    }
