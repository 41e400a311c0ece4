"""The ingest lock lives in the store: a second process (standing in for a second machine)
writing to the same `chroma run` server waits for it or fails with one line naming the holder,
and a lock whose holder is gone is taken over."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from chroma_probe import collection as chroma_collection
from servers import ROOT, run_cli

from core.errors import IngestError
from index.store.locks import LOCK_KEY, StoreLock
from index.store.state import MemoryTable

pytestmark = pytest.mark.integration

HOLD = r"""
import sys
from core.settings import Settings
from index.store import open_store
store = open_store(Settings(store=sys.argv[1], collection=sys.argv[2]), create=True)
with store.writing():
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
print("released", flush=True)
"""


def hold_lock(store: str, collection: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, store, collection],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def release(process: subprocess.Popen) -> None:
    assert process.stdin is not None
    process.stdin.close()
    assert process.wait(timeout=60) == 0


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bins.md").write_text(
        "# Bins\n\nGarden waste is collected every other Friday from April.\n"
    )
    return docs


def test_a_second_ingest_into_a_server_store_fails_with_the_holder_named(
    chroma_server, folder
) -> None:
    collection = "lock_named"
    holder = hold_lock(chroma_server, collection)
    try:
        done = run_cli(
            "ingest",
            str(folder),
            "--store",
            chroma_server,
            "--collection",
            collection,
            env={"ASSISTANT_INGEST__LOCK_TIMEOUT_S": "1"},
        )
        assert done.returncode == 1
        error = done.stderr.strip().splitlines()[-1]
        assert error.startswith("error: another ingest into this store is still running after 1 s")
        assert f"on {socket.gethostname()} (pid {holder.pid})" in error
        assert "ASSISTANT_INGEST__LOCK_TIMEOUT_S" in error
    finally:
        release(holder)
    done = run_cli(
        "ingest", str(folder), "--store", chroma_server, "--collection", collection, "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["added"] == ["bins.md"]


def test_a_second_ingest_waits_for_the_first_then_runs(chroma_server, folder) -> None:
    collection = "lock_waits"
    holder = hold_lock(chroma_server, collection)
    waiting = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "ingest",
            str(folder),
            "--store",
            chroma_server,
            "--collection",
            collection,
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert waiting.stderr is not None
        line = waiting.stderr.readline()  # it says whom it waits for, and keeps waiting
        assert (
            line.startswith("waiting for another ingest into this store")
            and f"pid {holder.pid}" in line
        )
        assert waiting.poll() is None
    finally:
        release(holder)
    out, _ = waiting.communicate(timeout=300)
    assert waiting.returncode == 0
    assert json.loads(out)["added"] == ["bins.md"]


def test_a_lock_left_by_a_killed_ingest_or_a_dead_machine_is_taken_over(
    chroma_server, folder
) -> None:
    collection = "lock_stale"
    holder = hold_lock(chroma_server, collection)
    os.kill(holder.pid, signal.SIGKILL)  # this host, its process gone: stale at once
    holder.wait(timeout=30)
    fast = {"ASSISTANT_INGEST__LOCK_TIMEOUT_S": "1"}
    done = run_cli(
        "ingest",
        str(folder),
        "--store",
        chroma_server,
        "--collection",
        collection,
        "--json",
        env=fast,
    )
    assert done.returncode == 0, done.stderr

    # Another machine's lock whose heartbeat stopped a minute ago: expired, taken over.
    now = time.time()
    state = chroma_collection(chroma_server, collection + "__state")
    state.upsert(
        ids=[LOCK_KEY],
        embeddings=[[1.0]],
        metadatas=[
            {
                "kind": "lock",
                "token": "t-other",
                "owner": "ops",
                "host": "app-2.council.internal",
                "pid": 4242,
                "since": now - 600,
                "heartbeat": now - 60,
                "expires": now - 30,
            }
        ],
    )
    (folder / "bins.md").write_text("# Bins\n\nGarden waste is collected every Friday.\n")
    done = run_cli(
        "ingest",
        str(folder),
        "--store",
        chroma_server,
        "--collection",
        collection,
        "--json",
        env=fast,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["updated"] == ["bins.md"]
    assert state.get(ids=[LOCK_KEY])["ids"] == []  # released at the end

    # The same lock, live (its heartbeat is fresh): the ingest waits, then names that machine.
    state.upsert(
        ids=[LOCK_KEY],
        embeddings=[[1.0]],
        metadatas=[
            {
                "kind": "lock",
                "token": "t-live",
                "owner": "ops",
                "host": "app-2.council.internal",
                "pid": 4242,
                "since": now,
                "heartbeat": time.time(),
                "expires": time.time() + 3600,
            }
        ],
    )
    done = run_cli(
        "ingest", str(folder), "--store", chroma_server, "--collection", collection, env=fast
    )
    assert done.returncode == 1
    assert "held by ops on app-2.council.internal (pid 4242)" in done.stderr


def test_an_embedded_store_names_the_holder_of_its_file_lock(tmp_path, folder) -> None:
    store = str(tmp_path / "store")
    holder = hold_lock(store, "council_docs")
    try:
        done = run_cli(
            "ingest", str(folder), "--store", store, env={"ASSISTANT_INGEST__LOCK_TIMEOUT_S": "1"}
        )
        assert done.returncode == 1
        error = done.stderr.strip().splitlines()[-1]
        assert "still running after 1 s, held by" in error and f"(pid {holder.pid})" in error
    finally:
        release(holder)


def test_the_holder_renews_its_heartbeat_and_notices_a_takeover() -> None:
    table = MemoryTable()
    lock = StoreLock(table, ttl_s=0.3, timeout_s=1, what="another ingest")
    with lock.held():
        first = table.read(LOCK_KEY)
        assert first is not None
        deadline = time.monotonic() + 30
        while (table.read(LOCK_KEY) or {}).get("heartbeat") == first["heartbeat"]:
            assert time.monotonic() < deadline, "the heartbeat never moved"
            time.sleep(0.05)
        other = StoreLock(table, ttl_s=60, timeout_s=0.5, what="another ingest")
        with pytest.raises(IngestError, match="held by"):
            other.acquire()  # a live lock is not taken
        table.put(LOCK_KEY, {**first, "token": "someone-else", "host": "app-9", "owner": "ops"})
        while lock.lost_to is None:
            assert time.monotonic() < deadline, "the takeover was never noticed"
            time.sleep(0.05)
        with pytest.raises(IngestError, match="lost the store's lock to ops on app-9"):
            lock.check()
