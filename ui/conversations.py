"""Saved conversations: kept per browser (or per user, where the intranet names one), listed,
reopened and deleted, in the web app's private SQLite file beside the feedback.

A conversation belongs to an *owner*: the user identity when the trusted proxy gives one (so
it follows the officer to any browser, and another officer on the same browser never sees
it), otherwise the browser's random id (from its local storage). Only a hash of either is
stored, and every read, append and delete is checked against it here, on the server: knowing a
conversation id is never enough. Questions and answers are redacted of personal data before
they are stored; conversations untouched for ``conversation_retention_days`` are purged.
"""

from __future__ import annotations

import builtins
import hashlib
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.pii import add_counts, redact
from core.settings import UISettings
from core.types import Answer
from ui.database import PrivateDatabase

BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{22,64}")
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
TITLE_CHARS = 80
PURGE_EVERY_S = 3600.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    redactions TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS conversations_by_owner ON conversations (owner, updated_at);
CREATE TABLE IF NOT EXISTS conversation_turns (
    conversation_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (conversation_id, position)
);
"""
# What a reopened conversation needs to show an answer again; timings and evidence are not kept.
DROPPED_ANSWER_FIELDS = ("timings_ms", "evidence")


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def valid_browser_id(value: Any) -> str | None:
    return value if isinstance(value, str) and BROWSER_ID.fullmatch(value) else None


@dataclass(frozen=True)
class ConversationSummary:
    id: str
    title: str
    created_at: str
    updated_at: str
    turns: int

    def label(self) -> str:
        """'What is zero trust? (3 questions, 2025-06-01 14:02)' for the list in the chat."""
        when = self.updated_at[:16].replace("T", " ")
        count = f"{self.turns} question" + ("" if self.turns == 1 else "s")
        return f"{self.title} ({count}, {when} UTC)"


@dataclass(frozen=True)
class SavedTurn:
    question: str
    answer: Answer


class ConversationStore:
    def __init__(
        self,
        path: Path | str,
        retention_days: float = 30,
        max_conversations: int = 100,
        max_turns: int = 50,
        redact_personal_data: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = PrivateDatabase(path, SCHEMA)
        self.retention = timedelta(days=retention_days)
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.redacts = redact_personal_data
        self.now = now
        self._last_purge = 0.0
        self.purge()

    @classmethod
    def from_settings(cls, ui: UISettings, redact_personal_data: bool = True) -> ConversationStore:
        return cls(
            ui.feedback_db,
            retention_days=ui.conversation_retention_days,
            max_conversations=ui.max_conversations,
            max_turns=ui.max_conversation_turns,
            redact_personal_data=redact_personal_data,
        )

    @property
    def enabled(self) -> bool:
        return self.retention > timedelta(0)

    def save_turn(
        self,
        browser: str | None,
        conversation_id: str | None,
        question: str,
        answer: Answer,
        user: str | None = None,
    ) -> str | None:
        """Append a question and its answer; returns the conversation's id (a new one unless
        ``conversation_id`` names a conversation of this owner). None when nothing is saved."""
        owner = owner_key(browser, user)
        if owner is None or not self.enabled:
            return None
        self._purge_now_and_then()
        question, counts = self._clean(question)
        stored = self._stored_answer(answer)
        now = self._stamp()
        with self.db.lock, self.db.connect() as db:
            found = None
            if conversation_id and CONVERSATION_ID.fullmatch(conversation_id):
                found = db.execute(
                    "SELECT redactions FROM conversations WHERE id = ? AND owner = ?",
                    (conversation_id, owner),
                ).fetchone()
            if found is None:
                conversation_id = secrets.token_urlsafe(18)
                db.execute(
                    "INSERT INTO conversations (id, owner, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    (conversation_id, owner, _title(question), now, now),
                )
                before: dict[str, int] = {}
            else:
                before = json.loads(found["redactions"] or "{}")
            position = db.execute(
                "SELECT COALESCE(MAX(position), 0) + 1 FROM conversation_turns WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()[0]
            db.execute(
                "INSERT INTO conversation_turns (conversation_id, position, created_at, question, answer)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    conversation_id,
                    position,
                    now,
                    question,
                    json.dumps(stored["answer"], ensure_ascii=False),
                ),
            )
            db.execute(
                "DELETE FROM conversation_turns WHERE conversation_id = ? AND position <= ?",
                (conversation_id, position - self.max_turns),
            )
            db.execute(
                "UPDATE conversations SET updated_at = ?, redactions = ? WHERE id = ?",
                (now, json.dumps(add_counts(before, counts, stored["counts"])), conversation_id),
            )
            self._trim_owner(db, owner)
        return conversation_id

    # In this class's body ``list`` names this method, so annotations say ``builtins.list``.
    def list(
        self, browser: str | None, user: str | None = None, limit: int = 50
    ) -> builtins.list[ConversationSummary]:
        """This owner's conversations, the most recent first."""
        owner = owner_key(browser, user)
        if owner is None:
            return []
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(t.position) AS turns"
                " FROM conversations c LEFT JOIN conversation_turns t ON t.conversation_id = c.id"
                " WHERE c.owner = ? AND c.updated_at >= ? GROUP BY c.id"
                " ORDER BY c.updated_at DESC, c.rowid DESC LIMIT ?",
                (owner, self._cutoff(), limit),
            ).fetchall()
        return [
            ConversationSummary(r["id"], r["title"], r["created_at"], r["updated_at"], r["turns"])
            for r in rows
        ]

    def load(
        self, browser: str | None, conversation_id: str, user: str | None = None
    ) -> builtins.list[SavedTurn] | None:
        """The conversation's questions and answers, or None if it is not this owner's."""
        owner = owner_key(browser, user)
        if owner is None or not conversation_id:
            return None
        with self.db.connect() as db:
            if not db.execute(
                "SELECT 1 FROM conversations WHERE id = ? AND owner = ? AND updated_at >= ?",
                (conversation_id, owner, self._cutoff()),
            ).fetchone():
                return None
            rows = db.execute(
                "SELECT question, answer FROM conversation_turns WHERE conversation_id = ? ORDER BY position",
                (conversation_id,),
            ).fetchall()
        return [SavedTurn(r["question"], Answer.from_dict(json.loads(r["answer"]))) for r in rows]

    def delete(self, browser: str | None, conversation_id: str, user: str | None = None) -> bool:
        owner = owner_key(browser, user)
        if owner is None or not conversation_id:
            return False
        with self.db.lock, self.db.connect() as db:
            gone = db.execute(
                "DELETE FROM conversations WHERE id = ? AND owner = ?", (conversation_id, owner)
            )
            if gone.rowcount != 1:
                return False
            db.execute(
                "DELETE FROM conversation_turns WHERE conversation_id = ?", (conversation_id,)
            )
        return True

    def purge(self) -> int:
        """Delete conversations untouched for longer than the retention; returns how many."""
        self._last_purge = time.monotonic()
        with self.db.lock, self.db.connect() as db:
            old = [
                r["id"]
                for r in db.execute(
                    "SELECT id FROM conversations WHERE updated_at < ?", (self._cutoff(),)
                )
            ]
            for conversation_id in old:
                db.execute(
                    "DELETE FROM conversation_turns WHERE conversation_id = ?", (conversation_id,)
                )
                db.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
        return len(old)

    def redaction_counts(
        self, browser: str | None, conversation_id: str, user: str | None = None
    ) -> dict[str, int]:
        owner = owner_key(browser, user)
        with self.db.connect() as db:
            row = db.execute(
                "SELECT redactions FROM conversations WHERE id = ? AND owner = ?",
                (conversation_id, owner),
            ).fetchone()
        return json.loads(row["redactions"]) if row else {}

    def _trim_owner(self, db: Any, owner: str) -> None:
        extra = db.execute(
            "SELECT id FROM conversations WHERE owner = ? ORDER BY updated_at DESC, rowid DESC LIMIT -1 OFFSET ?",
            (owner, self.max_conversations),
        ).fetchall()
        for row in extra:
            db.execute("DELETE FROM conversation_turns WHERE conversation_id = ?", (row["id"],))
            db.execute("DELETE FROM conversations WHERE id = ?", (row["id"],))

    def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._last_purge > PURGE_EVERY_S:
            self.purge()

    def _clean(self, text: str) -> tuple[str, dict[str, int]]:
        if not self.redacts or not text:
            return text or "", {}
        result = redact(text)
        return result.text, result.counts

    def _stored_answer(self, answer: Answer) -> dict[str, Any]:
        """The answer as saved: what the user typed or the model wrote is redacted; the cited
        passages are the documents' own text (already in the index) and stay as they are."""
        data = answer.to_dict()
        for name in DROPPED_ANSWER_FIELDS:
            data.pop(name, None)
        counts: list[dict[str, int]] = []
        for name in ("question", "standalone_question", "answer", "refusal_reason"):
            if data.get(name):
                data[name], found = self._clean(data[name])
                counts.append(found)
        cleaned = []
        for warning in data.get("warnings") or []:
            text, found = self._clean(warning)
            cleaned.append(text)
            counts.append(found)
        data["warnings"] = cleaned
        return {"answer": data, "counts": add_counts(*counts)}

    def _stamp(self) -> str:
        return self.now().astimezone(UTC).isoformat(timespec="seconds")

    def _cutoff(self) -> str:
        return (self.now() - self.retention).astimezone(UTC).isoformat(timespec="seconds")


def owner_key(browser: str | None, user: str | None = None) -> str | None:
    """Whose conversations: the user where one is given, else the browser (never stored raw)."""
    if user:
        return "user:" + hashlib.sha256(user.encode("utf-8")).hexdigest()
    browser = valid_browser_id(browser)
    if browser:
        return "browser:" + hashlib.sha256(browser.encode("ascii")).hexdigest()
    return None


def _title(question: str) -> str:
    title = " ".join(question.split())
    return title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"
