"""Saved conversations (ui/conversations.py): per browser or user, private, redacted, purged."""

from __future__ import annotations

import stat
from datetime import UTC, datetime, timedelta

import pytest

from core.types import Answer, Citation
from ui.conversations import ConversationStore, new_browser_id, owner_key, valid_browser_id

pytestmark = pytest.mark.unit


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def answer(question: str, text: str = "Permits cost forty pounds [1].") -> Answer:
    cited = Citation.from_dict(
        {
            "n": 1,
            "document_id": "p.md",
            "title": "Parking",
            "text": "Permits cost forty pounds. Call 020 7946 0958.",
        }
    )
    return Answer(
        question,
        text,
        False,
        None,
        (cited,),
        (cited,),
        timings_ms={"total": 5.0},
        evidence={"score": 0.9},
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path, clock) -> ConversationStore:
    return ConversationStore(
        tmp_path / "app" / "feedback.sqlite3",
        retention_days=30,
        max_conversations=3,
        max_turns=4,
        now=clock,
    )


def test_a_conversation_is_saved_listed_reopened_and_deleted(
    store: ConversationStore, clock: Clock
) -> None:
    me = new_browser_id()
    first = store.save_turn(me, None, "How much is a permit?", answer("How much is a permit?"))
    clock.now += timedelta(minutes=1)
    assert (
        store.save_turn(me, first, "And a visitor permit?", answer("And a visitor permit?"))
        == first
    )
    listed = store.list(me)
    assert [(s.id, s.title, s.turns) for s in listed] == [(first, "How much is a permit?", 2)]
    assert listed[0].label().startswith("How much is a permit? (2 questions, 2025-06-01 12:01")
    turns = store.load(me, first)
    assert [t.question for t in turns] == ["How much is a permit?", "And a visitor permit?"]
    reopened = turns[0].answer
    assert (
        reopened.answer == "Permits cost forty pounds [1]."
        and reopened.citations[0].doc.document_id == "p.md"
    )
    assert reopened.timings_ms == {} and reopened.evidence == {}  # not kept
    assert store.delete(me, first)
    assert store.list(me) == [] and store.load(me, first) is None
    assert not store.delete(me, first)


def test_nobody_reads_or_changes_another_browsers_or_users_conversations(
    store: ConversationStore,
) -> None:
    me, other = new_browser_id(), new_browser_id()
    mine = store.save_turn(me, None, "q", answer("q"))
    assert store.list(other) == [] and store.load(other, mine) is None
    assert not store.delete(other, mine)
    # appending to someone else's id starts a new conversation of one's own instead
    theirs = store.save_turn(other, mine, "q2", answer("q2"))
    assert theirs != mine and [t.question for t in store.load(me, mine)] == ["q"]
    # a user identity keys the conversations: the same browser, another user, sees nothing
    alice = store.save_turn(me, None, "alice's question", answer("a"), user="alice@example.gov.uk")
    assert [s.id for s in store.list(me, user="alice@example.gov.uk")] == [alice]
    assert store.list(me, user="bob@example.gov.uk") == []
    assert store.load(me, alice, user="bob@example.gov.uk") is None
    assert alice not in [s.id for s in store.list(me)]  # nor the browser without the user
    assert [s.id for s in store.list(new_browser_id(), user="alice@example.gov.uk")] == [
        alice
    ]  # her other PC


def test_ids_are_unguessable_and_malformed_browser_ids_own_nothing(
    store: ConversationStore,
) -> None:
    for bad in (None, "", "short", "x" * 200, "../../etc/passwd", 42):
        assert valid_browser_id(bad) is None and owner_key(bad) is None  # type: ignore[arg-type]
        assert store.save_turn(bad, None, "q", answer("q")) is None  # type: ignore[arg-type]
        assert store.list(bad) == []  # type: ignore[arg-type]
    me = new_browser_id()
    ids = {store.save_turn(me, None, f"q{i}", answer("q")) for i in range(3)}
    assert len(ids) == 3 and all(len(i) >= 24 for i in ids)
    with store.db.connect() as db:
        owners = [r["owner"] for r in db.execute("SELECT owner FROM conversations")]
    assert owners and all(me not in o for o in owners)  # only a hash of the browser id is stored


def test_old_conversations_are_purged_and_owners_capped(
    store: ConversationStore, clock: Clock
) -> None:
    me = new_browser_id()
    old = store.save_turn(me, None, "old", answer("old"))
    clock.now += timedelta(days=31)
    assert store.load(me, old) is None and store.list(me) == []  # expired: gone at once
    assert store.purge() == 1
    made = []
    for i in range(5):
        clock.now += timedelta(minutes=1)
        made.append(store.save_turn(me, None, f"q{i}", answer("q")))
    assert [s.id for s in store.list(me)] == made[::-1][:3]  # max_conversations=3, newest first
    for i in range(6):
        store.save_turn(me, made[-1], f"more {i}", answer("q"))
    assert [t.question for t in store.load(me, made[-1])] == [
        "more 2",
        "more 3",
        "more 4",
        "more 5",
    ]


def test_personal_data_is_redacted_before_it_is_stored(store: ConversationStore) -> None:
    me = new_browser_id()
    question = "Can resident AB 12 34 56 C at SW1A 1AA (jo@example.com, 07700 900123) get a permit?"
    conversation = store.save_turn(
        me, None, question, answer(question, "Yes, email jo@example.com [1].")
    )
    turn = store.load(me, conversation)[0]
    assert (
        turn.question
        == "Can resident [redacted NI number] at [redacted postcode] ([redacted email], [redacted phone]) get a permit?"
    )
    assert (
        turn.answer.question == turn.question
        and turn.answer.answer == "Yes, email [redacted email] [1]."
    )
    assert (
        "020 7946 0958" in turn.answer.citations[0].text
    )  # the document's own text is not the user's
    assert store.list(me)[0].title.startswith("Can resident [redacted NI number]")
    assert store.redaction_counts(me, conversation) == {
        "ni_number": 2,
        "postcode": 2,
        "email": 3,
        "phone": 2,
    }
    raw = (store.db.path).read_bytes()
    assert b"AB 12 34 56 C" not in raw and b"jo@example.com" not in raw


def test_redaction_can_be_turned_off_and_saving_disabled(tmp_path) -> None:
    me = new_browser_id()
    plain = ConversationStore(tmp_path / "a.sqlite3", redact_personal_data=False)
    saved = plain.save_turn(me, None, "jo@example.com", answer("jo@example.com"))
    assert plain.load(me, saved)[0].question == "jo@example.com"
    off = ConversationStore(tmp_path / "b.sqlite3", retention_days=0)
    assert not off.enabled and off.save_turn(me, None, "q", answer("q")) is None


def test_the_database_file_is_private(tmp_path) -> None:
    path = tmp_path / "feedback.sqlite3"
    ConversationStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # a file from before: narrowed when opened
    ConversationStore(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
