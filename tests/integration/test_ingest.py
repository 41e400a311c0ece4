"""Ingestion against real Chroma and the real embedder: incremental, crash-safe, tolerant of
bad files, and the same through a `chroma run` server.

Corpora are small temp folders: generated files plus copies (made at test time, in tmp) of a
few small real documents from ../shared.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from chroma_probe import chunk_metas as stored_metas
from chroma_probe import collection as chroma_collection
from docgen import make_docx, make_html, make_pdf
from servers import run_cli

from core.settings import DEFAULT_CORPUS, Settings
from index.ingest import ingest
from index.store import open_store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
DEFRA = DEFAULT_CORPUS.parent / "corpora" / "defra-ai-toolkit" / "ai-toolkit"

GARDEN = """---
title: Garden waste collections
publisher: Exampleshire Council
year: 2024
licence: OGL v3
source: https://example.gov.uk/garden-waste
---
# Garden waste

## Collection days

Brown garden waste bins are emptied every second Tuesday from March to November.

## Subscription

The garden waste subscription costs 52 pounds a year and renews each April.
"""


def no_embedding():
    raise AssertionError("nothing changed, so nothing may be embedded")


# A fresh process sees the store as any later user would (no client caches from this one).
CHECK_SCRIPT = """
import json, sys
from collections import Counter
sys.path.insert(0, "tests")
from chroma_probe import collection
from core.settings import Settings
from assistant.pipeline import Assistant
from index.store import open_store
from index.store.base import is_live

