"""The gaps report on a seeded log (tests/gaplog.py) with the real embedder: planted topics
come out as groups, the CSV opens in a spreadsheet, the golden rows fit the golden-set schema,
access groups limit the documents it names, and the CLI runs it over a period."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pytest
from fakes import commit
from gaplog import TEST_TOPICS, write_log
from servers import run_cli

from core.pii import redact_text
from core.settings import GapsSettings
from core.types import Access
from evals.validate_golden import check_row
from index.store import InMemoryStore
from ui.gaps.export import CSV_COLUMNS, golden_rows, to_csv
from ui.gaps.log import read_signals
from ui.gaps.report import GapReport, build_report

pytestmark = pytest.mark.integration

DOCUMENTS = {
    "council-tax.md": (
        "Council tax bands and payment",
        "Revenues and Benefits",
        (),
        "Council tax is paid in ten monthly instalments. Bands run from A to H.",
    ),
    "environmental-health.md": (
        "Environmental health inspections",
        "Environmental Health",
        ("env",),
        "Officers inspect food premises and investigate rodent and insect infestations.",
    ),
    "licensing.md": (
        "Licensing policy",
        "Licensing",
        (),
        "The council licenses premises that sell alcohol, and hackney carriage and private hire vehicles.",
    ),
    "smart-city.md": (
        "Demystifying the smart city",
        "techUK",
        (),
        "Every city, whatever its size, should develop smart city capabilities.",
    ),
}


class Memo:
    """The session's embedder, each text embedded once for the module (reports repeat them)."""

    def __init__(self, embedder) -> None:
        self.embedder, self.seen = embedder, {}

    def get_text_embedding(self, text: str) -> list[float]:
        return self.get_text_embedding_batch([text])[0]

    def get_text_embedding_batch(self, texts, **_):
        missing = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if missing:
            self.seen.update(zip(missing, self.embedder.get_text_embedding_batch(missing)))
        return [self.seen[t] for t in texts]


@pytest.fixture(scope="module")
def memo(embedder) -> Memo:
    return Memo(embedder)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory, memo):
    folder = tmp_path_factory.mktemp("gaps")
    database = folder / "app.sqlite3"
    planted = write_log(database, "test")
    store = InMemoryStore("gaps_docs")
    for document_id, (title, publisher, groups, text) in DOCUMENTS.items():
        commit(store, document_id, [text], memo, title=title, publisher=publisher, groups=groups)
    signals = read_signals(database)
    return database, planted, store, signals


_REPORTS: dict[Access, GapReport] = {}


def _report(seeded, memo, access: Access | None = None) -> GapReport:
    """One report per reader for the module (each embeds the whole log)."""
    access = access or Access()
    if access not in _REPORTS:
        _, _, store, signals = seeded
        _REPORTS[access] = build_report(signals, memo, store, GapsSettings(), access)
    return _REPORTS[access]


def _topic_of_each_question() -> dict[str, str]:
    return {redact_text(q): topic for topic, questions in TEST_TOPICS.items() for q in questions}


def test_three_planted_topics_come_out_as_three_groups(seeded, memo) -> None:
    _, planted, _, _ = seeded
    report = _report(seeded, memo)
    assert len(planted) >= 200 and report.questions >= 200
    planted_topic = _topic_of_each_question()
    found: dict[str, int] = {}
    for topic_name in TEST_TOPICS:
        homes = Counter(
            t.number
            for t in report.all_topics
            for q in t.questions
            if planted_topic.get(q.question) == topic_name
        )
        home, held = homes.most_common(1)[0]
        assert home != 0, f"{topic_name} was left among the other questions"
        group = next(t for t in report.topics if t.number == home)
        mine = sum(planted_topic.get(q.question) == topic_name for q in group.questions)
        assert held >= 0.8 * sum(homes.values()), (topic_name, homes)
        assert mine >= 0.9 * group.size, (topic_name, [q.question for q in group.questions])
        found[topic_name] = home
    assert len(set(found.values())) == 3, found  # three groups, not one or two
    assert report.other is not None and report.other.size > 0  # plus the rest
    counted = sum(t.size for t in report.all_topics)
    assert counted == report.questions
    assert sum(report.signals.values()) >= report.questions


def test_examples_are_redacted_and_topics_name_their_closest_documents(seeded, memo) -> None:
    report = _report(seeded, memo)
    shown = json.dumps(report.to_dict())
    for secret in ("07700 900123", "SW1A 1AA", "pests@example.org", "020 7946 0018"):
        assert secret not in shown
    taxi = next(t for t in report.topics if any("taxi" in e.lower() for e in t.examples))
    assert taxi.documents[0].document_id == "licensing.md"
    assert taxi.documents[0].publisher == "Licensing" and "Licensing" in taxi.publishers
    assert all(
        t.signals.keys() == {"refused", "rated_down", "followed_up"} for t in report.all_topics
    )


def test_access_groups_apply_to_the_documents_it_names(seeded, memo) -> None:
    def named(access: Access) -> set[str]:
        report = _report(seeded, memo, access)
        return {d.document_id for t in report.topics for d in t.documents}

    assert "environmental-health.md" in named(Access())  # unrestricted
    assert "environmental-health.md" in named(Access(user="eho", groups=frozenset({"env"})))
    outsider = named(Access(user="clerk", groups=frozenset({"hr"})))
    assert outsider and "environmental-health.md" not in outsider


