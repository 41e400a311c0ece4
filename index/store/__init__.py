"""The store seam: ``open_store(settings)`` picks the implementation by ``settings.store``.

* a folder path           an embedded Chroma store (``ChromaStore``)
* ``http(s)://HOST:PORT``  a ``chroma run`` server (``ChromaStore``); the keyword index lives in
                           ``settings.keyword_dir`` on this machine
* ``memory``               ``InMemoryStore``, one per process and collection (tests, demos)

Only ``ingest`` passes ``create=True``: every other command opening a store that does not
exist gets a ``StoreError`` naming the path and the ingest command that would create it.
"""

from __future__ import annotations

import threading

from core.settings import Settings
from index.store.base import (
    ChunkKind,
    ChunkRow,
    DocumentReader,
    DocumentRecord,
    DocumentStore,
    DocumentWriter,
    RevisionNotes,
    Scope,
    SkippedFile,
    StoredChunk,
    StoreInfo,
    chunk_id_for,
    split_chunk_id,
)
from index.store.clients import describe_store, is_remote
from index.store.memory import InMemoryStore
from index.store.warming import KeywordStatus

__all__ = [
    "ChunkKind",
    "ChunkRow",
    "DocumentReader",
    "DocumentRecord",
    "DocumentStore",
    "DocumentWriter",
    "InMemoryStore",
    "KeywordStatus",
    "RevisionNotes",
    "Scope",
    "SkippedFile",
    "StoreInfo",
    "StoredChunk",
    "chunk_id_for",
    "describe_store",
    "is_remote",
    "open_store",
    "split_chunk_id",
]

_MEMORY: dict[str, InMemoryStore] = {}
_MEMORY_LOCK = threading.Lock()


def open_store(settings: Settings, create: bool = False) -> DocumentStore:
    if settings.store == "memory":
        with _MEMORY_LOCK:
            return _MEMORY.setdefault(settings.collection, InMemoryStore(settings.collection))
    from index.store.chroma import ChromaStore

    return ChromaStore(settings, create=create)