settings = Settings(store=sys.argv[1], collection=sys.argv[2])
store = open_store(settings)
records = store.documents()
got = collection(settings.store, settings.collection).get(include=["metadatas"])
metas = got["metadatas"]
owned = Counter((m["document_id"], m["doc_hash"]) for m in metas)
live_ids = [i for i in got["ids"] if is_live(i, records)]
passages = Assistant(settings).retrieve(sys.argv[3], top_n=30).passages
print(json.dumps({
    "recorded": {d: r.chunks for d, r in records.items()},
    "present": {d: owned[(d, r.doc_hash)] for d, r in records.items()},
    "total": len(metas),
    "live_ids": live_ids,
    "retrieved": [[p.chunk_id, p.doc.document_id] for p in passages],
}))
"""


def check_store(store: str, question: str, collection: str = "council_docs") -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT, store, collection, question],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state = json.loads(done.stdout.strip().splitlines()[-1])
    # Every committed document has exactly its recorded chunks; retrieval shows only those.
    assert state["present"] == state["recorded"]
    live = set(state["live_ids"])
    assert len(live) == sum(state["recorded"].values())
    for chunk_id, document_id in state["retrieved"]:
        assert chunk_id in live and document_id in state["recorded"]
    return state


def chunk_metas(settings: Settings) -> list[dict]:
    return stored_metas(settings.store, settings.collection)


def assert_consistent(settings: Settings) -> None:
    records = open_store(settings).documents()
    owned = Counter((m["document_id"], m["doc_hash"]) for m in chunk_metas(settings))
    assert {d: owned[(d, r.doc_hash)] for d, r in records.items()} == {
        d: r.chunks for d, r in records.items()
    }
    assert sum(owned.values()) == sum(r.chunks for r in records.values()), "orphaned chunks left"


@pytest.fixture
def small_corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    (folder / "guidance").mkdir(parents=True)
    (folder / "garden-waste.md").write_text(GARDEN)
    (folder / "parking.txt").write_text(
        "Parking permits\n\nResident parking permits cost 40 pounds and last twelve months.\n"
    )
    (folder / "libraries.html").write_text(
        make_html(
            "Library opening hours",
            "<h1>Libraries</h1><p>Central library opens at 9am on weekdays.</p>",
            author="Exampleshire Council",
        )
    )
    (folder / "highways.docx").write_bytes(
        make_docx("Highways policy", [(1, "Potholes", ["Potholes are repaired within 28 days."])])
    )
    (folder / "local-plan.pdf").write_bytes(
        make_pdf(
            [["Local plan", "New homes need two parking spaces."], ["Street lights are LED."]],
            title="Local Plan 2021",
        )
    )
    shutil.copy(DEFAULT_CORPUS / "techuk-demystifying-the-smart-city-news.md", folder)
    shutil.copy(DEFRA / "guidance" / "security.md", folder / "guidance" / "security.md")
    (folder / ".hidden.md").write_text("# Hidden\n\nEditors' scratch file.")
    (folder / "README.md").write_text("# About this folder\n\nNot a document.")
    return folder


EXPECTED = {
    "garden-waste.md",
    "parking.txt",
    "libraries.html",
    "highways.docx",
    "local-plan.pdf",
    "techuk-demystifying-the-smart-city-news.md",
    "guidance/security.md",
}


def test_incremental_ingest_skips_replaces_and_removes(small_corpus, tmp_path, embedder) -> None:
    settings = Settings(store=str(tmp_path / "store"))
    first = ingest([small_corpus], settings, embedder_factory=lambda: embedder)
    assert set(first.added) == EXPECTED and not first.skipped
    records = open_store(settings).documents()
    assert first.chunks_embedded == sum(records[d].chunks for d in EXPECTED)
    assert_consistent(settings)
    garden_record = records["garden-waste.md"].meta
    assert (garden_record.licence, garden_record.title) == ("OGL v3", "Garden waste collections")

    metas = chunk_metas(settings)
    garden = [m for m in metas if m["document_id"] == "garden-waste.md"]
    assert {m["section"] for m in garden} == {
        "Garden waste > Collection days",
        "Garden waste > Subscription",
    }
    assert {m.get("page") for m in metas if m["document_id"] == "local-plan.pdf"} == {1, 2}
    # Lean chunk metadata: what liveness, filters and a passage need, not a copy of the node.
    lean = {
        "document_id",
        "doc_hash",
        "section",
        "chunk_index",
        "kind",
        "publisher",
        "public",
        "page",
        "year",
    }
    assert all(set(m) <= lean for m in metas), {k for m in metas for k in m} - lean
    assert max(len(json.dumps(m)) for m in metas) < 400
    assert {m["kind"] for m in metas} == {"text"}  # no numbered headings here: no outline chunk

    # Nothing changed: nothing is embedded, and it is quick.
    second = ingest([small_corpus], settings, embedder_factory=no_embedding)
    assert set(second.unchanged) == EXPECTED
    assert second.chunks_embedded == 0 and not (second.added or second.updated or second.removed)
    assert second.seconds < 2.0

    # Change one, delete one, add one.
    old_hash = open_store(settings).documents()["garden-waste.md"].doc_hash
    (small_corpus / "garden-waste.md").write_text(
        GARDEN.replace("every second Tuesday", "every Friday")
    )
    (small_corpus / "parking.txt").unlink()
    (small_corpus / "guidance" / "allotments.md").write_text(
        "# Allotments\n\nAllotment plots cost 30 pounds a year; the waiting list is two years.\n"
    )
    third = ingest([small_corpus], settings, embedder_factory=lambda: embedder)
    assert third.updated == ["garden-waste.md"]
    assert third.removed == ["parking.txt"]
    assert third.added == ["guidance/allotments.md"]
    assert set(third.unchanged) == EXPECTED - {"garden-waste.md", "parking.txt"}
    assert third.chunks_embedded == 3  # the two garden sections and the allotments page

    metas = chunk_metas(settings)
    assert not [m for m in metas if m["document_id"] == "parking.txt"]
    assert not [m for m in metas if m["doc_hash"] == old_hash]
    assert_consistent(settings)
    status = index_status_of(settings)
    assert status["documents"] == len(EXPECTED) and "parking.txt" not in status["paths"]

    # A file named on its own updates that file, under its id, and leaves its siblings alone.
    (small_corpus / "libraries.html").write_text(make_html("Libraries", "<p>Open at 10am.</p>"))
    (small_corpus / "guidance" / "allotments.md").write_text(
        "# Allotments\n\nPlots cost 35 pounds.\n"
    )
    for name in ("libraries.html", "guidance/allotments.md"):
        single = ingest([small_corpus / name], settings, embedder_factory=lambda: embedder)
        assert (single.updated, single.added, single.removed) == ([name], [], []), name
    status = index_status_of(settings)
    assert sorted(status["paths"]) == sorted(
        EXPECTED - {"parking.txt"} | {"guidance/allotments.md"}
    )
    assert_consistent(settings)


def index_status_of(settings: Settings) -> dict:
    from index.status import index_status

    status = index_status(settings)
    status["paths"] = [d["path"] for d in status["document_list"]]
    return status


def test_retrieval_sees_the_new_version_only(small_corpus, tmp_path, embedder) -> None:
    from assistant.pipeline import Assistant

    settings = Settings(store=str(tmp_path / "store"))
    ingest([small_corpus], settings, embedder_factory=lambda: embedder)
    (small_corpus / "garden-waste.md").write_text(
        GARDEN.replace("every second Tuesday", "every Friday morning")
    )
    ingest([small_corpus], settings, embedder_factory=lambda: embedder)
    passages = (
        Assistant(settings, embedder=embedder)
        .retrieve("When are brown garden waste bins emptied?")
        .passages
    )
    garden = [p for p in passages if p.doc.document_id == "garden-waste.md"]
    assert garden and any("every Friday morning" in p.text for p in garden)
    assert not any("second Tuesday" in p.text for p in passages)


def test_orphaned_chunks_are_invisible_and_swept_by_the_next_ingest(
    small_corpus, tmp_path, embedder
) -> None:
    """What a kill between writing chunks and committing the record leaves behind."""
    from assistant.pipeline import Assistant

    settings = Settings(store=str(tmp_path / "store"))
    ingest([small_corpus], settings, embedder_factory=lambda: embedder)
    text = "Garden waste bins are emptied on Christmas Day by reindeer."
    chroma_collection(settings.store).add(
        ids=[f"garden-waste.md::deadbeef0000::{i:05d}" for i in range(2)],
        embeddings=[embedder.get_text_embedding(text)] * 2,
        documents=[text] * 2,
        metadatas=[{"document_id": "garden-waste.md", "doc_hash": "deadbeef" * 8, "section": ""}]
        * 2,
    )

    passages = (
        Assistant(settings, embedder=embedder)
        .retrieve("When are garden waste bins emptied on Christmas Day?", top_n=20)
        .passages
    )
    assert passages and not any("reindeer" in p.text for p in passages)

    # The last writer ended cleanly, so the next ingest does not look for orphans...
    clean = ingest([small_corpus], settings, embedder_factory=no_embedding)
    assert clean.orphans_removed == 0 and clean.chunks_embedded == 0
    # ...but a writer killed part way leaves the store's journal saying "running".
    chroma_collection(settings.store, "council_docs__state").update(
        ids=["journal"],
        metadatas=[{"kind": "journal", "state": "running", "by": "a killed ingest", "at": ""}],
    )
    again = ingest([small_corpus], settings, embedder_factory=no_embedding)
    assert again.orphans_removed == 2 and again.chunks_embedded == 0
    assert_consistent(settings)


def test_bad_files_are_skipped_with_reasons_and_nothing_is_lost(
    small_corpus, tmp_path, embedder
) -> None:
    store = str(tmp_path / "store")
    settings = Settings(store=store)
    ingest([small_corpus], settings, embedder_factory=lambda: embedder)

    bad = {
        "broken.pdf": (make_pdf([["A page of text."]])[:200], "corrupt or unreadable PDF"),
        "empty.md": (b"", "empty"),
        "photo.pdf": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + os.urandom(2048), "not a PDF"),
        "budget.xlsx": (b"PK\x03\x04" + os.urandom(512), "unsupported file type"),
        "latin1.txt": ("Café prices: £3".encode("latin-1"), "UTF-8"),
        # An indexed document replaced by junk: skipped, and its indexed version kept.
        "parking.txt": (b"\x00\x01\x02 binary junk \x00", "binary"),
    }
    for name, (data, _) in bad.items():
        (small_corpus / name).write_bytes(data)
    with open(small_corpus / "huge.txt", "wb") as handle:  # sparse: 50 MB without writing it
        handle.truncate(50 * 1024 * 1024)
    (small_corpus / "guidance" / "allotments.md").write_text(
        "# Allotments\n\nPlots cost 30 pounds a year.\n"
    )

    report = ingest([small_corpus], settings, embedder_factory=lambda: embedder).to_dict()
    reasons = {s["path"]: s["reason"] for s in report["skipped"]}
    assert set(reasons) == set(bad) | {"huge.txt"}
    for name, (_, expected) in bad.items():
        assert expected in reasons[name], (name, reasons[name])
    assert "50.0 MB is over the 25 MB limit" in reasons["huge.txt"]
    assert all("\n" not in r for r in reasons.values())
    assert report["partial"] is True
    assert report["added"] == ["guidance/allotments.md"]
    assert report["removed"] == [] and report["updated"] == []
    assert set(report["unchanged"]) == EXPECTED - {"parking.txt"}

    # The bad files stay bad: the next runs skip them again without loading a model.
    again = ingest([small_corpus], settings, embedder_factory=no_embedding)
    assert {s["path"] for s in again.skipped} == set(reasons) and again.chunks_embedded == 0
    done = run_cli("ingest", str(small_corpus), "--store", store, "--json")
    assert done.returncode == 3, done.stderr
    assert json.loads(done.stdout)["skipped"] == report["skipped"]
    assert done.stderr == ""  # the reasons are in the report; no library chatter

    status = json.loads(run_cli("status", "--store", store, "--json").stdout)
    assert status["documents"] == len(EXPECTED) + 1
    assert "parking.txt" in [d["path"] for d in status["document_list"]]


def test_a_skipped_file_is_remembered_until_it_or_the_limits_change(tmp_path, embedder) -> None:
    from core.settings import ParseLimits

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bins.md").write_text("# Bins\n\nGarden waste is collected every other Friday.\n")
    line = " ".join(
        f"Permit {i} for street {i * 7 % 101} costs {i % 90} pounds." for i in range(1500)
    )
    (folder / "one-line.md").write_text(
        "# Permits\n\n" + line + "\n"
    )  # one line of 60,000 characters
    settings = Settings(store=str(tmp_path / "store"))
    first = ingest([folder], settings, embedder_factory=lambda: embedder)
    [skip] = first.skipped
    assert skip["path"] == "one-line.md" and first.parser["files"] == 2

    again = ingest([folder], settings, embedder_factory=no_embedding)
    assert again.skipped == first.skipped and again.parser["files"] == 0  # not parsed again
    assert again.partial

    wider = settings.model_copy(
        update={
            "ingest": settings.ingest.model_copy(
                update={"limits": ParseLimits(max_line_chars=100_000)}
            )
        }
    )
    retried = ingest([folder], wider, embedder_factory=lambda: embedder)
    assert (
        retried.parser["files"] == 1 and retried.added == ["one-line.md"] and not retried.skipped
    ), retried.skipped
    assert open_store(settings).skipped_files() == {}  # parsed now: forgotten

    (folder / "broken.md").write_bytes(b"\x00\x01 binary \x00")
    assert [
        s["path"] for s in ingest([folder], settings, embedder_factory=no_embedding).skipped
    ] == ["broken.md"]
    (folder / "broken.md").write_text(
        "# Parking\n\nPermits cost 40 pounds.\n"
    )  # changed: tried again
    fixed = ingest([folder], settings, embedder_factory=lambda: embedder)
    assert fixed.added == ["broken.md"] and not fixed.skipped
    (folder / "broken.md").write_bytes(b"\x00\x01 binary \x00")
    ingest([folder], settings, embedder_factory=no_embedding)
    (folder / "broken.md").unlink()  # gone from the folder: forgotten too
    ingest([folder], settings, embedder_factory=no_embedding)
    assert open_store(settings).skipped_files() == {}


def test_ingest_killed_part_way_leaves_a_consistent_index_and_the_next_run_finishes(
    tmp_path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    names = [
        "govuk-cloud-guide-public-sector.md",
        "govuk-service-standard.md",
        "techuk-demystifying-the-smart-city-news.md",
    ]
    for name in names:
        shutil.copy(DEFAULT_CORPUS / name, corpus)
    store = str(tmp_path / "store")
    # Small groups commit every few chunks; one thread makes it last long enough.
    env = {
        "ASSISTANT_INGEST__EMBED_BATCH_SIZE": "4",
        "ASSISTANT_INGEST__COMMIT_GROUP_CHUNKS": "8",
        "OMP_NUM_THREADS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", str(corpus), "--store", store, "--json"],
        cwd=ROOT,
        env=dict(os.environ, **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    committed = poll_committed(Path(store), process)
    assert process.poll() is None, "the ingest finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert 1 <= committed < len(names)

    state = check_store(store, "What is the public sector cloud guide about?")
    assert 1 <= len(state["recorded"]) < len(names)
    assert state["retrieved"], "the index must still answer after the kill"
    status = run_cli("status", "--store", store, "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["documents"] == len(
        state["recorded"]
    )

    done = run_cli("ingest", str(corpus), "--store", store, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert set(report["unchanged"]) == set(state["recorded"])
    assert set(report["added"]) == set(names) - set(state["recorded"])
    assert report["orphans_removed"] == state["total"] - sum(state["recorded"].values())
    final = check_store(store, "What does the Service Standard say about accessibility?")
    assert set(final["recorded"]) == set(names)
    assert final["total"] == sum(final["recorded"].values())
    assert any(doc == "govuk-service-standard.md" for _, doc in final["retrieved"])


def poll_committed(store: Path, process: subprocess.Popen, timeout: float = 240) -> int:
    """Documents committed so far, polled until the first commit (read-only, via Chroma)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    deadline = time.monotonic() + timeout
    client = None
    while time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
        if not (store / "chroma.sqlite3").exists():
            continue
        try:
            client = client or chromadb.PersistentClient(
                path=str(store), settings=ChromaSettings(anonymized_telemetry=False)
            )
            count = client.get_collection("council_docs__docs").count()
        except Exception:  # the collection is being created
            continue
        if count:
            return count
    return 0


def test_http_store_ingest_status_and_ask(chroma_server, small_corpus) -> None:
    args = ["--store", chroma_server, "--collection", "http_ingest"]
    done = run_cli("ingest", str(small_corpus), *args, "--json")
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)["added"]) == EXPECTED

    status = json.loads(run_cli("status", *args, "--json").stdout)
    assert status["store"] == chroma_server
    assert status["documents"] == len(EXPECTED) and status["chunks"] > len(EXPECTED)
    assert status["embed_model"] == Settings().embed_model

    again = json.loads(run_cli("ingest", str(small_corpus), *args, "--json").stdout)
    assert again["chunks_embedded"] == 0 and set(again["unchanged"]) == EXPECTED

    asked = run_cli("ask", "How much does the garden waste subscription cost?", *args, "--json")
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert not answer["refused"], answer
    assert answer["citations"][0]["document_id"] == "garden-waste.md"
    assert "52 pounds" in answer["answer"]
