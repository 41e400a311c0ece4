"""Fusion, liveness, filters, access and refusal routes over the in-memory store: no Chroma,
no model (a bag-of-words embedder), so each rule gets a fast test of its own."""

from __future__ import annotations

import numpy as np
import pytest
from fakes import HashingEmbedder, commit

from assistant.pipeline import Assistant
from assistant.retrieval import HybridRetriever
from core.settings import Settings
from core.types import Access, Filters
from index.store import InMemoryStore, Scope, StoredChunk, chunk_id_for

pytestmark = pytest.mark.unit

HR = Access(user="hr-officer", groups=frozenset({"hr"}))
STAFF = Access(user="officer", groups=frozenset({"staff"}))


@pytest.fixture
def store() -> InMemoryStore:
    store = InMemoryStore()
    commit(
        store,
        "bins.md",
        [
            "Brown garden waste bins are emptied every second Tuesday from March to November.",
            "The garden waste subscription costs 52 pounds a year and renews each April.",
        ],
        title="Garden waste collections",
        publisher="Exampleshire Council",
        year=2024,
    )
    commit(
        store,
        "parking.md",
        [
            "Resident parking permits cost 40 pounds a year and last twelve months.",
        ],
        title="Parking permits",
        publisher="Northborough City Council",
        year=2019,
    )
    commit(
        store,
        "hr/grievance.md",
        [
            "Grievance hearings about garden leave are chaired by the head of HR.",
        ],
        title="Grievance procedure",
        publisher="Exampleshire Council",
        year=2024,
        groups=("hr",),
    )
    store.finish_ingest("hashing", changed=True)
    return store


def retriever(store: InMemoryStore) -> HybridRetriever:
    return HybridRetriever(Settings(store="memory"), store, HashingEmbedder())


def test_dense_and_keyword_hits_are_fused_and_reranked(store) -> None:
    got = retriever(store).retrieve("How much is the garden waste subscription?")
    assert got.passages[0].doc.document_id == "bins.md"
    assert "52 pounds" in got.passages[0].text
    assert got.passages[0].doc.title == "Garden waste collections"  # from the manifest record
    assert 0 < got.query_coverage <= 1 and got.top_dense > 0
    assert set(got.timings_ms) >= {"manifest", "embed_query", "dense", "bm25", "fetch", "rerank"}


def test_a_new_version_replaces_the_old_at_its_commit(store) -> None:
    commit(
        store,
        "bins.md",
        ["Garden waste bins are now emptied every Friday."],
        version="2",
        title="Garden waste collections",
    )
    texts = [
        p.text for p in retriever(store).retrieve("When are garden waste bins emptied?").passages
    ]
    assert any("every Friday" in t for t in texts)
    assert not any("second Tuesday" in t for t in texts)


def test_orphaned_chunks_are_never_returned_and_repair_removes_them(store) -> None:
    """What a kill between writing a new version's chunks and committing its record leaves."""
    orphan = "Garden waste bins are emptied by reindeer on Christmas Day."
    chunk_id = chunk_id_for("bins.md", "deadbeef" * 8, 0)
    vector = np.asarray(HashingEmbedder().get_text_embedding(orphan))
    store._chunks[chunk_id] = (StoredChunk(chunk_id, "bins.md", "deadbeef" * 8, orphan), vector)
    texts = [
        p.text for p in retriever(store).retrieve("Are bins emptied on Christmas Day?").passages
    ]
    assert texts and orphan not in texts
    assert store.repair() == 1 and chunk_id not in store._chunks


def test_filters_are_applied_by_the_store(store) -> None:
    r = retriever(store)
    only = r.retrieve("How much does it cost a year?", Filters(publisher="northborough")).passages
    assert only and {p.doc.document_id for p in only} == {"parking.md"}
    recent = r.retrieve("How much does it cost a year?", Filters(year_from=2020)).passages
    assert recent and all(p.doc.year and p.doc.year >= 2020 for p in recent)
    one = r.retrieve("pounds a year", Filters(documents=("bins.md",))).passages
    assert {p.doc.document_id for p in one} == {"bins.md"}


def test_a_filter_matching_no_document_is_named_in_the_refusal(store) -> None:
    answer = Assistant(Settings(store="memory"), embedder=HashingEmbedder(), store=store).ask(
        "How much is the garden waste subscription?", filters=Filters(publisher="Westvale")
    )
    assert answer.refused
    assert answer.refusal_reason == "no indexed document matches publisher 'Westvale'"


