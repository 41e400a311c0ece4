"""The persisted keyword index: BM25 ranking, per-document updates, scope in SQL, sync."""

from __future__ import annotations

import pytest

from core.text import content_terms
from core.types import Access, DocumentMeta, Filters
from index.store import Scope
from index.store.keyword import KeywordIndex

pytestmark = pytest.mark.unit


def meta(document_id: str, **fields: object) -> DocumentMeta:
    return DocumentMeta(document_id=document_id, **fields)  # type: ignore[arg-type]


@pytest.fixture
def index(tmp_path) -> KeywordIndex:
    index = KeywordIndex(tmp_path / "kw.sqlite3")
    index.replace_document(
        meta("bins.md", title="Bin collections", publisher="Exampleshire Council", year=2024),
        "h1",
        [
            (
                "bins::1",
                "Collection days",
                "Brown garden waste bins are emptied every second Tuesday.",
            ),
            ("bins::2", "Costs", "The garden waste subscription costs 52 pounds a year."),
        ],
    )
    index.replace_document(
        meta("parking.md", title="Parking", publisher="Northborough City Council", year=2019),
        "h2",
        [
            ("parking::1", "Permits", "Resident parking permits cost 40 pounds a year."),
        ],
    )
    index.replace_document(
        meta("hr.md", title="Staff grievances", groups=("hr",), year=2024),
        "h3",
        [
            ("hr::1", "Grievances", "A grievance about garden parking is heard by the HR panel."),
        ],
    )
    return index


def search(index: KeywordIndex, text: str, scope: Scope | None = None, k: int = 10) -> list[str]:
    return [chunk_id for chunk_id, _ in index.search(content_terms(text), k, scope)]


def test_bm25_ranks_the_chunk_with_the_rarer_words_first(index) -> None:
    assert search(index, "garden waste subscription")[0] == "bins::2"
    assert search(index, "parking permits")[0] == "parking::1"
    scores = [s for _, s in index.search(content_terms("garden waste"), 10)]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)


def test_title_and_section_are_searchable(index) -> None:
    assert search(index, "bin collections days")[0] == "bins::1"


def test_filters_and_access_groups_are_applied_inside_the_query(index) -> None:
    everyone = Access(groups=frozenset())
    assert "hr::1" in search(index, "garden parking")
    assert "hr::1" not in search(index, "garden parking", Scope(access=everyone))
    assert "hr::1" in search(
        index, "garden parking", Scope(access=Access(groups=frozenset({"hr"})))
    )
    assert search(index, "pounds", Scope(Filters(publisher="northborough"))) == ["parking::1"]
    assert set(search(index, "pounds", Scope(Filters(year_from=2020)))) == {"bins::2"}
    assert search(index, "pounds", Scope(Filters(documents=("bins.md",)))) == ["bins::2"]
    assert index.count(Scope(Filters(publisher="nobody"))) == 0
    assert index.count(Scope(access=everyone)) == 3


def test_replacing_and_removing_a_document_touches_only_its_rows(index) -> None:
    index.replace_document(
        meta("bins.md", title="Bin collections"),
        "h1b",
        [
            ("bins::9", "", "Black bins are emptied on Fridays."),
        ],
    )
    assert search(index, "subscription") == []
    assert search(index, "black bins fridays") == ["bins::9"]
    index.remove_document("parking.md")
    assert search(index, "resident permits") == []
    assert index.indexed() == {"bins.md": "h1b", "hr.md": "h3"}


def test_term_counts_feed_idf_and_can_be_scoped(index) -> None:
    counts, total = index.term_counts(content_terms("garden grievance zebra"))
    assert total == 4
    assert counts == {"garden": 3, "grievanc": 1, "zebra": 0}
    scoped, scoped_total = index.term_counts(["grievanc"], Scope(access=Access(groups=frozenset())))
    assert scoped == {"grievanc": 0} and scoped_total == 3


def test_the_index_persists_and_reopens(index, tmp_path) -> None:
    index.mark_synced(7)
    again = KeywordIndex(tmp_path / "kw.sqlite3")
    assert again.synced_revision == 7
    assert search(again, "garden waste subscription")[0] == "bins::2"


