"""Where the gaps report reads from, and the one record it adds: refusals.

Three signals say the documents fell short of a question:

* **refused**: the assistant said the documents don't answer it. Saved conversations hold only
  the web chat's turns (not ``/api/ask`` or ``/v1``) and the officer may delete them, so every
  live refusal is also written here (``RefusalLog``): typed fields, redacted, no user or
  browser identity, kept ``gaps.retention_days``. Refusals under the officer's own filters are
  not recorded: only the chosen documents were searched.
* **rated down**: thumbs-down rows of the feedback store (``ui/feedback.py``).
* **followed up**: a question asked in a saved conversation within ``gaps.followup_window_s``
  of the answer before it (``ui/conversations.py``); its rewritten, stand-alone form is what
  gets grouped, and the earlier question goes with it as history.

``read_signals`` turns all three into ``GapSignal`` rows for a period.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from core.pii import add_counts, redact
from core.types import Answer
from ui.database import PrivateDatabase

Signal = Literal["refused", "rated_down", "followed_up"]
SIGNALS: tuple[Signal, ...] = ("refused", "rated_down", "followed_up")
Channel = Literal["web", "api", "openai"]
PURGE_EVERY_S = 3600.0
PIECE = re.compile(r"[\w@.+-]*\w")

SCHEMA = """
CREATE TABLE IF NOT EXISTS refusals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    closest_documents TEXT NOT NULL DEFAULT '[]',
    top_score REAL,
    redactions TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS refusals_by_time ON refusals (created_at);
