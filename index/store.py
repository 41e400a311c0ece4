"""The Chroma store: embedded (a folder) or a ``chroma run`` server (http://HOST:PORT).

The two differ only in how the client is made. A store holds, per collection name ``C``:

* ``C``        the chunks with their embeddings (written through llama-index's ChromaVectorStore);
* ``C__docs``  one record per document: its content hash, path, title, chunk count, when
               ingested. This is the commit log: a chunk is live only when its ``doc_hash``
               matches its document's record, so a killed ingest never exposes half a document.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlparse

from core.errors import StoreError
from core.types import DocumentMeta

DOCS_SUFFIX = "__docs"
PLACEHOLDER_EMBEDDING = [1.0]  # the manifest collection needs a vector; it is never searched


def _chroma_settings() -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def describe_store(store: str) -> str:
    return store if is_remote(store) else os.path.abspath(store)


def is_remote(store: str) -> bool:
    return store.startswith(("http://", "https://"))


_CLIENT_LOCK = threading.Lock()
DEFAULT_TIMEOUT_S = 30.0


def make_client(store: str, timeout_s: float | None = None) -> Any:
    """A Chroma client for a folder path or an http(s)://HOST:PORT server, one per process.

    Locked: two threads creating the same embedded client at once crash inside chromadb.
    ``timeout_s`` (settings.store_timeout_s) bounds each call to a server: chromadb's own
    HTTP client waits for ever on a server that has hung.
    """
    with _CLIENT_LOCK:
        client = _make_client(store)
        if timeout_s is not None and is_remote(store):
            _set_timeout(client, timeout_s)
        return client


def _set_timeout(client: Any, seconds: float) -> None:
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))


@lru_cache(maxsize=8)
def _make_client(store: str) -> Any:
    import chromadb

    try:
        if is_remote(store):
            url = urlparse(store)
            if not url.hostname:
                raise StoreError(f"--store {store!r} is not a valid http://HOST:PORT address")
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=_chroma_settings(),
            )
            _set_timeout(client, DEFAULT_TIMEOUT_S)
            client.heartbeat()
            return client
        os.makedirs(store, exist_ok=True)
        return chromadb.PersistentClient(path=store, settings=_chroma_settings())
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many types for "cannot reach / cannot open"
        raise store_unavailable(store, exc) from None


@dataclass(frozen=True)
class DocumentRecord:
    """A committed document: its metadata, content hash, where it was ingested from."""

    meta: DocumentMeta
    doc_hash: str
    root: str
    chunks: int
    ingested_at: str

    @property
    def document_id(self) -> str:
        return self.meta.document_id

    def to_metadata(self) -> dict[str, Any]:
        data = {k: v for k, v in self.meta.to_dict().items() if v is not None}
        data.update(doc_hash=self.doc_hash, root=self.root, chunks=self.chunks, ingested_at=self.ingested_at)
        return data

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> DocumentRecord:
        return cls(
            meta=DocumentMeta.from_dict(data),
            doc_hash=str(data.get("doc_hash", "")),
            root=str(data.get("root", "")),
            chunks=int(data.get("chunks") or 0),
            ingested_at=str(data.get("ingested_at", "")),
        )


class Store:
    """Chunk and manifest collections of one name in one Chroma store."""

    def __init__(self, store: str, collection: str, create: bool = True) -> None:
        if not 3 <= len(collection) <= 60:
            raise StoreError("collection names need 3 to 60 characters")
        self.location = store
        self.name = collection
        self.client = make_client(store)
        try:
            if create:
                self.chunks = self.client.get_or_create_collection(
                    collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
                )
                self.docs = self.client.get_or_create_collection(
                    collection + DOCS_SUFFIX, embedding_function=None
                )
            else:
                self.chunks = self.client.get_collection(collection, embedding_function=None)
                self.docs = self.client.get_collection(
                    collection + DOCS_SUFFIX, embedding_function=None
                )
            self.chunks = Guarded(self.chunks, store)
            self.docs = Guarded(self.docs, store)
        except StoreError:
            raise
        except Exception as exc:
            if not create and _is_missing(exc):
                raise StoreError(
                    f"no collection '{collection}' in the store at {describe_store(store)};"
                    " run `python -m assistant ingest` first"
                ) from None
            raise store_unavailable(store, exc) from None

    # -- collection-level metadata -------------------------------------------------------
    @property
    def info(self) -> dict[str, Any]:
        """Collection metadata, read afresh: another process may have ingested since we opened."""
        try:
            return dict(self.client.get_collection(self.name).metadata or {})
        except Exception:  # dropped meanwhile: report what we knew
            return dict(self.chunks.metadata or {})

    def set_info(self, **values: Any) -> None:
        metadata = {k: v for k, v in self.info.items() if not k.startswith("hnsw:")}
        metadata.update({k: v for k, v in values.items() if v is not None})
        self.chunks.modify(metadata=metadata)

    def check_embedder(self, embed_model: str) -> None:
        recorded = self.info.get("embed_model")
        if recorded and recorded != embed_model and self.chunks.count():
            raise StoreError(
                f"collection '{self.name}' was built with embedding model '{recorded}', not"
                f" '{embed_model}'; use another --collection or re-ingest with --rebuild"
            )

    # -- manifest ------------------------------------------------------------------------
    def documents(self) -> dict[str, DocumentRecord]:
        got = self.docs.get(include=["metadatas"])
        return {
            doc_id: DocumentRecord.from_metadata(meta)
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [])
        }

    def commit_document(self, record: DocumentRecord) -> None:
        """The commit point: from here on the new chunks are live and the old ones dead."""
        self.docs.upsert(
            ids=[record.document_id],
            embeddings=[PLACEHOLDER_EMBEDDING],
            metadatas=[record.to_metadata()],
            documents=[record.meta.title],
        )

    def forget_document(self, document_id: str) -> None:
        self.docs.delete(ids=[document_id])
        self.chunks.delete(where={"document_id": document_id})

    def delete_stale_chunks(self, document_id: str, live_hash: str) -> None:
        self.chunks.delete(
            where={"$and": [{"document_id": document_id}, {"doc_hash": {"$ne": live_hash}}]}
        )

    def collect_garbage(self, records: dict[str, DocumentRecord]) -> int:
        """Remove chunks no committed document owns (left by an ingest that was killed)."""
        if self.chunks.count() == sum(r.chunks for r in records.values()):
            return 0  # live chunks are written before their commit, so none can be orphaned
        got = self.chunks.get(include=["metadatas"])
        live = {(r.document_id, r.doc_hash) for r in records.values()}
        orphans = [
            chunk_id
            for chunk_id, meta in zip(got["ids"], got["metadatas"] or [])
            if (meta.get("document_id"), meta.get("doc_hash")) not in live
        ]
        for start in range(0, len(orphans), 5000):
            self.chunks.delete(ids=orphans[start : start + 5000])
        return len(orphans)

    def live_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """(ids, texts, metadatas) of every live chunk, for keyword search."""
        records = self.documents()
        live = {(r.document_id, r.doc_hash) for r in records.values()}
        got = self.chunks.get(include=["documents", "metadatas"])
        rows = [
            (i, t, m)
            for i, t, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [])
            if (m.get("document_id"), m.get("doc_hash")) in live
        ]
        return [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]

    def drop(self) -> None:
        for name in (self.name, self.name + DOCS_SUFFIX):
            try:
                self.client.delete_collection(name)
            except Exception:  # already absent
                pass


def _is_missing(exc: Exception) -> bool:
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError | ValueError)


def store_unavailable(location: str, exc: BaseException, what: str = "the document store") -> StoreError:
    """The one error users see when the store cannot be reached, read or written."""
    detail = f"{type(exc).__name__}: {exc}"[:300]
    lowered = detail.lower()
    if "disk is full" in lowered or "no space left" in lowered:
        detail = f"the disk it is on is full ({detail})"
    elif "readonly" in lowered or "read-only" in lowered:
        detail = f"it is read-only ({detail})"
    return StoreError(f"{what} ({describe_store(location)}) is unavailable: {detail}")


class Guarded:
    """A Chroma collection whose every call turns a failure into a ``StoreError``.

    A stopped or hung ``chroma run`` server raises httpx errors, a full or read-only disk
    sqlite and OS errors, a failing server chromadb errors; callers see one ``StoreError``
    that says the store is unavailable, and the next call simply tries again, so the app
    recovers by itself when the store comes back. Mistakes in the call itself (TypeError,
    AttributeError) stay what they are.
    """

    def __init__(self, target: Any, location: str) -> None:
        self._target = target
        self._location = location

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return value(*args, **kwargs)
            except (StoreError, TypeError, AttributeError):
                raise
            except Exception as exc:
                raise store_unavailable(self._location, exc) from exc

        return call