def test_restricted_documents_reach_only_their_group(store) -> None:
    r = retriever(store)
    question = "Who chairs grievance hearings about garden leave?"
    for access in (STAFF, Access(groups=frozenset())):
        ids = {p.doc.document_id for p in r.retrieve(question, access=access).passages}
        assert "hr/grievance.md" not in ids
    assert r.retrieve(question, access=HR).passages[0].doc.document_id == "hr/grievance.md"
    assert r.retrieve(question).passages[0].doc.document_id == "hr/grievance.md"  # unrestricted


def test_names_only_a_restricted_document_mentions_look_unknown_to_others(store) -> None:
    """'the documents never mention X' must not differ for X found only where you cannot look."""
    r = retriever(store)
    assert "HR" not in r.retrieve("What does the head of HR decide?", access=HR).unknown_names
    assert r.retrieve("What does the head of HR decide?", access=STAFF).unknown_names == ("HR",)


def test_scope_rule_matches_the_documents_meta(store) -> None:
    meta = store.documents()["hr/grievance.md"].meta
    assert not Scope(access=STAFF).admits(meta) and Scope(access=HR).admits(meta)
    assert Scope().everything and Scope().admits(meta)
    assert not Scope(Filters(year_to=2020)).admits(meta)


def test_a_store_that_stops_answering_raises_store_error(store) -> None:
    from core.errors import StoreError

    store.unavailable = True
    with pytest.raises(StoreError, match="unavailable"):
        retriever(store).retrieve("garden waste")


def test_the_refusal_calibration_is_saved_beside_the_store_until_the_next_ingest(
    store, monkeypatch
) -> None:
    """A restart reads the saved calibration instead of re-running its probe questions."""
    import assistant.pipeline as pipeline
    from assistant.refusal import CalibrationCache

    def fresh_assistant() -> Assistant:
        monkeypatch.setattr(pipeline, "CALIBRATIONS", CalibrationCache())  # as a new process
        return Assistant(Settings(store="memory"), embedder=HashingEmbedder(), store=store)

    first = fresh_assistant().calibration()
    assert first is not None and first.probes > 0

    calls = []
    monkeypatch.setattr(HybridRetriever, "retrieve", lambda self, *a, **k: calls.append(a))
    assert fresh_assistant().calibration() == first
    assert calls == []  # nothing retrieved: read back from the store

    commit(store, "waste.md", ["Bulky waste collections are booked online."], title="Bulky waste")
    store.finish_ingest("hashing", changed=True)
    assert store.load_note("anything") is None
    monkeypatch.undo()
    again = fresh_assistant()
    again.calibration()
    assert (
        len([r for r in store.keyword._db.execute("SELECT key FROM state WHERE key LIKE 'note:%'")])
        == 1
    )


def test_a_hyphenated_compound_of_known_words_is_not_an_unknown_name(store) -> None:
    r = retriever(store)
    assert r.retrieve("Is a Garden-waste subscription refundable?").unknown_names == ()
    assert (
        r.retrieve("Is a Garden-waste subscription refundable?", access=STAFF).unknown_names == ()
    )
    assert r.retrieve("Is an Anytown-waste subscription refundable?").unknown_names == (
        "Anytown-waste",
    )


def test_outlines_are_the_chunks_the_record_names_wherever_they_sit() -> None:
    """A document's outline chunks are found by the ids its record names and their kind, not
    by their position or their section's wording."""
    store = InMemoryStore()
    steps = [f"Step {i} of the guide explains one more thing about recycling." for i in range(12)]
    outline = ("Guide > Steps", "The headings of Guide list 3 steps:\n- Step 1\n- Step 2\n- Step 3")
    record = commit(store, "guide.md", steps, title="Guide", outlines=(outline,))
    text = ["A text chunk whose section merely says Outline."]
    commit(store, "other.md", text, sections=("Other > Outline: not really",), title="Other")
    store.finish_ingest("hashing", changed=True)
    assert len(record.outline_chunks) == 1 and record.chunks == 13
    found = retriever(store).outlines(["guide.md", "other.md"])
    assert [p.chunk_id for p in found] == list(record.outline_chunks)
    assert found[0].text.startswith("The headings of Guide list 3 steps")


def test_calibration_headings_leave_outline_chunks_out() -> None:
    store = InMemoryStore()
    outline = ("Guide > Steps", "The headings of Guide list 3 steps:")
    text = ["Recycling is collected on Mondays."]
    commit(
        store, "guide.md", text, sections=("Guide > Recycling",), outlines=(outline,), title="Guide"
    )
    store.finish_ingest("hashing", changed=True)
    assert retriever(store).section_headings(per_document=2) == ["Guide > Recycling"]
