"""Read a Chroma store directly, the way a test checks what really landed on disk.

Product code reaches Chroma only through ``index.store``; tests look underneath it to prove
that what the store says matches what is stored.
"""

from __future__ import annotations

from typing import Any


def collection(store: str, name: str = "council_docs") -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if store.startswith("http"):
        host, port = store.split("//", 1)[1].rsplit(":", 1)
        client = chromadb.HttpClient(
            host=host, port=int(port), settings=ChromaSettings(anonymized_telemetry=False)
        )
    else:
        client = chromadb.PersistentClient(
            path=store, settings=ChromaSettings(anonymized_telemetry=False)
        )
    return client.get_collection(name, embedding_function=None)


def chunk_metas(store: str, name: str = "council_docs") -> list[dict[str, Any]]:
    return collection(store, name).get(include=["metadatas"])["metadatas"]


def chunk_ids(store: str, name: str = "council_docs") -> list[str]:
    return collection(store, name).get(include=[])["ids"]
