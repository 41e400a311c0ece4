"""The in-memory store: the fake that ships beside ``ChromaStore`` (as httpx ships MockTransport).

Same contract, no Chroma: exact cosine search with numpy, and the same tantivy keyword
index held in memory, so fusion, reranking, refusal and the pipeline get fast unit tests whose
keyword behaviour is the real one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

import numpy as np

from core.errors import StoreError
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
from index.store.keyword import KeywordIndex
from index.store.state import MemoryTable, read_skipped, write_skipped
from index.store.warming import KeywordStatus


class InMemoryStore:
    location = "memory"

    def __init__(self, collection: str = "council_docs") -> None:
        self.collection = collection
        self.keyword = KeywordIndex(":memory:")
        self._records: dict[str, DocumentRecord] = {}
        self._chunks: dict[str, tuple[StoredChunk, np.ndarray]] = {}
        self._info = StoreInfo(embed_model=None, last_ingest=None, revision=0)
        self._write_lock = threading.RLock()
        self.state = MemoryTable()  # skipped files (the lock is the RLock: one process)
        self.unavailable = False  # set True to make every call fail as a stopped server would

    def _check(self) -> None:
        if self.unavailable:
            raise StoreError("the document store is unavailable (in-memory store switched off)")

    # -- reading ---------------------------------------------------------------------------
    def info(self) -> StoreInfo:
        self._check()
        return self._info

    def documents(self) -> dict[str, DocumentRecord]:
        self._check()
        return dict(self._records)

    def dense_search(
        self, vector: Sequence[float], k: int, scope: Scope
    ) -> list[tuple[str, float]]:
        self._check()
        query = np.asarray(vector, dtype=np.float32)
        scored = []
        for chunk_id, (_, embedding) in self._chunks.items():
            record = self._records.get(split_chunk_id(chunk_id)[0])
            if (
                not is_live(chunk_id, self._records)
                or record is None
                or not scope.admits(record.meta)
            ):
                continue
            scored.append((chunk_id, float(embedding @ query)))
        scored.sort(key=lambda pair: pair[1], reverse=True)
        return scored[:k]

    def keyword_search(self, terms: Sequence[str], k: int, scope: Scope) -> list[tuple[str, float]]:
        self._check()
        return self.keyword.search(terms, k, scope)

    def fetch(self, chunk_ids: Sequence[str], vectors: bool = False) -> list[StoredChunk]:
        self._check()
        out = []
        for chunk_id in chunk_ids:
            if chunk_id in self._chunks:
                chunk, embedding = self._chunks[chunk_id]
                out.append(chunk if not vectors else _with_vector(chunk, embedding))
        return out

    def term_counts(
        self, terms: Sequence[str], scope: Scope | None = None
    ) -> tuple[dict[str, int], int]:
        self._check()
        return self.keyword.term_counts(terms, scope)

    def count(self, scope: Scope) -> int:
        return self.keyword.count(scope)

    def keyword_status(self) -> KeywordStatus:
        return KeywordStatus(ready=True)

    def ping(self) -> None:
        self._check()

    def load_note(self, name: str) -> str | None:
        return self.keyword.note(revision_tag(self.info()) + name)

    def save_note(self, name: str, value: str) -> None:
        tag = revision_tag(self.info())
        self.keyword.set_note(tag + name, value, keep_prefix=tag)

    # -- writing ---------------------------------------------------------------------------
    def writing(self) -> AbstractContextManager[bool]:
        return self._write_lock

    def check_embedder(self, embed_model: str) -> None:
        recorded = self._info.embed_model
        if recorded and recorded != embed_model and self._chunks:
            raise StoreError(f"collection '{self.collection}' was built with '{recorded}'")

    def commit_document(self, record: DocumentRecord, chunks: Sequence[ChunkRow]) -> None:
        self._check()
        meta = record.meta
        for c in chunks:
            stored = StoredChunk(
                c.chunk_id,
                meta.document_id,
                record.doc_hash,
                c.text,
                c.section,
                c.page,
                kind=c.kind,
            )
            vector = np.asarray(c.vector, dtype=np.float32)
            self._chunks[c.chunk_id] = (stored, vector / (np.linalg.norm(vector) or 1.0))
        self._records[meta.document_id] = record
        for chunk_id in [
            i for i, (s, _) in self._chunks.items() if s.document_id == meta.document_id
        ]:
            if self._chunks[chunk_id][0].doc_hash != record.doc_hash:
                del self._chunks[chunk_id]
        self.keyword.replace_document(
            meta, record.doc_hash, ((c.chunk_id, c.section, c.text) for c in chunks)
        )

    def drop_document(self, document_id: str) -> None:
        self._check()
        self._records.pop(document_id, None)
        for chunk_id in [i for i, (s, _) in self._chunks.items() if s.document_id == document_id]:
            del self._chunks[chunk_id]
        self.keyword.remove_document(document_id)

    def skipped_files(self) -> dict[str, SkippedFile]:
        return read_skipped(self.state)

    def remember_skipped(self, changes: dict[str, SkippedFile | None]) -> None:
        write_skipped(self.state, changes)

    def repair(self) -> int:
        orphans = [i for i in self._chunks if not is_live(i, self._records)]
        for chunk_id in orphans:
            del self._chunks[chunk_id]
        return len(orphans)

    def finish_ingest(self, embed_model: str, changed: bool) -> None:
        if changed or not self._info.revision:
            self._info = StoreInfo(
                embed_model=embed_model,
                last_ingest=datetime.now(UTC).isoformat(timespec="seconds"),
                revision=self._info.revision + 1,
            )

    def drop(self) -> None:
        self.state = MemoryTable()
        self._records.clear()
        self._chunks.clear()
        self.keyword.clear()
        self._info = StoreInfo(embed_model=None, last_ingest=None, revision=0)


def _with_vector(chunk: StoredChunk, vector: np.ndarray) -> StoredChunk:
    from dataclasses import replace

    return replace(chunk, vector=vector.tolist())
