"""The gaps report's logic with the shipped fakes: what is recorded, what counts as a signal,
how signals merge, who may see the report, and the dates the CLI accepts."""

from __future__ import annotations

import argparse
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from fakes import HashingEmbedder, commit

from core.settings import GapsSettings, Settings, UISettings
from core.types import Access, Answer, Citation, DocumentMeta, Filters
from index.store import InMemoryStore
from ui.conversations import ConversationStore
from ui.feedback import FeedbackStore
from ui.gaps.command import parse_moment
from ui.gaps.log import GapSignal, RefusalLog, read_signals
from ui.gaps.report import build_report, merge_signals
from ui.gaps.tab import gaps_view
from ui.security import AdminGuard
from ui.services import Services

pytestmark = pytest.mark.unit

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.moment = T0

    def __call__(self) -> datetime:
        return self.moment


def refused(question: str, standalone: str = "") -> Answer:
    source = Citation(
        "doc#0",
        DocumentMeta("tax.md", title="Council tax", publisher="Revenues"),
        "text",
        score=0.31,
        n=1,
    )
    return Answer(
        question,
        "The documents don't answer this.",
        True,
        "nothing close enough",
        (),
        (source,),
        standalone_question=standalone,
    )


def answered(question: str) -> Answer:
    return Answer(question, "Yes [1].", False, None, (), ())


def test_the_refusal_log_keeps_typed_redacted_rows_of_refusals_only(tmp_path) -> None:
    clock = Clock()
    log = RefusalLog(tmp_path / "app.sqlite3", retention_days=30, now=clock)
    assert log.record(answered("What is zero trust?"), "web") is None
    log.record(refused("Does QQ 12 34 56 C get a single person discount?"), "api")
    [row] = log.rows()
    assert row.question == "Does [redacted NI number] get a single person discount?"
    assert row.channel == "api" and row.reason == "nothing close enough"
    assert row.closest_documents == ("tax.md",) and row.top_score == pytest.approx(0.31)
    assert row.redactions == {"ni_number": 1} and row.created_at == "2026-03-02T10:00:00+00:00"
    echo = replace(
        refused("Is 07700 900123 or SW1A 1AA covered?"),
        refusal_reason="the documents never mention '07700', '900123', 'SW1A'",
    )
    log.record(echo, "web")
    assert (
        log.rows()[-1].reason
        == "the documents never mention '[redacted]', '[redacted]', '[redacted]'"
    )
    log.record(refused("Call 07700 900123", standalone="Call 07700 900123"), "web")  # counted once
    assert log.rows()[-1].redactions == {"phone": 1} and log.rows()[-1].standalone_question == ""
    log.record(
        refused("and for 07700 900123?", standalone="Is there help for 07700 900123?"), "web"
    )
    assert log.rows()[-1].redactions == {"phone": 2}
    assert log.rows()[-1].standalone_question == "Is there help for [redacted phone]?"
    with sqlite3.connect(tmp_path / "app.sqlite3") as db:  # nothing says who asked
        columns = {r[1] for r in db.execute("PRAGMA table_info(refusals)")}
    assert not columns & {"owner", "user", "browser", "ip"}
    clock.moment = T0 + timedelta(days=31)
    assert log.purge() == 4 and log.rows() == []
    assert (
        RefusalLog(tmp_path / "off.sqlite3", retention_days=0).record(refused("x"), "web") is None
    )


def test_follow_ups_are_turns_asked_soon_after_an_answer(tmp_path) -> None:
    clock = Clock()
    db = tmp_path / "app.sqlite3"
    conversations = ConversationStore(db, now=clock)
    browser = "b" * 24
    first = conversations.save_turn(
        browser, None, "What does the techUK report recommend?", answered("q")
    )
    clock.moment += timedelta(seconds=40)
    follow = Answer(
        "and procurement?",
        "Yes [1].",
        False,
        None,
        (),
        (),
        standalone_question="What does the techUK report say about procurement?",
    )
    conversations.save_turn(browser, first, "and procurement?", follow)
    clock.moment += timedelta(hours=2)
    conversations.save_turn(browser, first, "A new subject, hours later", answered("q"))
    [signal] = read_signals(db, followup_window_s=180)
    assert signal.signal == "followed_up" and signal.question == "and procurement?"
    assert signal.text == "What does the techUK report say about procurement?"
    assert signal.history == ("What does the techUK report recommend?",)


def test_ratings_down_and_periods(tmp_path) -> None:
    clock = Clock()
    db = tmp_path / "app.sqlite3"
    feedback = FeedbackStore(db, now=clock)
    feedback.add("down", "How do I appeal a parking fine?", "An answer", reason="wrong document")
    feedback.add("up", "What is zero trust?", "An answer")
    clock.moment = T0 + timedelta(days=10)
    feedback.add("down", "Later question", "An answer")
    signals = read_signals(db)
    assert [(s.signal, s.question) for s in signals] == [
        ("rated_down", "How do I appeal a parking fine?"),
        ("rated_down", "Later question"),
    ]
    assert signals[0].note == "wrong document"
    until = parse_moment("2026-03-05", end_of_day=True)
    assert [
        s.question for s in read_signals(db, since=parse_moment("2026-03-02"), until=until)
    ] == ["How do I appeal a parking fine?"]
    assert read_signals(tmp_path / "missing.sqlite3") == []