def test_the_csv_opens_in_a_spreadsheet(seeded, memo, tmp_path) -> None:
    report = _report(seeded, memo)
    path = tmp_path / "gaps.csv"
    path.write_text(to_csv(report), encoding="utf-8", newline="")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs for UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == len(report.all_topics) and rows[-1]["topic"] == "other"
    for row, topic in zip(rows, report.all_topics):
        assert int(row["questions"]) == topic.size
        assert int(row["refused"]) == topic.signals["refused"]
        assert row["example_questions"].split("\n") == [
            e if not e.startswith(("=", "+", "-", "@")) else "'" + e for e in topic.examples
        ]
        assert row["label"] == topic.label


class Flat:
    """Every question in one direction: one topic, whatever the words."""

    def get_text_embedding_batch(self, texts, **_):
        return [[1.0, 0.0] for _ in texts]


def _flat_report(*questions: str) -> GapReport:
    from ui.gaps.log import GapSignal

    signals = [
        GapSignal("refused", f"2026-03-0{i + 1}T10:00:00+00:00", q) for i, q in enumerate(questions)
    ]
    return build_report(signals, Flat(), None, GapsSettings())


def test_csv_cells_survive_quotes_commas_and_line_breaks() -> None:
    questions = [
        'Is the "blue" bin, or the green one, for glass?',
        "Bins; recycling, and £ costs",
        "Line one\nline two",
    ]
    rows = list(
        csv.DictReader(io.StringIO(to_csv(_flat_report(*questions), bom=False), newline=""))
    )
    assert len(rows) == 1 and rows[0]["questions"] == "3"
    assert set(rows[0]["example_questions"].split("\n")) == {
        questions[0],
        questions[1],
        "Line one",
        "line two",
    }


def test_a_question_that_looks_like_a_formula_stays_text() -> None:
    rows = list(
        csv.DictReader(
            io.StringIO(to_csv(_flat_report('=HYPERLINK("http://x")'), bom=False), newline="")
        )
    )
    assert rows[0]["example_questions"] == '\'=HYPERLINK("http://x")'


def test_golden_rows_fit_the_schema_and_await_an_author(seeded, memo) -> None:
    rows = golden_rows(_report(seeded, memo))
    assert len(rows) >= 190 and len({r["id"] for r in rows}) == len(rows)
    follow_ups = [r for r in rows if r["type"] == "followup"]
    assert follow_ups and all(r["history"] and r["history"][0]["question"] for r in follow_ups)
    for row in rows:
        assert row["notes"].startswith("NEEDS AUTHOR")
        problems = check_row(row, {})
        assert problems == [
            "an answerable row needs expected_documents",
            "an answerable row needs at least one key fact",
        ], (row, problems)


def test_the_cli_reports_a_period_as_json_and_csv(seeded, tmp_path) -> None:
    database, _, _, signals = seeded
    corpus = tmp_path / "docs"
    corpus.mkdir()
    for document_id, (title, publisher, _, text) in DOCUMENTS.items():
        (corpus / document_id).write_text(
            f"---\ntitle: {title}\npublisher: {publisher}\n---\n\n# {title}\n\n{text}\n"
        )
    store = tmp_path / "store"
    assert run_cli("ingest", str(corpus), "--store", str(store), "--json").returncode == 0
    common = (
        "gaps",
        "--db",
        str(database),
        "--store",
        str(store),
        "--since",
        "2026-03-11",
        "--until",
        "2026-03-20",
    )
    done = run_cli(*common, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    in_period = {s.question for s in signals if "2026-03-11" <= s.created_at[:10] <= "2026-03-20"}
    assert 0 < data["questions"] and data["questions"] >= len(in_period) - 5
    assert data["since"].startswith("2026-03-11T00:00:00") and data["until"].startswith(
        "2026-03-21T00:00:00"
    )
    shown = [e for t in data["topics"] + [data["other"]] if t for e in t["examples"]]
    assert shown and all(not any(s in e for s in ("07700", "SW1A")) for e in shown)
    done = run_cli(*common, "--csv", "--out", str(tmp_path / "gaps.csv"))
    assert done.returncode == 0, done.stderr
    with (tmp_path / "gaps.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle)) == list(CSV_COLUMNS)


def test_the_cli_says_so_in_one_line_when_there_is_no_database(tmp_path) -> None:
    done = run_cli("gaps", "--db", str(tmp_path / "none.sqlite3"), "--store", str(tmp_path / "s"))
    assert done.returncode == 1 and done.stdout == ""
    assert [line for line in done.stderr.splitlines() if line.strip()] == [
        f"error: no web app database at {tmp_path / 'none.sqlite3'}: it is written by `python -m assistant serve`"
        " (set ASSISTANT_UI__FEEDBACK_DB, or pass --db)"
    ]
    assert run_cli("gaps", "--since", "March").returncode == 2
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"not a database at all" * 100)
    done = run_cli("gaps", "--db", str(damaged), "--store", str(tmp_path / "s"))
    assert done.returncode == 1 and done.stderr.startswith(
        f"error: cannot read the web app database at {damaged}"
    )
    assert len(done.stderr.strip().splitlines()) == 1
