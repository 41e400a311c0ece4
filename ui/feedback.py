"""Thumbs up/down on answers, kept in SQLite with what produced them, for maintainers to review.

Thumbs-down rows export as *candidate* golden-set rows (the eval suite's JSONL shape) so a
maintainer can check the expected documents and add key facts before adding them to the set.
UK personal data in the question, answer and reason is redacted before it is stored (unless
``privacy.redact_personal_data`` is off); each row counts what was redacted, by kind.

    python -m ui.feedback export [--db PATH] [--golden] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from core.pii import add_counts, redact
from ui.database import PrivateDatabase

MAX_REASON_CHARS = 2000
SECRET_FIELDS = {"api_key", "admin_token"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    reason TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0,
    citations TEXT NOT NULL DEFAULT '[]',
    settings TEXT NOT NULL DEFAULT '{}',
    source TEXT NOT NULL DEFAULT '',
    redactions TEXT NOT NULL DEFAULT '{}'
)
"""

Rating = Literal["up", "down"]


def settings_snapshot(settings: Any) -> dict[str, Any]:
    """The settings that shape an answer, without secrets or the UI's own settings."""
    data = settings.model_dump(mode="json", exclude={"ui"})

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: scrub(v) for k, v in value.items() if k not in SECRET_FIELDS}
        return value

    return scrub(data)


@dataclass(frozen=True)
class FeedbackRow:
    id: int
    created_at: str
    rating: str
    reason: str
    question: str
    answer: str
    refused: bool
    citations: list[dict[str, Any]]
    settings: dict[str, Any]
    source: str
    redactions: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["redaction_count"] = sum(self.redactions.values())
        return data


class FeedbackStore:
    """Feedback rows in the web app's private SQLite file."""

    def __init__(
        self,
        path: Path | str,
        redact_personal_data: bool = True,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.now = now
        self.db = PrivateDatabase(path, SCHEMA)
        self.path = self.db.path
        self.redacts = redact_personal_data
        if "redactions" not in self.db.columns("feedback"):  # a file from before redaction
            with self.db.connect() as db:
                db.execute("ALTER TABLE feedback ADD COLUMN redactions TEXT NOT NULL DEFAULT '{}'")

    def _clean(self, text: str) -> tuple[str, dict[str, int]]:
        if not self.redacts:
            return text, {}
        result = redact(text)
        return result.text, result.counts

    def _clean_citations(
        self, citations: Sequence[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, int]]:
        cleaned: list[dict[str, Any]] = []
        counts: dict[str, int] = {}
        for citation in citations:
            slim = _slim_citation(citation)
            for key, value in slim.items():
                if not isinstance(value, str | int | float | bool | None):  # a client's own shapes
                    value = json.dumps(value, ensure_ascii=False, default=str)
                if isinstance(value, str):
                    slim[key], found = self._clean(value)
                    counts = add_counts(counts, found)
            cleaned.append(slim)
        return cleaned, counts

    def add(
        self,
        rating: Rating,
        question: str,
        answer: str,
        citations: Sequence[dict[str, Any]] = (),
        settings: dict[str, Any] | None = None,
        reason: str = "",
        refused: bool = False,
        source: str = "",
    ) -> int:
        if rating not in ("up", "down"):
            raise ValueError("rating must be 'up' or 'down'")
        question, asked = self._clean(question)
        answer, answered = self._clean(answer)
        reason, gave = self._clean((reason or "").strip()[:MAX_REASON_CHARS])
        # A client may send its own citations (POST /api/feedback): their text is redacted too.
        slim, cited = self._clean_citations(citations)
        row = (
            self.now().astimezone(UTC).isoformat(timespec="seconds"),
            rating,
            reason,
            question,
            answer,
            int(bool(refused)),
            json.dumps(slim, ensure_ascii=False),
            json.dumps(settings or {}, ensure_ascii=False, default=str),
            source,
            json.dumps(add_counts(asked, answered, gave, cited)),
        )
        with self.db.lock, self.db.connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (created_at, rating, reason, question, answer, refused,"
                " citations, settings, source, redactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            return int(cursor.lastrowid or 0)

    def set_reason(self, feedback_id: int, reason: str) -> bool:
        reason, gave = self._clean((reason or "").strip()[:MAX_REASON_CHARS])
        with self.db.lock, self.db.connect() as db:
            found = db.execute(
                "SELECT redactions FROM feedback WHERE id = ?", (feedback_id,)
            ).fetchone()
            if found is None:
                return False
            counts = add_counts(json.loads(found["redactions"] or "{}"), gave)
            db.execute(
                "UPDATE feedback SET reason = ?, redactions = ? WHERE id = ?",
                (reason, json.dumps(counts), feedback_id),
            )
            return True

    def rows(self, rating: Rating | None = None) -> list[FeedbackRow]:
        query = "SELECT * FROM feedback" + (" WHERE rating = ?" if rating else "") + " ORDER BY id"
        with self.db.connect() as db:
            found = db.execute(query, (rating,) if rating else ()).fetchall()
        return [
            FeedbackRow(
                id=r["id"],
                created_at=r["created_at"],
                rating=r["rating"],
                reason=r["reason"],
                question=r["question"],
                answer=r["answer"],
                refused=bool(r["refused"]),
                citations=json.loads(r["citations"]),
                settings=json.loads(r["settings"]),
                source=r["source"],
                redactions=json.loads(r["redactions"] or "{}"),
            )
            for r in found
        ]

    def export_jsonl(self) -> str:
        return "".join(json.dumps(r.to_dict(), ensure_ascii=False) + "\n" for r in self.rows())

    def golden_candidates(self) -> list[dict[str, Any]]:
        return [golden_candidate(r) for r in self.rows("down")]

    def golden_jsonl(self) -> str:
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in self.golden_candidates())


def golden_candidate(row: FeedbackRow) -> dict[str, Any]:
    """A golden-set row for a maintainer to review: the documents the answer cited, no facts yet."""
    documents = list(
        dict.fromkeys(c.get("document_id", "") for c in row.citations if c.get("document_id"))
    )
    reason = row.reason or "no reason given"
    return {
        "id": f"feedback-{row.id}",
        "type": "answerable",
        "question": row.question,
        "history": [],
        "expected_documents": documents,
        "expected_section": "",
        "key_facts": [],
        "must_refuse": False,
        "notes": f"from feedback: {reason}",
    }


def _slim_citation(citation: dict[str, Any]) -> dict[str, Any]:
    keep = ("n", "document_id", "title", "section", "page", "year", "source", "chunk_id", "text")
    return {k: citation.get(k) for k in keep if k in citation}


def main(argv: list[str] | None = None) -> int:
    from core.settings import Settings

    parser = argparse.ArgumentParser(
        prog="python -m ui.feedback", description=__doc__.splitlines()[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="print the feedback as JSONL")
    export.add_argument(
        "--db", type=Path, help="feedback SQLite file (default: settings.ui.feedback_db)"
    )
    export.add_argument(
        "--golden", action="store_true", help="thumbs-down rows as golden-set candidates"
    )
    export.add_argument("--out", type=Path, help="write to this file instead of stdout")
    args = parser.parse_args(argv)
    db = args.db or Settings().ui.feedback_db
    if not Path(db).is_file():
        print(f"error: no feedback database at {db}", file=sys.stderr)
        return 1
    store = FeedbackStore(db, redact_personal_data=False)  # reading only: rows are stored redacted
    text = store.golden_jsonl() if args.golden else store.export_jsonl()
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
