"""The Chroma store for real: embedded and server, filters in the query, access groups,
another process's ingest seen without a restart, and a keyword index built on a new machine."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from servers import run_cli

from assistant.pipeline import Assistant
from core.settings import Settings
from core.types import Access, Filters
from index.ingest import ingest
from index.status import index_status
from index.store import Scope, open_store

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
HR = Access(user="hr-officer", groups=frozenset({"hr"}))
STAFF = Access(user="officer", groups=frozenset({"staff"}))


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


@pytest.fixture
def council(tmp_path: Path) -> Path:
    folder = tmp_path / "council"
    write(
        folder,
        "waste/garden.md",
        "---\ntitle: Garden waste\npublisher: Exampleshire Council\nyear: 2024\n---\n"
        "# Garden waste\n\nThe garden waste subscription costs 52 pounds a year and renews each April.\n",
    )
    write(
        folder,
        "parking/permits.md",
        "---\ntitle: Parking permits\npublisher: Northborough Council\nyear: 2019\n---\n"
        "# Permits\n\nResident parking permits cost 40 pounds a year and last twelve months.\n",
    )
    write(folder, "hr/.groups", "hr\n")
    write(
        folder,
        "hr/grievance.md",
        "---\ntitle: Grievance procedure for Zanzibar depot\n---\n"
        "# Grievances\n\nGrievance hearings at the Zanzibar depot are chaired by the head of HR.\n",
    )
    write(
        folder,
        "finance/audit.md",
        "---\ntitle: Internal audit plan\ngroups: [finance, audit]\n---\n"
        "# Audit\n\nThe internal audit plan covers payroll controls and procurement cards.\n",
    )
    return folder


def test_access_groups_from_folders_and_front_matter_keep_restricted_documents_out_of_reach(
    council, tmp_path, embedder
) -> None:
    settings = Settings(store=str(tmp_path / "store"))
    ingest([council], settings, embedder_factory=lambda: embedder)
    records = open_store(settings).documents()
    assert records["hr/grievance.md"].meta.groups == ("hr",)
    assert records["finance/audit.md"].meta.groups == ("audit", "finance")
    assert records["waste/garden.md"].meta.groups == ()

    assistant = Assistant(settings, embedder=embedder)
    question = "Who chairs grievance hearings at the Zanzibar depot?"
    allowed = assistant.ask(question, access=HR)
    assert not allowed.refused and allowed.citations[0].doc.document_id == "hr/grievance.md"
    for access in (STAFF, Access(user="anon", groups=frozenset())):
        answer = assistant.ask(question, access=access)
        shown = repr(answer.to_dict())
        assert "grievance.md" not in shown and "Grievance procedure" not in shown
        assert "chaired by the head of HR" not in shown
        assert answer.refused
        # The refusal must not hint that some document mentions the name.
        assert answer.evidence["unknown_names"] == ["Zanzibar"]
        status = index_status(settings, access=access)
        assert status["documents"] == 2 and "hr/grievance.md" not in repr(status)
    assert index_status(settings, access=Access(groups=frozenset({"audit"})))["documents"] == 3
    assert index_status(settings)["documents"] == 4


def test_filters_give_the_same_answer_whichever_way_the_store_applies_them(
    council, tmp_path, embedder
) -> None:
    """Over-fetching and checking, or a Chroma `where` when too few nearest chunks qualify."""
    settings = Settings(store=str(tmp_path / "store"))
    ingest([council], settings, embedder_factory=lambda: embedder)
    store = open_store(settings)
    vector = embedder.get_query_embedding("How much does a permit cost?")
    store.documents()
    for scope in (
        Scope(Filters(publisher="exampleshire")),
        Scope(Filters(documents=("parking/permits.md",))),
        Scope(Filters(year_to=2020)),
        Scope(access=STAFF),
    ):
        store.dense_overfetch = 4
        overfetched = store.dense_search(vector, 2, scope)
        store.dense_overfetch = 1  # fewer than k in scope among the nearest: the where path
        pushed = store.dense_search(vector, 2, scope)
        assert [c for c, _ in overfetched] == [c for c, _ in pushed], scope
        records = store.documents()
        assert all(scope.admits(records[c.split("::")[0]].meta) for c, _ in pushed)


READER = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from core.settings import Settings
from assistant.pipeline import Assistant
assistant = Assistant(Settings(store=sys.argv[2]))
print("ready", flush=True)
errors, answered, seen_new = [], 0, False
deadline = time.time() + float(sys.argv[3])
while time.time() < deadline:
    try:
        answer = assistant.ask("When do library opening hours change in winter?")
        answered += 1
        seen_new = seen_new or any(c.doc.document_id == "libraries.md" for c in answer.citations)
    except Exception as exc:
        errors.append(repr(exc)[:300])
    if seen_new and sys.stdin.readline().strip() == "stop":
        break
print(json.dumps({"errors": errors, "answered": answered, "seen_new": seen_new}), flush=True)
"""


