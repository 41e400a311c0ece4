"""The keyword index the store used until issue 19: BM25 over SQLite FTS5.

Kept for ``benchmarks/bench_keyword.py``, which measures it against the tantivy index that
replaced it (``index.store.keyword``), and to read stores built with it: FTS5 scores every
chunk that holds any query term, so its latency grows with the store (35 ms at 300k chunks
with a postings budget that drops query terms), where tantivy's block-max WAND does not.

Rows hold our own stemmed terms (``core.text.content_terms`` of title, section and text, as
before), so FTS5's tokenizer only splits on spaces. Document metadata sits in side tables that
queries join, which is how filters and access groups are applied inside the query.

The index remembers each document's content hash, so ``sync`` can bring it level with the
store's manifest after another process (or another machine) ingested: it touches only the
documents that changed.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from core.errors import StoreError
from core.text import content_terms
from core.types import DocumentMeta

# Bump when what goes into a row changes (the stemmer, stopwords, which fields): the index is
# then rebuilt from the store on first use.
TERMS_VERSION = "1"
NOT_TOKEN = re.compile(r"[^\w-]")

SCHEMA = """
CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs(
    doc_rowid INTEGER PRIMARY KEY, document_id TEXT UNIQUE NOT NULL, doc_hash TEXT NOT NULL,
    publisher TEXT NOT NULL, year INTEGER, public INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS doc_groups(
    grp TEXT NOT NULL, doc_rowid INTEGER NOT NULL, PRIMARY KEY(grp, doc_rowid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_rowid INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_by_doc ON chunks(doc_rowid);
CREATE VIRTUAL TABLE IF NOT EXISTS terms USING fts5(body, tokenize="unicode61 remove_diacritics 0 tokenchars '-_'");
CREATE VIRTUAL TABLE IF NOT EXISTS vocab USING fts5vocab(terms, row);
"""


def token(term: str) -> str:
    """A stemmed term as one FTS5 token (apostrophes and the like become '_')."""
    return NOT_TOKEN.sub("_", term)


def row_text(meta: DocumentMeta, section: str, text: str) -> str:
    return " ".join(token(t) for t in content_terms(f"{meta.title} {section} {text}"))


class Fts5KeywordIndex:
    """One collection's keyword index in one SQLite file (or in memory for the fake store)."""

    def __init__(self, path: Path | str) -> None:
        if str(path) == ":memory:":
            # A named shared-cache database: every thread's connection sees the same data.
            self._uri = f"file:keyword-{uuid.uuid4().hex}?mode=memory&cache=shared"
        else:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._uri = Path(path).resolve().as_uri()
        self.path = str(path)
        self._local = threading.local()
        self._write_lock = threading.Lock()
        self._keepalive = self._connect()  # holds an in-memory database open; harmless on disk
        self._db.executescript(SCHEMA)
        with self._write() as db:
            version = db.execute("SELECT value FROM state WHERE key='terms_version'").fetchone()
            if version is None or version[0] != TERMS_VERSION:
                self._clear(db)
                db.execute(
                    "INSERT OR REPLACE INTO state VALUES ('terms_version', ?)", (TERMS_VERSION,)
                )

    # -- connections -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(
                self._uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the keyword index {self.path}: {exc}") from None
        if not self._uri.startswith("file:keyword-"):
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
        return db

    @property
    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = self._connect()
        return db

    @contextmanager
    def _write(self) -> Any:
        """One writer at a time in this process; SQLite serialises writers across processes."""
        with self._write_lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def close(self) -> None:
        for db in (getattr(self._local, "db", None), self._keepalive):
            if db is not None:
                db.close()

    # -- state -----------------------------------------------------------------------------
    @property
    def synced_revision(self) -> int | None:
        row = self._db.execute("SELECT value FROM state WHERE key='revision'").fetchone()
        return int(row[0]) if row else None

    def mark_synced(self, revision: int) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO state VALUES ('revision', ?)", (str(revision),))

    def note(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM state WHERE key=?", ("note:" + key,)).fetchone()
        return row[0] if row else None

    def set_note(self, key: str, value: str, keep_prefix: str) -> None:
        """Save a note, dropping every other note whose key does not start with ``keep_prefix``."""
        try:
            with self._write() as db:
                db.execute(
                    "DELETE FROM state WHERE key LIKE 'note:%' AND substr(key, 6, ?) != ?",
                    (len(keep_prefix), keep_prefix),
                )
                db.execute("INSERT OR REPLACE INTO state VALUES (?, ?)", ("note:" + key, value))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to the keyword index {self.path}: {exc}") from None

    def indexed(self) -> dict[str, str]:
        """Document id -> content hash of every document the index holds."""
        return dict(self._db.execute("SELECT document_id, doc_hash FROM docs"))

    # -- writing ---------------------------------------------------------------------------
    def replace_document(
        self,
        meta: DocumentMeta,
        doc_hash: str,
        chunks: Iterable[tuple[str, str, str]],
        stemmed: bool = False,
    ) -> None:
        """Index a document's chunks, given as (chunk id, section, text), replacing any before
        (``stemmed``: the text is already the row)."""
        rows = (
            chunks if stemmed else [(c, "", row_text(meta, sec, text)) for c, sec, text in chunks]
        )
        with self._write() as db:
            self._add_rows(db, meta, doc_hash, rows)

    def _add_rows(
        self,
        db: sqlite3.Connection,
        meta: DocumentMeta,
        doc_hash: str,
        rows: Iterable[tuple[str, str, str]],
    ) -> None:
        self._remove(db, meta.document_id)
        cursor = db.execute(
            "INSERT INTO docs(document_id, doc_hash, publisher, year, public) VALUES (?,?,?,?,?)",
            (meta.document_id, doc_hash, meta.publisher, meta.year, int(not meta.groups)),
        )
        doc_rowid = cursor.lastrowid
        db.executemany(
            "INSERT INTO doc_groups(grp, doc_rowid) VALUES (?, ?)",
            [(g, doc_rowid) for g in meta.groups],
        )
        for chunk_id, _, body in rows:
            rowid = db.execute(
                "INSERT INTO chunks(chunk_id, doc_rowid) VALUES (?, ?)", (chunk_id, doc_rowid)
            ).lastrowid
            db.execute("INSERT INTO terms(rowid, body) VALUES (?, ?)", (rowid, body))

    def remove_document(self, document_id: str) -> None:
        with self._write() as db:
            self._remove(db, document_id)

    def clear(self) -> None:
        with self._write() as db:
            self._clear(db)

    @staticmethod
    def _remove(db: sqlite3.Connection, document_id: str) -> None:
        row = db.execute(
            "SELECT doc_rowid FROM docs WHERE document_id=?", (document_id,)
        ).fetchone()
        if row is None:
            return
        db.execute(
            "DELETE FROM terms WHERE rowid IN (SELECT rowid FROM chunks WHERE doc_rowid=?)", row
        )
        db.execute("DELETE FROM chunks WHERE doc_rowid=?", row)
        db.execute("DELETE FROM doc_groups WHERE doc_rowid=?", row)
        db.execute("DELETE FROM docs WHERE doc_rowid=?", row)

    @staticmethod
    def _clear(db: sqlite3.Connection) -> None:
        for table in ("terms", "chunks", "doc_groups", "docs"):
            db.execute(f"DELETE FROM {table}")
        db.execute("DELETE FROM state WHERE key='revision'")

    def sync(
        self,
        records: dict[str, Any],
        chunks_of: Callable[[Any], Iterable[tuple[str, str, str]]],
        revision: int,
    ) -> int:
        """Bring the index level with a manifest ({id: DocumentRecord}); return documents touched.

        Only documents whose content hash differs are read from the store (``chunks_of``), so
        a sync after someone else's ingest costs what that ingest changed, not the whole store.
        """
        have = self.indexed()
        touched = 0
        for document_id in have.keys() - records.keys():
            self.remove_document(document_id)
            touched += 1
        for document_id, record in records.items():
            if have.get(document_id) != record.doc_hash:
                self.replace_document(record.meta, record.doc_hash, chunks_of(record))
                touched += 1
        self.mark_synced(revision)
        return touched

    # -- reading ---------------------------------------------------------------------------
    def search(
        self, terms: Sequence[str], k: int, scope: Any = None, max_postings: int | None = None
    ) -> list[tuple[str, float]]:
        """(chunk id, BM25 score) best first; ``scope`` (a store ``Scope``) is joined in SQL.

        FTS5 scores every chunk holding any query term, so a very common term costs the most
        and, by its low idf, changes the ranking least. With ``max_postings`` the rarest terms
        are kept, most common dropped, until the chunks to score fit the budget: the cost is
        bounded whatever the store's size (a small store never reaches it).
        """
        tokens = list(dict.fromkeys(token(t) for t in terms if t))
        if not tokens or k <= 0:
            return []
        if max_postings and len(tokens) > 1:
            tokens = self._within_budget(tokens, max_postings)
        match = " OR ".join(f'"{t}"' for t in tokens)
        where, params = _scope_sql(scope)
        sql = (
            "SELECT c.chunk_id, -bm25(terms) FROM terms JOIN chunks c ON c.rowid = terms.rowid"
            + (" JOIN docs d ON d.doc_rowid = c.doc_rowid" if where else "")
            + " WHERE terms MATCH ?"
            + (f" AND {where}" if where else "")
            + " ORDER BY bm25(terms) LIMIT ?"
        )
        try:
            return [(c, float(s)) for c, s in self._db.execute(sql, (match, *params, k))]
        except sqlite3.OperationalError as exc:
            raise StoreError(f"keyword search failed: {exc}") from None

    def _within_budget(self, tokens: list[str], max_postings: int) -> list[str]:
        marks = ",".join("?" * len(tokens))
        counts = dict(
            self._db.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", tokens)
        )
        kept: list[str] = []
        total = 0
        for tok in sorted((t for t in tokens if counts.get(t)), key=lambda t: counts[t]):
            if kept and total + counts[tok] > max_postings:
                break
            kept.append(tok)
            total += counts[tok]
        return kept or tokens[:1]

    def term_counts(self, terms: Sequence[str], scope: Any = None) -> tuple[dict[str, int], int]:
        """(chunks containing each term, all chunks); within ``scope`` when one is given (one
        query per term, so callers keep that for a few rare terms such as names)."""
        tokens = {t: token(t) for t in terms if t}
        where, params = _scope_sql(scope)
        if where:
            counts = {}
            for term, tok in tokens.items():
                counts[term] = int(
                    self._db.execute(
                        "SELECT count(*) FROM terms JOIN chunks c ON c.rowid = terms.rowid"
                        f" JOIN docs d ON d.doc_rowid = c.doc_rowid WHERE terms MATCH ? AND {where}",
                        (f'"{tok}"', *params),
                    ).fetchone()[0]
                )
            return counts, self.count(scope)
        counts = {}
        wanted = sorted(set(tokens.values()))
        if wanted:
            marks = ",".join("?" * len(wanted))
            found = dict(
                self._db.execute(f"SELECT term, doc FROM vocab WHERE term IN ({marks})", wanted)
            )
            counts = {t: int(found.get(tok, 0)) for t, tok in tokens.items()}
        total = self._db.execute("SELECT count(*) FROM chunks").fetchone()[0]
        return counts, int(total)

    def count(self, scope: Any = None) -> int:
        """Live chunks the scope admits (how many chunks a refused query could have searched)."""
        where, params = _scope_sql(scope)
        sql = "SELECT count(*) FROM chunks c" + (
            f" JOIN docs d ON d.doc_rowid = c.doc_rowid WHERE {where}" if where else ""
        )
        return int(self._db.execute(sql, params).fetchone()[0])


def _scope_sql(scope: Any) -> tuple[str, list[Any]]:
    """The WHERE clause (on ``docs d``) for a store ``Scope``; empty when it admits everything."""
    if scope is None or scope.everything:
        return "", []
    clauses: list[str] = []
    params: list[Any] = []
    f, access = scope.filters, scope.access
    if f.documents:
        clauses.append(f"d.document_id IN ({','.join('?' * len(f.documents))})")
        params += list(f.documents)
    if f.publisher:
        clauses.append("instr(lower(d.publisher), ?) > 0")
        params.append(f.publisher.lower())
    if f.year_from is not None:
        clauses.append("d.year >= ?")
        params.append(f.year_from)
    if f.year_to is not None:
        clauses.append("d.year <= ?")
        params.append(f.year_to)
    if access.groups is not None:
        groups = sorted(access.groups)
        if groups:
            clauses.append(
                "(d.public = 1 OR EXISTS (SELECT 1 FROM doc_groups g WHERE g.doc_rowid = d.doc_rowid"
                f" AND g.grp IN ({','.join('?' * len(groups))})))"
            )
            params += groups
        else:
            clauses.append("d.public = 1")
    return " AND ".join(clauses), params
