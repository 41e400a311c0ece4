"""Keyword search that stays flat with size: BM25 over a tantivy index, persisted beside the store.

Chroma 1.5 refuses its own BM25 index on local stores, so keyword search is ours to keep.
tantivy (a Lucene-like engine in Rust) replaced SQLite FTS5 (``keyword_fts5``) in issue 19:
FTS5 scores every chunk that holds any query term, so its cost grows with the store, where
tantivy's block-max WAND skips the postings that cannot reach the top k. Both update one
document at a time; the measurements are in the README and ``benchmarks/bench_keyword.py``.

Two files per collection:

* ``<name>.tantivy/``: the postings, one tantivy document per chunk: ``body`` (our own stemmed
  terms, split on spaces, frequencies only), ``chunk_id`` (stored), and the fields filters and
  access groups use inside the query (``doc``, ``publisher``, ``year``, ``access``);
* ``<name>.sqlite3``: what the index holds (document id -> content hash and fields), its
  state (the store revision it is level with) and small notes (the refusal calibration).

A document is replaced by one tantivy commit (delete its chunks, add the new ones), then its
row in SQLite. A crash between the two leaves the old hash in SQLite, so ``sync`` redoes that
document: the index is never half-written as far as anyone reading it can tell. tantivy allows
one writer per index; writers here take a file lock first (an ingest and an app bringing its
index level wait for each other), and readers in any process open the memory-mapped segments
and reload when the index's ``meta.json`` changes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy

from core.errors import StoreError, unavailable
from core.private_files import narrow_tree, private_dir, private_file, restrict_umask
from core.text import content_terms
from core.types import DocumentMeta

# Bump when what goes into a row changes (the stemmer, stopwords, which fields): the index is
# then rebuilt from the store on first use. "2": tantivy postings (FTS5 before).
TERMS_VERSION = "2"
NOT_TOKEN = re.compile(r"[^\w-]")
WRITER_HEAP = 64_000_000  # bytes tantivy buffers before it writes a segment
BULK_COMMIT_CHUNKS = 100_000  # a rebuild commits (and records its documents) this often
EXACT_BELOW = 1000  # term counts up to this are counted over live chunks, not deleted ones too

SCHEMA = """
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS indexed_docs(
    document_id TEXT PRIMARY KEY, doc_hash TEXT NOT NULL, publisher TEXT NOT NULL,
    year INTEGER, public INTEGER NOT NULL, chunks INTEGER NOT NULL) WITHOUT ROWID;
