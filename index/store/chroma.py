"""The Chroma store: an embedded folder or a ``chroma run`` server (http://HOST:PORT).

Per collection name ``C`` it holds:

* ``C``        chunks: text, embedding and lean metadata (document id, content hash, section,
               page, and the fields filters use). A passage's document fields come from the
               manifest record, not from a copy in every chunk;
* ``C__docs``  the manifest: one record per document (``DocumentRecord``), the commit log;
* ``C__state`` the store's own records (``state``): the ingest lock, whether the last writer
               ended cleanly, and the files skipped with their reason;
* a keyword index (``keyword.KeywordIndex``): inside the store folder when embedded; in a
               local folder (``Settings.keyword_dir``) per server and collection otherwise.

Chunks are written with ``chromadb`` directly rather than llama-index's ``ChromaVectorStore``:
that class stores a JSON copy of each node in its metadata (about 2.5 KB per chunk, three times
the text), and its query path rebuilds nodes retrieval then throws away. ``vector_store()``
still hands llama-index its building block over the same collection (the baseline uses it).

An embedded Chroma keeps its vector index in memory, so a process does not see another
process's ingest until it re-opens the client; ``documents()`` notices a revision it did not
write and re-opens (under a lock that waits for in-flight queries), and one query that meets a
chunk deleted meanwhile re-opens and retries.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from core.errors import StoreError, unavailable
from core.settings import Settings
from index.store.base import (
    ChunkRow,
    DocumentRecord,
    Scope,
    SkippedFile,
    StoredChunk,
    StoreInfo,
    is_live,
    revision_tag,
    split_chunk_id,
)
from index.store.clients import CLIENTS, describe_store, is_remote
from index.store.keyword import KeywordIndex
from index.store.locks import StoreLock, exclusive
from index.store.state import (
    RecordTable,
    last_writer_clean,
    mark_journal,
    read_skipped,
    write_skipped,
)
from index.store.warming import KeywordStatus, KeywordWarming

DOCS_SUFFIX = "__docs"
STATE_SUFFIX = "__state"
PLACEHOLDER_EMBEDDING = [1.0]  # the manifest collection needs a vector; it is never searched
PAGE = 1000  # rows per read: nothing reads a whole collection at once
WRITE_BATCH = 500
MISSING_STORE_HINT = "only `ingest` creates a store"
T = TypeVar("T")


class ChromaStore:
    """Chunks, manifest and keyword index of one collection in one Chroma store."""

    def __init__(self, settings: Settings, create: bool = False) -> None:
        """The store ``settings.store`` names (a folder or a server URL), its collection
        ``settings.collection``; its tuning (over-fetch, lock wait, timeouts, postings budget)
        is read from the same settings."""
        location, collection, keyword_dir = (
            settings.store,
            settings.collection,
            settings.keyword_dir,
        )
        if not 3 <= len(collection) <= 60:
            raise StoreError("collection names need 3 to 60 characters")
        self.location = location
        self.collection = collection
        self.dense_overfetch = settings.retrieval.dense_overfetch
        self.lock_timeout_s = settings.ingest.lock_timeout_s
        self.lock_ttl_s = settings.ingest.lock_ttl_s
        self._write_lock: StoreLock | None = None  # held while writing()
        self._last_clean = False  # whether the writer before the current one ended cleanly
        self.bm25_max_postings = settings.retrieval.bm25_max_postings
        self.keyword_background_chunks = settings.retrieval.keyword_background_chunks
        if not create:
            _check_exists(location, collection)
        if is_remote(location):
            CLIENTS.get(
                location, settings.store_timeout_s
            )  # a server that does not answer in time is down
        self._generation = -1
        self._chunks: Any = None
        self._docs: Any = None
        self._create = create
        self._collections()
        if is_remote(location):
            url = urlparse(location)
            folder = keyword_dir / f"{url.hostname}-{url.port or 8000}"
        else:
            folder = Path(location) / "keyword"
        self.keyword_path = folder / f"{collection}.sqlite3"
        self.keyword = KeywordIndex(self.keyword_path)
        self._records: dict[str, DocumentRecord] | None = None
        self._records_revision: int | None = None
        self._admitted_cache: dict[Scope, frozenset[str]] = {}
        self._admitted_for: object = None
        self._lock = threading.Lock()
        self._warming: KeywordWarming | None = None

    # -- collections -----------------------------------------------------------------------
    def _collections(self) -> tuple[Any, Any]:
        """The chunk and manifest collections, fetched again after the client was re-opened."""
        generation, client = CLIENTS.get(self.location, reading=not self._create)
        if generation != self._generation:
            try:
                if self._create:
                    self._chunks = client.get_or_create_collection(
                        self.collection, embedding_function=None, metadata={"hnsw:space": "cosine"}
                    )
                    self._docs = client.get_or_create_collection(
                        self.collection + DOCS_SUFFIX, embedding_function=None
                    )
                else:
                    self._chunks = client.get_collection(self.collection, embedding_function=None)
                    self._docs = client.get_collection(
                        self.collection + DOCS_SUFFIX, embedding_function=None
                    )
            except Exception as exc:
                if not self._create and _is_missing(exc):
                    raise _missing(self.location, self.collection) from None
                raise unavailable(
                    "the document store", describe_store(self.location), exc, self._folder()
                ) from None
            self._generation = generation
        return self._chunks, self._docs

    @contextmanager
    def _chroma(self, what: str) -> Iterator[tuple[Any, Any]]:
        """Chroma calls run here: shared with other queries, never during a client re-open."""
        with CLIENTS.reading(self.location):
            try:
                yield self._collections()
            except StoreError:
                raise
            except Exception as exc:  # chromadb raises many types for "cannot reach / failed"
                raise unavailable(
                    "the document store", describe_store(self.location), exc, self._folder()
                ) from None

    def _read(self, what: str, call: Callable[[Any, Any], T]) -> T:
        """A read; on an embedded store, once more after re-opening when it fails, since another
        process's ingest can delete a chunk the in-memory vector index still lists."""
        try:
            with self._chroma(what) as (chunks, docs):
                return call(chunks, docs)
        except StoreError:
            if is_remote(self.location):
                raise
        CLIENTS.reopen(self.location)
        with self._chroma(what) as (chunks, docs):
            return call(chunks, docs)

    def vector_store(self) -> Any:
        """llama-index's ChromaVectorStore over this collection (for llama-index retrievers)."""
        from llama_index.vector_stores.chroma import ChromaVectorStore

        return ChromaVectorStore(chroma_collection=self._collections()[0])

    # -- reading ---------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        with self._chroma("read collection info"):
            client = CLIENTS.get(self.location)[1]
            metadata = dict(client.get_collection(self.collection).metadata or {})
        return StoreInfo(
            embed_model=metadata.get("embed_model"),
            last_ingest=metadata.get("last_ingest"),
            revision=int(metadata.get("revision", 0)),
        )

    def documents(self) -> dict[str, DocumentRecord]:
        """The manifest, re-read only when the revision moved. Retrieval calls this first for
        each question, so every later call of that question sees the same revision."""
        revision = self.info().revision
        with self._lock:
            if self._records is not None and self._records_revision == revision:
                return self._records
            if CLIENTS.foreign_change(self.location, self.collection, revision):
                CLIENTS.reopen(self.location)  # another process ingested: see its vectors
            records = self._read_manifest()
            self._records, self._records_revision = records, revision
            CLIENTS.saw(self.location, self.collection, revision)
            return records

    def _synced_keyword(self) -> KeywordIndex | None:
        """The keyword index, first brought level with the manifest if another writer moved it;
        None while it is being built in the background (``keyword_status``)."""
        records = self._records if self._records is not None else self.documents()
        revision = self._records_revision
        if revision is None or self.keyword.synced_revision == revision:
            return self.keyword
        with self._lock:
            if self._warming is not None:
                if self._warming.running:
                    return None
                self._warming = None  # finished (or failed: tried again below)
            if self.keyword.synced_revision == revision:
                return self.keyword
            have = self.keyword.indexed()
            behind = sum(r.chunks for d, r in records.items() if have.get(d) != r.doc_hash)
            if behind > self.keyword_background_chunks:
                # A new app machine, or an index from before an upgrade: build it without
                # holding any question for minutes; retrieval is dense-only meanwhile.
                self._warming = KeywordWarming(
                    lambda: self.keyword.sync(records, self._chunks_of, revision, self._all_chunks),
                    behind,
                )
                return None
            self.keyword.sync(records, self._chunks_of, revision, self._all_chunks)
        return self.keyword

    def keyword_status(self) -> KeywordStatus:
        """Whether keyword search is ready; starts bringing the index level when it is not."""
        ready = self._synced_keyword() is not None
        warming = self._warming
        if ready or warming is None:
            return KeywordStatus(ready=True)
        return KeywordStatus(False, warming.chunks, warming.seconds(), warming.error)

    def _read_manifest(self) -> dict[str, DocumentRecord]:
        records: dict[str, DocumentRecord] = {}
        with self._chroma("read the manifest") as (_, docs):
            for offset in range(0, docs.count(), PAGE):
                got = docs.get(include=["metadatas"], limit=PAGE, offset=offset)
                for doc_id, meta in zip(got["ids"], got["metadatas"] or []):
                    records[doc_id] = DocumentRecord.from_metadata(meta or {})
        return records

    def _chunks_of(self, record: DocumentRecord) -> list[tuple[str, str, str]]:
        """(chunk id, section, text) of a committed document, read in pages (keyword sync)."""
        rows: list[tuple[str, str, str]] = []
        where = {"$and": [{"document_id": record.document_id}, {"doc_hash": record.doc_hash}]}
        with self._chroma("read a document's chunks") as (chunks, _):
            for offset in range(0, max(record.chunks, 1) + PAGE, PAGE):
                got = chunks.get(
                    where=where, include=["documents", "metadatas"], limit=PAGE, offset=offset
                )
                for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                    rows.append((chunk_id, str((meta or {}).get("section", "")), text or ""))
                if len(got["ids"]) < PAGE:
                    break
        return rows

    def _all_chunks(
        self, wanted: dict[str, DocumentRecord]
    ) -> Iterator[tuple[DocumentRecord, list[tuple[str, str, str]]]]:
        """The chunks of the ``wanted`` documents in one pass over the collection, a page at a
        time (one ``where`` query per document took 278 s at 300k chunks over a server); each
        document is handed on as soon as all its chunks were read."""
        partial: dict[str, list[tuple[str, str, str]]] = {}
        with self._chroma("read every chunk") as (chunks, _):
            total = chunks.count()
        for offset in range(0, total + PAGE, PAGE):
            with self._chroma("read every chunk") as (chunks, _):
                got = chunks.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
            for chunk_id, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                meta = meta or {}
                record = wanted.get(str(meta.get("document_id", "")))
                if record is None or meta.get("doc_hash") != record.doc_hash:
                    continue
                rows = partial.setdefault(record.document_id, [])
                rows.append((chunk_id, str(meta.get("section", "")), text or ""))
                if len(rows) >= record.chunks:
                    yield record, partial.pop(record.document_id)
            if len(got["ids"]) < PAGE:
                break
        for document_id, rows in partial.items():  # fewer chunks than the record says
            yield wanted[document_id], rows

    def dense_search(
        self, vector: Sequence[float], k: int, scope: Scope
    ) -> list[tuple[str, float]]:
        """Nearest live chunks in scope. Unfiltered first (about 1 ms at 100k chunks, where any
        Chroma ``where`` costs 60-220 ms); the filter goes into the query only when too few of
        the nearest chunks are in scope."""
        records = self._records if self._records is not None else self.documents()
        admitted = None if scope.everything else self._admitted(scope, records)
        if admitted is not None and not admitted:
            return []

        def keep(hits: list[tuple[str, float]]) -> list[tuple[str, float]]:
            return [
                (c, s)
                for c, s in hits
                if is_live(c, records) and (admitted is None or split_chunk_id(c)[0] in admitted)
            ]

        fetch = k + 8 if admitted is None else k * self.dense_overfetch
        hits = self._query(vector, fetch, None)
        found = keep(hits)
        if len(found) >= k or len(hits) < fetch or admitted is None:
            return found[:k]
        return keep(self._query(vector, k + 8, _where(scope, records)))[:k]

    def _admitted(self, scope: Scope, records: dict[str, DocumentRecord]) -> frozenset[str]:
        """Ids of the documents a scope admits, worked out once per revision and scope."""
        with self._lock:
            if self._admitted_for is not records:
                self._admitted_cache, self._admitted_for = {}, records
            found = self._admitted_cache.get(scope)
            if found is None:
                if len(self._admitted_cache) > 256:
                    self._admitted_cache.clear()
                found = frozenset(d for d, r in records.items() if scope.admits(r.meta))
                self._admitted_cache[scope] = found
            return found

    def _query(
        self, vector: Sequence[float], k: int, where: dict | None
    ) -> list[tuple[str, float]]:
        got = self._read(
            "dense search",
            lambda chunks, _: chunks.query(
                query_embeddings=[list(vector)], n_results=k, where=where, include=["distances"]
            ),
        )
        ids, distances = got["ids"][0], got["distances"][0]
        return [(c, 1.0 - float(d)) for c, d in zip(ids, distances)]

    def keyword_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[str, float]]:
        keyword = self._synced_keyword()
        return [] if keyword is None else keyword.search(terms, k, scope, self.bm25_max_postings)

    def fetch(self, chunk_ids: Sequence[str], vectors: bool = False) -> list[StoredChunk]:
        if not chunk_ids:
            return []
        include = ["documents", "metadatas"] + (["embeddings"] if vectors else [])
        out: list[StoredChunk] = []
        ids = list(dict.fromkeys(chunk_ids))
        for start in range(0, len(ids), WRITE_BATCH):  # SQLite caps the variables of one query
            out += _stored_chunks(
                self._fetch_page(ids[start : start + WRITE_BATCH], include), vectors
            )
        return out

    def _fetch_page(self, ids: list[str], include: list[str]) -> dict[str, Any]:
        return self._read("fetch passages", lambda chunks, _: chunks.get(ids=ids, include=include))

    def term_counts(
        self, terms: Sequence[str], scope: Scope | None = None
    ) -> tuple[dict[str, int], int]:
        keyword = self._synced_keyword()
        return ({}, 0) if keyword is None else keyword.term_counts(terms, scope)

    def count(self, scope: Scope) -> int:
        keyword = self._synced_keyword()
        if keyword is None:  # warming: the manifest knows the documents the scope admits
            records = self.documents()
            return sum(r.chunks for r in records.values() if scope.admits(r.meta))
        return keyword.count(scope)

    def ping(self) -> None:
        with self._chroma("check the store") as (chunks, _):
            chunks.count()

    def load_note(self, name: str) -> str | None:
        return self.keyword.note(revision_tag(self.info()) + name)

    def save_note(self, name: str, value: str) -> None:
        tag = revision_tag(self.info())
        self.keyword.set_note(tag + name, value, keep_prefix=tag)

    # -- writing ---------------------------------------------------------------------------
    def writing(self) -> AbstractContextManager[None]:
        """The ingest lock (see ``locks``), and the journal: marked "running" on entry and
        "clean" on a normal exit, so ``repair`` runs only after a writer that never finished."""
        return self._writing()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        what = "another ingest into this store"
        with ExitStack() as stack:
            table = self._state()
            lock = StoreLock(table, self.lock_ttl_s, self.lock_timeout_s, what)
            if not is_remote(self.location):
                path = self.keyword_path.parent / f".{self.collection}.ingest.lock"
                holder = lambda: h.describe(time.time()) if (h := lock.holder()) else None  # noqa: E731
                stack.enter_context(exclusive(path, self.lock_timeout_s, what, holder))
            stack.enter_context(lock.held())
            self._write_lock = lock
            stack.callback(setattr, self, "_write_lock", None)
            with self._chroma("read the store's journal"):
                self._last_clean = last_writer_clean(table)
                mark_journal(table, "running", _me(), _now())
            yield
            lock.check()
            with self._chroma("close the store's journal"):
                mark_journal(table, "clean", _me(), _now())

    def _folder(self) -> str | None:
        """An embedded store's folder (where a full disk is looked for), None for a server."""
        return None if is_remote(self.location) else str(self.location)

    def _state(self) -> RecordTable:
        """The ``__state`` collection (created on first use: stores older than it lack it)."""
        with self._chroma("open the store's state records"):
            client = CLIENTS.get(self.location)[1]
            return RecordTable(
                client.get_or_create_collection(
                    self.collection + STATE_SUFFIX, embedding_function=None
                ),
                describe_store(self.location),
                self._folder(),
            )

    def skipped_files(self) -> dict[str, SkippedFile]:
        table = self._state()
        with self._chroma("read the skipped files"):
            return read_skipped(table)

    def remember_skipped(self, changes: dict[str, SkippedFile | None]) -> None:
        if not changes:
            return
        table = self._state()
        with self._chroma("record the skipped files"):
            write_skipped(table, changes)

    def check_embedder(self, embed_model: str) -> None:
        recorded = self.info().embed_model
        if not recorded or recorded == embed_model:
            return  # no count: the first count loads the vector index (seconds in a large store)
        with self._chroma("count chunks") as (chunks, _):
            has_chunks = chunks.count() > 0
        if has_chunks:
            raise StoreError(
                f"collection '{self.collection}' was built with embedding model '{recorded}', not"
                f" '{embed_model}'; use another --collection or re-ingest with --rebuild"
            )

    def commit_document(self, record: DocumentRecord, chunks: Sequence[ChunkRow]) -> None:
        if self._write_lock is not None:
            self._write_lock.check()  # another machine took the lock over: write nothing more
        meta = record.meta
        with self._chroma("write a document") as (chunk_collection, docs):
            for start in range(0, len(chunks), WRITE_BATCH):
                batch = chunks[start : start + WRITE_BATCH]
                chunk_collection.upsert(
                    ids=[c.chunk_id for c in batch],
                    embeddings=[c.vector for c in batch],
                    documents=[c.text for c in batch],
                    metadatas=[_chunk_metadata(record, c) for c in batch],
                )
            docs.upsert(  # the commit point
                ids=[meta.document_id],
                embeddings=[PLACEHOLDER_EMBEDDING],
                metadatas=[record.to_metadata()],
                documents=[meta.title],
            )
            chunk_collection.delete(
                where={
                    "$and": [
                        {"document_id": meta.document_id},
                        {"doc_hash": {"$ne": record.doc_hash}},
                    ]
                }
            )
        self.keyword.replace_document(
            meta, record.doc_hash, ((c.chunk_id, c.section, c.text) for c in chunks)
        )
        self._forget_cache()

    def drop_document(self, document_id: str) -> None:
        with self._chroma("delete a document") as (chunks, docs):
            docs.delete(ids=[document_id])
            chunks.delete(where={"document_id": document_id})
        self.keyword.remove_document(document_id)
        self._forget_cache()

    def repair(self) -> int:
        """Remove orphaned chunks and bring the keyword index level (a killed ingest leaves
        both behind). Nothing to do after a writer that ended cleanly (the journal says so);
        otherwise cheap when nothing was left: counts and hashes agree."""
        if self._last_clean:
            return 0
        records = self.documents()  # the ingest's own manifest read, cached for its revision
        self.keyword.sync(records, self._chunks_of, self.info().revision, self._all_chunks)
        with self._chroma("check for orphaned chunks") as (chunks, _):
            total = chunks.count()
            if total == sum(r.chunks for r in records.values()):
                return 0  # live chunks are written before their commit, so none can be orphaned
            orphans = []
            for offset in range(0, total, PAGE):
                got = chunks.get(include=[], limit=PAGE, offset=offset)
                orphans += [c for c in got["ids"] if not is_live(c, records)]
            for start in range(0, len(orphans), WRITE_BATCH):
                chunks.delete(ids=orphans[start : start + WRITE_BATCH])
        return len(orphans)

    def finish_ingest(self, embed_model: str, changed: bool) -> None:
        info = self.info()
        if not changed and info.revision:
            return
        revision = info.revision + 1
        with self._chroma("record the ingest") as (chunks, _):
            metadata = {
                k: v for k, v in (chunks.metadata or {}).items() if not k.startswith("hnsw:")
            }
            metadata.update(
                embed_model=embed_model,
                last_ingest=datetime.now(UTC).isoformat(timespec="seconds"),
                revision=revision,
            )
            chunks.modify(metadata=metadata)
        CLIENTS.saw(self.location, self.collection, revision)
        self._forget_cache()

    def drop(self) -> None:
        with self._chroma("drop the collection"):
            client = CLIENTS.get(self.location)[1]
            for name in (self.collection, self.collection + DOCS_SUFFIX):
                try:
                    client.delete_collection(name)
                except Exception:  # already absent
                    pass
        try:
            table = self._state()
            with self._chroma("forget the skipped files"):
                write_skipped(table, dict.fromkeys(read_skipped(table)))
        except StoreError:
            pass
        self.keyword.clear()
        self._generation = -1
        self._forget_cache()

    def _forget_cache(self) -> None:
        with self._lock:
            self._records = None


