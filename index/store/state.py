"""A store's own small records beside its chunks: the ingest lock, whether the last writer
ended cleanly, and the files skipped with their reason (``C__state`` for collection ``C``).

They live in the store, not on the ingesting machine, so every machine writing to one
``chroma run`` server sees the same lock and the same memory of skipped files. A Chroma
collection is a poor key-value table, but two of its calls are exactly what a lock needs:
``add`` of an id that exists is ignored (insert-if-absent) and ``delete`` with a ``where`` removes
a record only while it still holds the value we read (compare-and-delete).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from core.errors import StoreError, unavailable
from index.store.base import SkippedFile

PLACEHOLDER = [1.0]  # Chroma needs a vector per record; these are never searched
PAGE = 5000
JOURNAL = "journal"  # the record saying whether the last writer ended cleanly
SKIP_PREFIX = "skip:"  # one record per skipped file, by document id


class RecordTable:
    """Records (flat metadata) by key in one Chroma collection; see the module docstring."""

    def __init__(
        self, collection: Any, where: str = "the store", folder: str | None = None
    ) -> None:
        self.collection = collection
        self.where = where  # the store's description, for one-line errors
        self.folder = folder  # an embedded store's folder (to tell a full disk), else None

    @contextmanager
    def _calling(self) -> Iterator[None]:
        """Chroma's own errors (a full disk, a lost server) become one clear ``StoreError``."""
        try:
            yield
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises many types for "cannot write / reach"
            raise unavailable("the document store", self.where, exc, self.folder) from None

    def read(self, key: str) -> dict[str, Any] | None:
        with self._calling():
            got = self.collection.get(ids=[key], include=["metadatas"])
        metadatas = got.get("metadatas") or []
        return dict(metadatas[0] or {}) if got["ids"] else None

    def insert(self, key: str, record: dict[str, Any]) -> None:
        """Writes only when no record has this key (Chroma ignores ``add`` of an existing id)."""
        with self._calling():
            self.collection.add(ids=[key], embeddings=[PLACEHOLDER], metadatas=[record])

    def put(self, key: str, record: dict[str, Any]) -> None:
        with self._calling():
            self.collection.upsert(ids=[key], embeddings=[PLACEHOLDER], metadatas=[record])

    def put_many(self, records: dict[str, dict[str, Any]]) -> None:
        keys = list(records)
        for start in range(0, len(keys), 500):
            part = keys[start : start + 500]
            with self._calling():
                self.collection.upsert(
                    ids=part,
                    embeddings=[PLACEHOLDER] * len(part),
                    metadatas=[records[k] for k in part],
                )

    def delete(self, key: str, token: str | None = None) -> None:
        """Delete the record; with ``token``, only while its ``token`` field is still that."""
        with self._calling():
            if token is None:
                self.collection.delete(ids=[key])
            else:
                self.collection.delete(ids=[key], where={"token": token})

    def delete_many(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 500):
            with self._calling():
                self.collection.delete(ids=keys[start : start + 500])

    def of_kind(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every record whose ``kind`` field is ``kind``, a page at a time."""
        offset = 0
        while True:
            with self._calling():
                got = self.collection.get(
                    where={"kind": kind}, include=["metadatas"], limit=PAGE, offset=offset
                )
            yield from zip(got["ids"], (dict(m or {}) for m in got["metadatas"] or []))
            if len(got["ids"]) < PAGE:
                return
            offset += PAGE


class MemoryTable:
    """The same records in a dict, for ``InMemoryStore``."""

    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}

    def read(self, key: str) -> dict[str, Any] | None:
        found = self.records.get(key)
        return dict(found) if found is not None else None

    def insert(self, key: str, record: dict[str, Any]) -> None:
        self.records.setdefault(key, dict(record))

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.records[key] = dict(record)

    def put_many(self, records: dict[str, dict[str, Any]]) -> None:
        for key, record in records.items():
            self.put(key, record)

    def delete(self, key: str, token: str | None = None) -> None:
        found = self.records.get(key)
        if found is not None and (token is None or found.get("token") == token):
            del self.records[key]

    def delete_many(self, keys: list[str]) -> None:
        for key in keys:
            self.records.pop(key, None)

    def of_kind(self, kind: str) -> Iterator[tuple[str, dict[str, Any]]]:
        yield from [(k, dict(v)) for k, v in self.records.items() if v.get("kind") == kind]


# -- the journal: did the last writer end cleanly? --------------------------------------------


def last_writer_clean(table: RecordTable | MemoryTable) -> bool:
    """False after a writer that never finished (killed, crashed), and for a store that predates
    the journal: either may have left orphaned chunks that ``repair`` must sweep."""
    record = table.read(JOURNAL)
    return record is not None and record.get("state") == "clean"


def mark_journal(table: RecordTable | MemoryTable, state: str, by: str, at: str) -> None:
    table.put(JOURNAL, {"kind": "journal", "state": state, "by": by, "at": at})


# -- skipped files, remembered by content hash ------------------------------------------------


def read_skipped(table: RecordTable | MemoryTable) -> dict[str, SkippedFile]:
    """The files the last ingests skipped, by document id."""
    return {
        key[len(SKIP_PREFIX) :]: SkippedFile(
            str(r.get("skip_key", "")), str(r.get("root", "")), str(r.get("reason", ""))
        )
        for key, r in table.of_kind("skip")
    }


def write_skipped(table: RecordTable | MemoryTable, changes: dict[str, SkippedFile | None]) -> None:
    """Remember or forget (None) skipped files, by document id."""
    forget = [SKIP_PREFIX + d for d, v in changes.items() if v is None]
    remember = {
        SKIP_PREFIX + d: {
            "kind": "skip",
            "skip_key": v.skip_key,
            "root": v.root,
            "reason": v.reason[:2000],
        }
        for d, v in changes.items()
        if v is not None
    }
    if forget:
        table.delete_many(forget)
    if remember:
        table.put_many(remember)
