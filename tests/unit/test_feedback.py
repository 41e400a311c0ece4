"""Feedback storage and its export as golden-set candidates (ui/feedback.py)."""

from __future__ import annotations

import json

import pytest

from core.settings import Settings, UISettings
from ui.feedback import FeedbackStore, main, settings_snapshot

pytestmark = pytest.mark.unit

CITATIONS = [
    {"n": 1, "document_id": "a.md", "title": "A", "text": "alpha", "score": 0.9, "licence": "OGL"},
    {"n": 2, "document_id": "b.md", "title": "B", "text": "beta"},
    {"n": 3, "document_id": "a.md", "title": "A", "text": "alpha two"},
]


@pytest.fixture
def store(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "deep" / "feedback.sqlite3")


def test_rows_keep_question_answer_citations_and_settings(store: FeedbackStore) -> None:
    row_id = store.add(
        "down", "What is X?", "X is y [1].", CITATIONS, {"embed_model": "m"}, reason="wrong"
    )
    up_id = store.add("up", "What is Z?", "Z is z [1].", CITATIONS[:1], {})
    rows = store.rows()
    assert [r.id for r in rows] == [row_id, up_id]
    first = rows[0]
    assert (first.rating, first.reason, first.question, first.answer) == (
        "down",
        "wrong",
        "What is X?",
        "X is y [1].",
    )
    assert [c["document_id"] for c in first.citations] == ["a.md", "b.md", "a.md"]
    assert "score" not in first.citations[0]  # slimmed to what a reviewer needs
    assert first.settings == {"embed_model": "m"}
    assert [r.id for r in store.rows("up")] == [up_id]


def test_reason_can_be_added_later_and_is_bounded(store: FeedbackStore) -> None:
    row_id = store.add("down", "q", "a")
    assert store.set_reason(row_id, "  missing the 2023 update  ")
    assert store.rows()[0].reason == "missing the 2023 update"
    assert store.set_reason(row_id, "x" * 5000)
    assert len(store.rows()[0].reason) == 2000
    assert not store.set_reason(row_id + 100, "no such row")


def test_rating_must_be_up_or_down(store: FeedbackStore) -> None:
    with pytest.raises(ValueError):
        store.add("meh", "q", "a")  # type: ignore[arg-type]


def test_export_and_golden_candidates(store: FeedbackStore) -> None:
    store.add("up", "Liked?", "yes [1].", CITATIONS[:1])
    down = store.add(
        "down",
        "Which standard applies?",
        "The wrong one [1].",
        CITATIONS,
        reason="cites the old version",
    )
    store.add("down", "No reason?", "Hmm [1].", CITATIONS[1:2])
    exported = [json.loads(line) for line in store.export_jsonl().splitlines()]
    assert [r["rating"] for r in exported] == ["up", "down", "down"]
    golden = [json.loads(line) for line in store.golden_jsonl().splitlines()]
    assert golden[0] == {
        "id": f"feedback-{down}",
        "type": "answerable",
        "question": "Which standard applies?",
        "history": [],
        "expected_documents": ["a.md", "b.md"],
        "expected_section": "",
        "key_facts": [],
        "must_refuse": False,
        "notes": "from feedback: cites the old version",
    }
    assert golden[1]["notes"] == "from feedback: no reason given"
    assert golden[1]["expected_documents"] == ["b.md"]


def test_settings_snapshot_has_no_secrets() -> None:
    settings = Settings(
        answer={"backend": "openai", "api_key": "sk-secret", "base_url": "http://llm"},
        ui=UISettings(admin_token="admin-secret"),
    )
    snapshot = settings_snapshot(settings)
    text = json.dumps(snapshot)
    assert "sk-secret" not in text and "admin-secret" not in text
    assert "ui" not in snapshot
    assert snapshot["answer"]["backend"] == "openai"
    assert snapshot["retrieval"]["top_n"] == settings.retrieval.top_n


def test_cli_export(store: FeedbackStore, tmp_path, capsys) -> None:
    store.add("down", "Q?", "A [1].", CITATIONS[:1], reason="r")
    out = tmp_path / "golden.jsonl"
    assert main(["export", "--db", str(store.path), "--golden", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["expected_documents"] == ["a.md"]
    assert main(["export", "--db", str(store.path)]) == 0
    assert json.loads(capsys.readouterr().out)["question"] == "Q?"
    assert main(["export", "--db", str(tmp_path / "missing.sqlite3")]) == 1


def test_personal_data_is_redacted_and_counted_in_the_export(store: FeedbackStore) -> None:
    row_id = store.add(
        "down",
        "Is QQ 12 34 56 C (born 01/02/1980) at M1 1AE eligible?",
        "Call 0161 496 0000 [1].",
        CITATIONS[:1],
        reason="my card 4111 1111 1111 1111 was refused",
    )
    store.set_reason(row_id, "email me at jo.bloggs@example.com")
    row = store.rows()[0]
    assert (
        row.question
        == "Is [redacted NI number] (born [redacted date of birth]) at [redacted postcode] eligible?"
    )
    assert row.answer == "Call [redacted phone] [1]."
    assert row.reason == "email me at [redacted email]"
    assert row.redactions == {
        "ni_number": 1,
        "date_of_birth": 1,
        "postcode": 1,
        "phone": 1,
        "card": 1,
        "email": 1,
    }
    exported = json.loads(store.export_jsonl())
    assert exported["redaction_count"] == 6 and exported["redactions"]["card"] == 1
    raw = store.path.read_bytes()
    assert b"QQ 12 34 56 C" not in raw and b"4111 1111" not in raw and b"jo.bloggs" not in raw


def test_redaction_can_be_turned_off(tmp_path) -> None:
    plain = FeedbackStore(tmp_path / "f.sqlite3", redact_personal_data=False)
    plain.add("up", "jo@example.com?", "a")
    assert plain.rows()[0].question == "jo@example.com?" and plain.rows()[0].redactions == {}


def test_database_is_created_private_and_older_files_gain_the_count_column(tmp_path) -> None:
    import sqlite3
    import stat

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # a file written before redaction existed
        db.execute(SCHEMA_BEFORE_REDACTION)
        db.execute(
            "INSERT INTO feedback (created_at, rating, question, answer) VALUES ('t', 'up', 'q', 'a')"
        )
    path.chmod(0o644)
    store = FeedbackStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (
        store.rows()[0].redactions == {}
        and json.loads(store.export_jsonl())["redaction_count"] == 0
    )
    fresh = tmp_path / "new" / "feedback.sqlite3"
    FeedbackStore(fresh)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600


SCHEMA_BEFORE_REDACTION = """CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, rating TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', question TEXT NOT NULL, answer TEXT NOT NULL,
    refused INTEGER NOT NULL DEFAULT 0, citations TEXT NOT NULL DEFAULT '[]',
    settings TEXT NOT NULL DEFAULT '{}', source TEXT NOT NULL DEFAULT '')"""