def _me() -> str:
    return f"{socket.gethostname()} pid {os.getpid()}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _stored_chunks(got: dict[str, Any], vectors: bool) -> list[StoredChunk]:
    embeddings = got.get("embeddings") if vectors else None
    out = []
    for i, chunk_id in enumerate(got["ids"]):
        text, meta = got["documents"][i], got["metadatas"][i] or {}
        if text is None:  # deleted since the vector index was read
            continue
        page = meta.get("page")
        out.append(
            StoredChunk(
                chunk_id=chunk_id,
                document_id=str(meta.get("document_id", "")),
                doc_hash=str(meta.get("doc_hash", "")),
                text=text,
                section=str(meta.get("section", "")),
                page=int(page) if page is not None else None,
                vector=list(embeddings[i]) if embeddings is not None else None,
                kind="outline" if meta.get("kind") == "outline" else "text",
            )
        )
    return out


def _chunk_metadata(record: DocumentRecord, chunk: ChunkRow) -> dict[str, Any]:
    """Lean: what liveness, filters and a passage need; the rest is in the manifest record."""
    meta = record.meta
    data: dict[str, Any] = {
        "document_id": meta.document_id,
        "doc_hash": record.doc_hash,
        "section": chunk.section,
        "chunk_index": chunk.index,
        "kind": chunk.kind,
        "publisher": meta.publisher.lower(),
        "public": not meta.groups,
    }
    data.update({f"group:{g}": True for g in meta.groups})
    if chunk.page is not None:
        data["page"] = chunk.page
    if meta.year is not None:
        data["year"] = meta.year
    return data