def test_one_asking_counts_once_whatever_signals_it_drew() -> None:
    at = "2026-03-02T10:00:0{}+00:00".format
    signals = [
        GapSignal("refused", at(0), "Who empties the bins?"),
        GapSignal("rated_down", at(5), "who empties the  bins?", note="no answer"),
        GapSignal("refused", at(9), "Who empties the bins?"),  # asked again: a second asking
    ]
    merged = merge_signals(signals, window_s=3600)
    assert [sorted(q.signals) for q in merged] == [["rated_down", "refused"], ["refused"]]
    assert merged[0].notes == ["no answer"]
    assert len(merge_signals(signals[:2], window_s=1)) == 2  # rated a long time after


def test_parse_moment_takes_dates_and_iso_times() -> None:
    assert parse_moment("2026-03-31") == "2026-03-31T00:00:00+00:00"
    assert parse_moment("2026-03-31", end_of_day=True) == "2026-04-01T00:00:00+00:00"
    assert parse_moment("2026-03-31T12:30:00Z") == "2026-03-31T12:30:00+00:00"
    with pytest.raises(argparse.ArgumentTypeError, match="not a date"):
        parse_moment("March")


def test_only_refusals_over_every_document_are_noted_and_a_broken_log_costs_nothing(
    tmp_path,
) -> None:
    log = RefusalLog(tmp_path / "app.sqlite3")
    services = SimpleNamespace(refusals=log)
    Services.note_answer(services, refused("Why?"), "web", Filters(publisher="NCSC"))  # type: ignore[arg-type]
    Services.note_answer(services, answered("Why?"), "web")  # type: ignore[arg-type]
    Services.note_answer(services, refused("Why not?"), "web", Filters())  # type: ignore[arg-type]
    assert [r.question for r in log.rows()] == ["Why not?"]

    class Broken:
        def record(self, *_):
            raise sqlite3.OperationalError("disk I/O error")

    Services.note_answer(SimpleNamespace(refusals=Broken()), refused("x"), "api")  # type: ignore[arg-type]


@pytest.fixture()
def app_services(tmp_path):
    """What the Gaps tab uses of the app's services, with the in-memory store and fake embedder."""
    db = tmp_path / "app.sqlite3"
    log = RefusalLog(db)
    for question in (
        "Who treats rats in gardens?",
        "Rats in the garden: who treats them?",
        "Do we treat rats in a garden?",
    ):
        log.record(refused(question), "web")
    embedder = HashingEmbedder()
    store = InMemoryStore("gaps_unit")
    commit(
        store,
        "pests.md",
        ["Rats in gardens are treated by environmental health."],
        embedder,
        title="Pests",
        publisher="Environmental Health",
        groups=("env",),
    )
    commit(
        store,
        "garden.md",
        ["Garden waste and gardens: collections."],
        embedder,
        title="Gardens",
        publisher="Waste",
    )
    settings = Settings(store="memory", ui=UISettings(feedback_db=db, admin_token="s3cret-token"))
    groups: dict[str, frozenset[str] | None] = {"now": None}
    return SimpleNamespace(
        settings=settings,
        guard=AdminGuard("s3cret-token"),
        assistant=SimpleNamespace(embedder=embedder, store=store),
        access=lambda request: Access(user="officer", groups=groups["now"]),
        groups=groups,
    )


def test_non_admins_see_nothing_of_the_report(app_services) -> None:
    view = gaps_view(app_services)
    for token in ("", "wrong", None):
        status, html, csv_file, golden = view(token, "", "", object())
        assert status.startswith("Refused") and html == ""
        assert (
            csv_file["visible"] is False
            and golden["visible"] is False
            and csv_file["value"] is None
        )


def test_admins_see_topics_with_only_the_documents_their_groups_allow(app_services) -> None:
    view = gaps_view(app_services)
    status, html, csv_file, _ = view("s3cret-token", "", "", object())
    assert "3 question(s) in 1 topic(s)" in status and "rats" in html.lower()
    assert "Environmental Health" in html and csv_file["visible"]
    app_services.groups["now"] = frozenset({"waste"})
    _, html, _, _ = view("s3cret-token", "", "", object())
    assert "Environmental Health" not in html and "Pests" not in html and "Gardens" in html
    status, html, _, _ = view("s3cret-token", "31 March", "", object())
    assert status.startswith("Not shown") and html == ""


def test_small_reports_and_empty_ones() -> None:
    report = build_report([], HashingEmbedder(), None, GapsSettings())
    assert report.questions == 0 and report.topics == () and report.other is None
    one = build_report(
        [GapSignal("refused", "2026-03-02T10:00:00+00:00", "Only question")],
        HashingEmbedder(),
        None,
        GapsSettings(),
    )
    assert one.topics == () and one.other is not None and one.other.examples == ("Only question",)


def test_the_tab_is_built_only_behind_a_configured_token() -> None:
    import gradio as gr

    from ui.gaps.tab import gaps_tab

    def ids(token: str | None) -> set[str]:
        services = SimpleNamespace(guard=AdminGuard(token))
        with gr.Blocks() as demo, gr.Tabs():
            gaps_tab(services)  # type: ignore[arg-type]
        return {getattr(b, "elem_id", None) for b in demo.blocks.values()} - {None}

    assert "gaps-disabled" in ids(None) and "gaps-token" not in ids(None)
    assert {"gaps-token", "gaps-button", "gaps-report"} <= ids("s3cret-token")