"""
# TERMS_VERSION 1 kept its rows in FTS5 tables of the same file: an upgrade reads them (see
# ``_migrate_fts5``) and leaves them for an older app; ``clear`` (a rebuild) drops them.
FTS5_TABLES = ("vocab", "terms", "chunks", "doc_groups", "docs")

Chunks = Iterable[tuple[str, str, str]]  # (chunk id, section, text)


def token(term: str) -> str:
    """A stemmed term as one index token (apostrophes and the like become '_')."""
    return NOT_TOKEN.sub("_", term)


def row_text(meta: DocumentMeta, section: str, text: str) -> str:
    return " ".join(token(t) for t in content_terms(f"{meta.title} {section} {text}"))


def _schema() -> Any:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", tokenizer_name="spaces", index_option="freq")
    builder.add_text_field("chunk_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_text_field("doc", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("publisher", tokenizer_name="raw", index_option="basic")
    builder.add_text_field("access", tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("year", indexed=True, fast=True)
    return builder.build()


SPACES = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


class KeywordIndex:
    """One collection's keyword index (or an in-memory one for the fake store)."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        self._memory = self.path == ":memory:"
        self.schema = _schema()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._reader_lock = threading.Lock()
        if self._memory:
            # A named shared-cache database: every thread's connection sees the same data.
            self._uri = f"file:keyword-{uuid.uuid4().hex}?mode=memory&cache=shared"
            self._dir: Path | None = None
        else:
            # tantivy creates its segment files with the process's umask, so that is narrowed
            # (it only ever narrows) and a folder made before is narrowed once.
            restrict_umask()
            private_dir(Path(path).parent)
            private_file(path)  # SQLite gives its -wal and -shm files the database's own mode
            self._uri = Path(path).resolve().as_uri()
            self._dir = Path(path).with_suffix(".tantivy")
            narrow_tree(self._dir)
        # Held by whoever writes the postings (``self._dir`` is tantivy's, kept out of it).
        self.lock_path = Path(self.path).with_suffix(".write.lock")
        self._keepalive = self._connect()  # holds an in-memory database open; harmless on disk
        self._seen_meta: int | None = None
        self._lock_depth = 0
        self._db.executescript(SCHEMA)
        if self._version() == TERMS_VERSION:
            self._index = self._open_index()
        else:
            with self._process_lock():  # one process rebuilds a stale index, the others wait
                stale = self._version() != TERMS_VERSION
                self._index = self._open_index(fresh=stale)
                if stale:
                    self._reset_state()

    def _reset_state(self) -> None:
        """State for a new or rebuilt index: rows an FTS5 index (TERMS_VERSION 1) holds are
        moved over as they are, so an upgraded app does not re-read the whole store."""
        migrated = self._migrate_fts5()
        with self._sql() as db:
            if not migrated:
                db.execute("DELETE FROM indexed_docs")
                db.execute("DELETE FROM state WHERE key='revision'")
            db.execute("INSERT OR REPLACE INTO state VALUES ('terms_version', ?)", (TERMS_VERSION,))

    def _migrate_fts5(self) -> bool:
        tables = {
            n for (n,) in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        if self._version() != "1" or not {"terms", "chunks", "docs", "doc_groups"} <= tables:
            return False
        groups: dict[int, list[str]] = {}
        for grp, doc_rowid in self._db.execute("SELECT grp, doc_rowid FROM doc_groups"):
            groups.setdefault(doc_rowid, []).append(grp)
        docs = self._db.execute(
            "SELECT doc_rowid, document_id, doc_hash, publisher, year FROM docs ORDER BY doc_rowid"
        ).fetchall()

        def documents() -> Iterator[tuple[DocumentMeta, str, Chunks]]:
            for doc_rowid, document_id, doc_hash, publisher, year in docs:
                meta = DocumentMeta(
                    document_id=document_id,
                    publisher=publisher,
                    year=year,
                    groups=tuple(groups.get(doc_rowid, ())),
                )
                rows = self._db.execute(
                    "SELECT c.chunk_id, t.body FROM chunks c JOIN terms t ON t.rowid = c.rowid"
                    " WHERE c.doc_rowid = ? ORDER BY c.rowid",
                    (doc_rowid,),
                ).fetchall()
                yield meta, doc_hash, [(chunk_id, "", body) for chunk_id, body in rows]

        self.replace_documents(documents(), stemmed=True)
        return True

    def _version(self) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key='terms_version'").fetchone()
        return row[0] if row else None

    # -- opening ---------------------------------------------------------------------------
    def _open_index(self, fresh: bool = False) -> Any:
        try:
            if self._dir is None:
                index = tantivy.Index(self.schema)
            else:
                if fresh and self._dir.exists():
                    shutil.rmtree(self._dir)
                private_dir(self._dir)
                if tantivy.Index.exists(str(self._dir)):
                    index = tantivy.Index.open(str(self._dir))
                else:
                    index = tantivy.Index(self.schema, path=str(self._dir))
            index.register_tokenizer("spaces", SPACES)
            # Reloads are ours (after a write here, or when meta.json changed on disk).
            index.config_reader(reload_policy="manual")
        except (ValueError, OSError) as exc:
            raise self._unavailable(exc) from None
        return index

    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self._uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None
            )
            if not self._memory:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise self._unavailable(exc) from None
        return db

    def _unavailable(self, exc: BaseException) -> StoreError:
        """A plain reason: SQLite calls a full disk "disk I/O error" when it cannot grow a file."""
        folder = Path(self.path).parent
        if (
            not self._memory
            and "disk i/o" in str(exc).lower()
            and shutil.disk_usage(folder).free < 2**20
        ):
            exc = OSError(errno.ENOSPC, f"No space left on device ({exc})")
        return unavailable("the document store", f"keyword index {self.path}", exc)

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @contextmanager
    def _writer(self) -> Iterator[Any]:
        """The one tantivy writer, across threads and processes (an ingest and an app bringing
        its index level wait for each other); what it has not committed is rolled back."""
        with self._write_lock, self._process_lock():
            try:
                writer = self._index.writer(heap_size=WRITER_HEAP, num_threads=1)
            except ValueError as exc:
                raise self._unavailable(exc) from None
            try:
                yield writer
            except (ValueError, OSError) as exc:  # tantivy's errors (a full disk among them)
                with contextlib.suppress(Exception):
                    writer.rollback()
                raise self._unavailable(exc) from None
            except BaseException:
                with contextlib.suppress(Exception):
                    writer.rollback()
                raise
            finally:
                with contextlib.suppress(Exception):  # a failed commit is reported above
                    writer.wait_merging_threads()  # then drops it: tantivy's own lock is freed
                    self._reload()

    @contextmanager
    def _sql(self) -> Iterator[sqlite3.Connection]:
        """A short SQLite transaction (after the tantivy commit it records)."""
        with self._write_lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                db.execute("ROLLBACK")
                raise self._unavailable(exc) from None
            except BaseException:
                db.execute("ROLLBACK")
                raise

    @contextmanager
    def _process_lock(self) -> Iterator[None]:
        """Held by whoever writes the postings, across processes; re-entrant in this one."""
        with self._write_lock:
            if self._dir is None or self._lock_depth:
                self._lock_depth += 1
                try:
                    yield
                finally:
                    self._lock_depth -= 1
                return
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                self._lock_depth = 1
                yield
            finally:
                self._lock_depth = 0
                os.close(fd)  # closing the descriptor releases the lock

    def close(self) -> None:
        for db in (getattr(self._local, "db", None), self._keepalive):
            if db is not None:
                db.close()

    # -- reading state -----------------------------------------------------------------------
    def _reload(self) -> None:
        with self._reader_lock:
            self._index.reload()
            self._seen_meta = self._meta_stamp()

    def _meta_stamp(self) -> int | None:
        if self._dir is None:
            return None
        try:
            return (self._dir / "meta.json").stat().st_mtime_ns
        except OSError:
            return None

    def _searcher(self) -> Any:
        """A searcher over the latest commit, from this process or another (a ``stat`` a call)."""
        if self._dir is not None and self._meta_stamp() != self._seen_meta:
            self._reload()
        return self._index.searcher()

    @property
    def synced_revision(self) -> int | None:
        row = self._db.execute("SELECT value FROM state WHERE key='revision'").fetchone()
        return int(row[0]) if row else None

    def mark_synced(self, revision: int) -> None:
        with self._sql() as db:
            db.execute("INSERT OR REPLACE INTO state VALUES ('revision', ?)", (str(revision),))

    def note(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key=?", ("note:" + key,)).fetchone()
        return row[0] if row else None

    def set_note(self, key: str, value: str, keep_prefix: str) -> None:
        """Save a note, dropping every other note whose key does not start with ``keep_prefix``."""
        with self._sql() as db:
            db.execute(
                "DELETE FROM state WHERE key LIKE 'note:%' AND substr(key, 6, ?) != ?",
                (len(keep_prefix), keep_prefix),
            )
            db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", ("note:" + key, value))

    def indexed(self) -> dict[str, str]:
        """Document id -> content hash of every document the index holds."""
        return dict(self._db.execute("SELECT document_id, doc_hash FROM indexed_docs"))

    # -- writing ---------------------------------------------------------------------------
    def replace_document(self, meta: DocumentMeta, doc_hash: str, chunks: Chunks) -> None:
        """Index a document's chunks, given as (chunk id, section, text), replacing any before."""
        self.replace_documents([(meta, doc_hash, chunks)])

    def replace_documents(
        self, documents: Iterable[tuple[DocumentMeta, str, Chunks]], stemmed: bool = False
    ) -> int:
        """Documents in as few commits as their size allows (one for an ingest's document; a
        rebuild commits every ``BULK_COMMIT_CHUNKS``). Each commit's documents are recorded
        after it, so readers see whole documents and an interrupted rebuild resumes.
        ``stemmed``: each chunk's text is already its row (``row_text``), as another index
        holds it (a migration)."""
        done = 0
        with self._writer() as writer:
            pending: list[tuple[DocumentMeta, str, int]] = []
            added = 0
            for meta, doc_hash, chunks in documents:
                count = self._add(writer, meta, chunks, stemmed)
                pending.append((meta, doc_hash, count))
                added += count
                if added >= BULK_COMMIT_CHUNKS:
                    done += self._commit(writer, pending)
                    pending, added = [], 0
            if pending:
                done += self._commit(writer, pending)
        return done

    def _commit(self, writer: Any, pending: list[tuple[DocumentMeta, str, int]]) -> int:
        writer.commit()
        with self._sql() as db:
            db.executemany(
                "INSERT OR REPLACE INTO indexed_docs VALUES (?,?,?,?,?,?)",
                [
                    (m.document_id, h, m.publisher, m.year, int(not m.groups), n)
                    for m, h, n in pending
                ],
            )
        self._reload()
        return len(pending)

    def _add(self, writer: Any, meta: DocumentMeta, chunks: Chunks, stemmed: bool = False) -> int:
        writer.delete_documents_by_term("doc", meta.document_id)
        access = ["public"] if not meta.groups else [f"group:{g}" for g in meta.groups]
        count = 0
        for chunk_id, section, text in chunks:
            doc = tantivy.Document()
            doc.add_text("body", text if stemmed else row_text(meta, section, text))
            doc.add_text("chunk_id", chunk_id)
            doc.add_text("doc", meta.document_id)
            doc.add_text("publisher", meta.publisher.lower())
            for value in access:
                doc.add_text("access", value)
            if meta.year is not None:
                doc.add_integer("year", meta.year)
            writer.add_document(doc)
            count += 1
        return count

    def remove_document(self, document_id: str) -> None:
        self.remove_documents([document_id])

    def remove_documents(self, document_ids: Iterable[str]) -> None:
        ids = list(document_ids)
        if not ids:
            return
        with self._writer() as writer:
            for document_id in ids:
                writer.delete_documents_by_term("doc", document_id)
            writer.commit()
            with self._sql() as db:
                db.executemany("DELETE FROM indexed_docs WHERE document_id=?", [(d,) for d in ids])

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()
            writer.commit()
            with self._sql() as db:
                for table in FTS5_TABLES:
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute("DELETE FROM indexed_docs")
                db.execute("DELETE FROM state WHERE key='revision'")

    def sync(
        self,
        records: dict[str, Any],
        chunks_of: Callable[[Any], Chunks],
        revision: int,
        all_chunks: Callable[[dict[str, Any]], Iterable[tuple[Any, Chunks]]] | None = None,
    ) -> int:
        """Bring the index level with a manifest ({id: DocumentRecord}); return documents touched.

        Only documents whose content hash differs are read from the store (``chunks_of``), so
        a sync after someone else's ingest costs what that ingest changed, not the whole store.
        Where many differ (a new app machine) and the store can stream every chunk
        (``all_chunks(wanted)``), they are read in one pass and indexed in a few commits.
        """
        have = self.indexed()
        gone = list(have.keys() - records.keys())
        if gone:
            self.remove_documents(gone)
        wanted = {d: r for d, r in records.items() if have.get(d) != r.doc_hash}
        if not wanted:
            touched = 0
        elif all_chunks is not None and len(wanted) > 50:
            stream = all_chunks(wanted)
            touched = self.replace_documents((r.meta, r.doc_hash, c) for r, c in stream)
        else:
            touched = self.replace_documents(
                (r.meta, r.doc_hash, chunks_of(r)) for r in wanted.values()
            )
        self.mark_synced(revision)
        return len(gone) + touched

    # -- reading ---------------------------------------------------------------------------
    def search(
        self, terms: Sequence[str], k: int, scope: Any = None, max_postings: int | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; ``scope`` (a store ``Scope``) is applied inside
        the query. ``max_postings`` keeps the rarest terms until that many chunks would be
        scored (a cost cap FTS5 needed; tantivy's WAND rarely does, so it defaults to off)."""
        tokens = list(dict.fromkeys(token(t) for t in terms if t))
        if not tokens or k <= 0:
            return []
        searcher = self._searcher()
        if max_postings and len(tokens) > 1:
            tokens = self._within_budget(searcher, tokens, max_postings)
        text = tantivy.Query.boolean_query([(tantivy.Occur.Should, self._term(t)) for t in tokens])
        query = self._scoped(text, scope)
        if query is None:
            return []
        try:
            hits = searcher.search(query, k, count=False).hits
            return [(searcher.doc(address)["chunk_id"][0], float(score)) for score, address in hits]
        except ValueError as exc:
            raise StoreError(f"keyword search failed: {exc}") from None

    def _term(self, tok: str) -> Any:
        return tantivy.Query.term_query(self.schema, "body", tok, index_option="freq")

    def _within_budget(self, searcher: Any, tokens: list[str], max_postings: int) -> list[str]:
        counts = {t: searcher.doc_freq("body", t) for t in tokens}
        kept: list[str] = []
        total = 0
        for tok in sorted((t for t in tokens if counts[t]), key=lambda t: counts[t]):
            if kept and total + counts[tok] > max_postings:
                break
            kept.append(tok)
            total += counts[tok]
        return kept or tokens[:1]

    def term_counts(self, terms: Sequence[str], scope: Any = None) -> tuple[dict[str, int], int]:
        """(chunks containing each term, all chunks), within ``scope`` when one is given.

        Unscoped counts are tantivy's document frequencies, which count a deleted chunk until
        its segment is merged; a small count is checked against the live chunks, so whether a
        rare term (a name) is in the index at all is exact."""
        searcher = self._searcher()
        counts = {}
        for term in dict.fromkeys(t for t in terms if t):
            tok = token(term)
            if scope is None or scope.everything:
                n = searcher.doc_freq("body", tok)
                counts[term] = self._count(searcher, self._term(tok)) if 0 < n <= EXACT_BELOW else n
            else:
                query = self._scoped(self._term(tok), scope)
                counts[term] = 0 if query is None else self._count(searcher, query)
        return counts, self.count(scope)

    def count(self, scope: Any = None) -> int:
        """Live chunks the scope admits (how many chunks a refused query could have searched)."""
        searcher = self._searcher()
        if scope is None or scope.everything:
            return int(searcher.num_docs)
        query = self._scoped(tantivy.Query.all_query(), scope)
        return 0 if query is None else self._count(searcher, query)

    @staticmethod
    def _count(searcher: Any, query: Any) -> int:
        # Deleted chunks are not counted (``doc_freq`` would count them until a merge).
        return int(searcher.search(query, 1, count=True).count)

    def _scoped(self, query: Any, scope: Any) -> Any:
        """``query`` restricted to a store ``Scope``; None when the scope admits nothing."""
        if scope is None or scope.everything:
            return query
        clauses = self._scope_clauses(scope)
        if clauses is None:
            return None
        Q, must = tantivy.Query, tantivy.Occur.Must
        return Q.boolean_query(
            [(must, query)] + [(must, Q.const_score_query(c, 0.0)) for c in clauses]
        )

    def _scope_clauses(self, scope: Any) -> list[Any] | None:
        Q = tantivy.Query
        clauses: list[Any] = []
        f, access = scope.filters, scope.access
        if f.documents:
            clauses.append(Q.term_set_query(self.schema, "doc", list(f.documents)))
        if f.publisher:
            names = [
                n
                for (n,) in self._db.execute(
                    "SELECT DISTINCT lower(publisher) FROM indexed_docs WHERE instr(lower(publisher), ?) > 0",
                    (f.publisher.lower(),),
                )
            ]
            if not names:
                return None
            clauses.append(Q.term_set_query(self.schema, "publisher", names))
        if f.year_from is not None or f.year_to is not None:
            low = f.year_from if f.year_from is not None else -(2**62)
            high = f.year_to if f.year_to is not None else 2**62
            clauses.append(Q.range_query(self.schema, "year", tantivy.FieldType.Integer, low, high))
        if access.groups is not None:
            allowed = ["public"] + [f"group:{g}" for g in sorted(access.groups)]
            clauses.append(Q.term_set_query(self.schema, "access", allowed))
        return clauses