def test_sync_touches_only_documents_whose_hash_changed(index) -> None:
    class Record:
        def __init__(self, document_id: str, doc_hash: str) -> None:
            self.meta, self.doc_hash = meta(document_id, title=document_id), doc_hash

    read = []

    def chunks_of(record: Record) -> list[tuple[str, str, str]]:
        read.append(record.meta.document_id)
        return [(f"{record.meta.document_id}::1", "", "Library opening hours are nine to five.")]

    touched = index.sync(
        {"bins.md": Record("bins.md", "h1"), "library.md": Record("library.md", "h4")}, chunks_of, 3
    )
    assert read == ["library.md"]  # unchanged bins.md is not read again
    assert touched == 3  # library added; parking and hr removed
    assert index.indexed() == {"bins.md": "h1", "library.md": "h4"}
    assert index.synced_revision == 3


def test_odd_terms_cannot_break_the_match_syntax(index) -> None:
    for text in ['"quoted" OR NOT', "o'brien's e-mail", "AND OR NEAR(", "* ^ : -"]:
        index.search(content_terms(text), 5)  # no sqlite3.OperationalError


def test_a_postings_budget_drops_the_most_common_terms_first(tmp_path) -> None:
    index = KeywordIndex(tmp_path / "budget.sqlite3")
    rows = [
        (f"c{i}", "", "council services" + (" zebra crossing" if i < 3 else "")) for i in range(50)
    ]
    index.replace_document(meta("doc.md"), "h", rows)
    terms = content_terms("council zebra crossing")
    unbounded = index.search(terms, 100)
    assert len(unbounded) == 50  # every chunk has 'council'
    bounded = index.search(terms, 100, max_postings=10)
    assert sorted(c for c, _ in bounded) == ["c0", "c1", "c2"]  # 'council' (50 chunks) dropped
    assert [c for c, _ in bounded] == [c for c, _ in unbounded[:3]]
    assert index.search(content_terms("council"), 5, max_postings=10)  # one term is always kept


def test_an_fts5_index_is_migrated_in_place_keeping_its_state(tmp_path) -> None:
    from index.store.keyword_fts5 import Fts5KeywordIndex

    path = tmp_path / "old.sqlite3"
    old = Fts5KeywordIndex(path)
    old.replace_document(
        meta("bins.md", title="Bin collections", groups=("waste",)),
        "h1",
        [
            ("bins::1", "Costs", "The garden waste subscription costs 52 pounds a year."),
        ],
    )
    old.replace_document(
        meta("parking.md", title="Parking", year=2019),
        "h2",
        [
            ("parking::1", "Permits", "Resident parking permits cost 40 pounds a year."),
        ],
    )
    old.mark_synced(5)
    old.set_note("5@x:calibration", "{}", keep_prefix="5@x")
    before = search(old, "pounds subscription")  # type: ignore[arg-type]
    old.close()

    index = KeywordIndex(path)
    assert index.synced_revision == 5 and index.note("5@x:calibration") == "{}"
    assert index.indexed() == {"bins.md": "h1", "parking.md": "h2"}
    assert search(index, "pounds subscription") == before
    assert search(index, "pounds", Scope(access=Access(groups=frozenset()))) == ["parking::1"]
    assert search(index, "pounds", Scope(Filters(year_to=2020))) == ["parking::1"]
    index.clear()  # a rebuild drops the old tables too
    assert search(KeywordIndex(path), "pounds") == []


def test_a_writer_in_another_process_is_seen_by_a_reader_here(index, tmp_path) -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.path.insert(0, '.');"
        "from index.store.keyword import KeywordIndex; from core.types import DocumentMeta;"
        f"KeywordIndex({str(tmp_path / 'kw.sqlite3')!r}).replace_document("
        "DocumentMeta(document_id='new.md', title='Allotments'), 'h9',"
        " [('new::1', '', 'Allotment plots are let every spring.')])"
    )
    assert search(index, "allotment plots") == []
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    assert search(index, "allotment plots") == ["new::1"]