"""


@dataclass(frozen=True)
class Refusal:
    """One refused question, as recorded (already redacted)."""

    id: int
    created_at: str
    channel: str
    question: str
    standalone_question: str
    reason: str
    closest_documents: tuple[str, ...]
    top_score: float | None
    redactions: dict[str, int] = field(default_factory=dict)


class RefusalLog:
    """Refusals in the web app's private SQLite file (beside feedback and conversations)."""

    def __init__(
        self,
        path: Path | str,
        retention_days: float = 90,
        redact_personal_data: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = PrivateDatabase(path, SCHEMA)
        self.retention = timedelta(days=retention_days)
        self.redacts = redact_personal_data
        self.now = now
        self._last_purge = 0.0

    @property
    def enabled(self) -> bool:
        return self.retention > timedelta(0)

    def record(self, answer: Answer, channel: Channel) -> int | None:
        """Write down a refused answer; None when it was answered (or recording is off)."""
        if not answer.refused or not self.enabled:
            return None
        if time.monotonic() - self._last_purge > PURGE_EVERY_S:
            self.purge()
        question, asked = self._clean(answer.question)
        rewritten = answer.standalone_question or ""
        if " ".join(rewritten.split()) == " ".join(answer.question.split()):
            rewritten = ""  # not a follow-up: the same words, counted once
        standalone, rewrote = self._clean(rewritten)
        reason, said = self._clean(answer.refusal_reason or "")
        if self.redacts:
            reason = without_echoes(reason, answer.question, question)
        documents = list(
            dict.fromkeys(s.doc.document_id for s in answer.sources if s.doc.document_id)
        )
        scores = [s.score for s in answer.sources]
        row = (
            _stamp(self.now()),
            channel,
            question,
            standalone,
            reason,
            json.dumps(documents, ensure_ascii=False),
            max(scores) if scores else None,
            json.dumps(add_counts(asked, rewrote, said)),
        )
        with self.db.lock, self.db.connect() as db:
            cursor = db.execute(
                "INSERT INTO refusals (created_at, channel, question, standalone_question, reason,"
                " closest_documents, top_score, redactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def rows(self, since: str = "", until: str = "") -> list[Refusal]:
        """Refusals with ``since <= created_at < until`` (ISO strings; empty: unbounded)."""
        query, args = "SELECT * FROM refusals WHERE created_at >= ?", [since]
        if until:
            query, args = query + " AND created_at < ?", [*args, until]
        with self.db.connect() as db:
            found = db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [
            Refusal(
                id=r["id"],
                created_at=r["created_at"],
                channel=r["channel"],
                question=r["question"],
                standalone_question=r["standalone_question"],
                reason=r["reason"],
                closest_documents=tuple(json.loads(r["closest_documents"] or "[]")),
                top_score=r["top_score"],
                redactions=json.loads(r["redactions"] or "{}"),
            )
            for r in found
        ]

    def purge(self) -> int:
        self._last_purge = time.monotonic()
        cutoff = _stamp(self.now() - self.retention)
        with self.db.lock, self.db.connect() as db:
            return db.execute("DELETE FROM refusals WHERE created_at < ?", (cutoff,)).rowcount

    def _clean(self, text: str) -> tuple[str, dict[str, int]]:
        if not self.redacts or not text:
            return text or "", {}
        result = redact(text)
        return result.text, result.counts


def without_echoes(text: str, original: str, redacted: str) -> str:
    """``text`` without the pieces of personal data that redaction took out of the question.

    A refusal reason quotes the question's numbers one at a time ("the documents never mention
    '07700', '900123'"), and no piece alone looks like a phone number to the redactor."""
    kept = set(PIECE.findall(redacted))
    gone = {
        p
        for p in PIECE.findall(original)
        if p not in kept and (any(c.isdigit() for c in p) or "@" in p)
    }
    for piece in sorted(gone, key=len, reverse=True):
        text = re.sub(rf"(?<![\w@]){re.escape(piece)}(?![\w@])", "[redacted]", text)
    return text


@dataclass(frozen=True)
class GapSignal:
    """One time a question showed a gap: which signal, when, and the words to group it by."""

    signal: Signal
    created_at: str
    question: str  # as the officer typed it (redacted)
    standalone_question: str = ""  # the follow-up rewritten to stand alone, when it was
    history: tuple[str, ...] = ()  # the question(s) just before, for a follow-up
    note: str = ""  # the refusal reason or the officer's reason for the thumbs down
    documents: tuple[str, ...] = ()  # what the answer cited, or the closest it listed

    @property
    def text(self) -> str:
        """What the question means on its own: the words that are embedded and grouped."""
        return self.standalone_question or self.question


def read_signals(
    path: Path | str, since: str = "", until: str = "", followup_window_s: float = 180.0
) -> list[GapSignal]:
    """Every gap signal in the private database at ``path`` within the period, oldest first."""
    if not Path(path).is_file():
        return []
    database = PrivateDatabase(path, SCHEMA)
    tables = _tables(database)
    found: list[GapSignal] = []
    if "refusals" in tables:
        found += _refusals(RefusalLog(path, redact_personal_data=False), since, until)
    if "feedback" in tables:
        found += _ratings(database, since, until)
    if "conversation_turns" in tables:
        found += _followups(database, since, until, followup_window_s)
    return sorted(found, key=lambda s: s.created_at)


def _tables(database: PrivateDatabase) -> set[str]:
    with database.connect() as db:
        return {
            r["name"] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }


def _refusals(log: RefusalLog, since: str, until: str) -> Iterator[GapSignal]:
    for r in log.rows(since, until):
        yield GapSignal(
            "refused",
            r.created_at,
            r.question,
            r.standalone_question,
            (),
            r.reason,
            r.closest_documents,
        )


def _ratings(database: PrivateDatabase, since: str, until: str) -> Iterator[GapSignal]:
    query, args = "SELECT * FROM feedback WHERE rating = 'down' AND created_at >= ?", [since]
    if until:
        query, args = query + " AND created_at < ?", [*args, until]
    with database.connect() as db:
        rows = db.execute(query + " ORDER BY created_at, id", args).fetchall()
    for r in rows:
        cited = tuple(
            dict.fromkeys(c.get("document_id", "") for c in json.loads(r["citations"] or "[]"))
        )
        yield GapSignal(
            "rated_down",
            r["created_at"],
            r["question"],
            "",
            (),
            r["reason"],
            tuple(d for d in cited if d),
        )


def _followups(
    database: PrivateDatabase, since: str, until: str, window_s: float
) -> Iterator[GapSignal]:
    """Turns after the first whose question came within ``window_s`` of the previous answer."""
    query = (
        "SELECT t.conversation_id, t.position, t.created_at, t.question, t.answer,"
        " p.created_at AS before_at, p.question AS before"
        " FROM conversation_turns t JOIN conversation_turns p"
        " ON p.conversation_id = t.conversation_id AND p.position = t.position - 1"
        " WHERE t.created_at >= ?"
    )
    args = [since]
    if until:
        query, args = query + " AND t.created_at < ?", [*args, until]
    with database.connect() as db:
        rows = db.execute(query + " ORDER BY t.created_at", args).fetchall()
    for r in rows:
        if _seconds_between(r["before_at"], r["created_at"]) > window_s:
            continue
        answer = json.loads(r["answer"] or "{}")
        standalone = str(answer.get("standalone_question") or "")
        cited = tuple(
            dict.fromkeys(str(c.get("document_id", "")) for c in answer.get("citations") or ())
        )
        yield GapSignal(
            "followed_up",
            r["created_at"],
            r["question"],
            "" if standalone == r["question"] else standalone,
            (r["before"],),
            "",
            tuple(d for d in cited if d),
        )


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except ValueError:
        return float("inf")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")