def _where(scope: Scope, records: dict[str, DocumentRecord]) -> dict[str, Any] | None:
    """The scope as a Chroma ``where`` (publisher 'contains' resolved to the exact names)."""
    f = scope.filters
    clauses: list[dict[str, Any]] = []
    if f.documents:
        clauses.append({"document_id": {"$in": list(f.documents)}})
    if f.publisher:
        names = sorted(
            {
                r.meta.publisher.lower()
                for r in records.values()
                if f.publisher.lower() in r.meta.publisher.lower()
            }
        )
        clauses.append({"publisher": {"$in": names or [""]}})
    if f.year_from is not None:
        clauses.append({"year": {"$gte": f.year_from}})
    if f.year_to is not None:
        clauses.append({"year": {"$lte": f.year_to}})
    if scope.access.groups is not None:
        allowed: list[dict[str, Any]] = [{"public": True}]
        allowed += [{f"group:{g}": True} for g in sorted(scope.access.groups)]
        clauses.append(allowed[0] if len(allowed) == 1 else {"$or": allowed})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _is_missing(exc: Exception) -> bool:
    """chromadb's "no such collection" (a server that is down is something else)."""
    from chromadb.errors import NotFoundError

    return isinstance(exc, NotFoundError | ValueError)


def _check_exists(location: str, collection: str) -> None:
    if not is_remote(location) and not (Path(location) / "chroma.sqlite3").is_file():
        raise _missing(location, collection)


def _missing(location: str, collection: str) -> StoreError:
    where = describe_store(location)
    flags = f"--store {location}" + (
        "" if collection == "council_docs" else f" --collection {collection}"
    )
    return StoreError(
        f"no collection '{collection}' in the store at {where}: run `python -m assistant ingest"
        f" {flags}` first ({MISSING_STORE_HINT})"
    )