def test_a_server_process_sees_a_cli_ingest_without_restarting(council, tmp_path, embedder) -> None:
    """The embedded store: another process's ingest must neither break a reader nor stay
    invisible to it (chromadb keeps the vector index of the open client in memory)."""
    import json

    store = str(tmp_path / "store")
    assert run_cli("ingest", str(council), "--store", store).returncode == 0
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(ROOT), store, "240"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout.readline().strip() == "ready"
    write(
        council,
        "libraries.md",
        "---\ntitle: Library opening hours\n---\n# Hours\n\n"
        "Library opening hours change in winter: branches close at 5pm from November to February.\n",
    )
    write(
        council,
        "waste/garden.md",
        "# Garden waste\n\nThe garden waste subscription now costs 60 pounds.\n",
    )
    (council / "parking" / "permits.md").unlink()
    done = run_cli("ingest", str(council), "--store", store, "--json")
    assert done.returncode == 0, done.stderr
    reader.stdin.write("stop\n" * 1000)
    reader.stdin.flush()
    out, _ = reader.communicate(timeout=300)
    state = json.loads(out.strip().splitlines()[-1])
    assert state["errors"] == [] and state["answered"] > 0
    assert state["seen_new"], "the running process never answered from the new document"


def test_questions_keep_working_while_this_process_ingests(council, tmp_path, embedder) -> None:
    settings = Settings(store=str(tmp_path / "store"))
    ingest([council], settings, embedder_factory=lambda: embedder)
    assistant = Assistant(settings, embedder=embedder)
    errors: list[str] = []
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            try:
                assistant.ask("How much is the garden waste subscription?")
            except Exception as exc:  # pragma: no cover - the assertion below reports it
                errors.append(repr(exc))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for version in range(3):
            write(
                council,
                "waste/garden.md",
                f"# Garden waste\n\nThe subscription costs {60 + version} pounds.\n",
            )
            ingest([council], settings, embedder_factory=lambda: embedder)
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert errors == []
    answer = assistant.ask("How much is the garden waste subscription?")
    assert "62 pounds" in answer.answer


def test_a_new_app_machine_builds_the_keyword_index_from_the_server(
    chroma_server, council, tmp_path, embedder
) -> None:
    first = Settings(store=chroma_server, collection="kw_sync", keyword_dir=tmp_path / "machine-a")
    ingest([council], first, embedder_factory=lambda: embedder)
    second = Settings(store=chroma_server, collection="kw_sync", keyword_dir=tmp_path / "machine-b")
    store = open_store(second)
    hits = store.keyword_search(["subscript"], 5, Scope())
    assert hits and hits[0][0].startswith("waste/garden.md::")
    assert (
        tmp_path / "machine-b" / chroma_server.split("//")[1].replace(":", "-") / "kw_sync.sqlite3"
    ).is_file()
    # An ingest on machine A is picked up by machine B's index at its next question.
    write(council, "libraries.md", "# Hours\n\nLibrary opening hours change in winter.\n")
    ingest([council], first, embedder_factory=lambda: embedder)
    store.documents()
    assert store.keyword_search(["winter"], 5, Scope())[0][0].startswith("libraries.md::")


def test_status_of_a_stopped_server_is_a_clear_store_error(tmp_path) -> None:
    from servers import free_port

    done = run_cli("status", "--store", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1 and "document store is unavailable" in done.stderr
