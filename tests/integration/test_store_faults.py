"""When the document store fails: a `chroma run` server stopped or hung, a full or read-only
disk. Users get a clear "the document store is unavailable" in every API's own shape, never a
traceback or a wait past the timeout, and the app recovers by itself when the store is back."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
from servers import ChromaServer, LiveServer, free_port, run_cli

from core.settings import Settings, UISettings

pytestmark = pytest.mark.integration

QUESTION = "What does techUK say about smart cities?"
DOC = "techuk-demystifying-the-smart-city-news.md"
TOKEN = "faults-admin-token"
UNAVAILABLE = "the document store"


def app_settings(store: str, tmp: Path) -> Settings:
    ui = UISettings(
        admin_token=TOKEN,
        rate_limit_per_minute=1000,
        feedback_db=tmp / "app" / "feedback.sqlite3",
        port=free_port(),
    )
    return Settings(store=store, store_timeout_s=3, ui=ui)


def serve(settings: Settings, embedder) -> LiveServer:
    from assistant.pipeline import Assistant
    from ui.app import create_app

    return LiveServer(create_app(settings, Assistant(settings, embedder=embedder)))


@pytest.fixture
def chroma(tmp_path, corpus_dir, embedder) -> Iterator[ChromaServer]:
    from index.ingest import ingest

    server = ChromaServer(tmp_path / "chroma").start()
    ingest([corpus_dir / DOC], Settings(store=server.url), embedder_factory=lambda: embedder)
    try:
        yield server
    finally:
        server.stop()


def assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/json")
    detail = response.json()["detail"]
    assert UNAVAILABLE in detail and "unavailable" in detail and "Traceback" not in detail


def test_a_stopped_store_is_a_clear_error_everywhere_and_the_app_recovers(
    chroma, embedder, tmp_path
) -> None:
    with (
        serve(app_settings(chroma.url, tmp_path), embedder) as live,
        httpx.Client(base_url=live.url, timeout=60) as http,
    ):
        ai = openai.OpenAI(base_url=f"{live.url}/v1", api_key="x", max_retries=0)
        chat = {"model": "m", "messages": [{"role": "user", "content": QUESTION}]}
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
        assert http.get("/healthz").json()["status"] == "ok"

        chroma.stop()
        assert_unavailable(http.post("/api/ask", json={"question": QUESTION}))
        assert_unavailable(http.get("/api/documents"))
        health = http.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "error"
        assert "unavailable" in health.json()["detail"]
        for stream in (False, True):
            with pytest.raises(openai.InternalServerError) as caught:
                ai.chat.completions.create(**chat, stream=stream)
            assert caught.value.status_code == 503 and UNAVAILABLE in caught.value.message
            assert caught.value.code == "store_unavailable"
        upload = http.post(
            "/api/documents",
            files={"files": ("notes.md", b"# Notes\n\nBins go out on Tuesday.\n")},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert_unavailable(upload)

        chroma.start()  # same port, same data: no restart of the app
        answer = http.post("/api/ask", json={"question": QUESTION})
        assert answer.status_code == 200 and DOC in {
            c["document_id"] for c in answer.json()["citations"]
        }
        assert http.get("/healthz").json()["status"] == "ok"
        assert (
            list(ai.chat.completions.create(**chat, stream=True))[-1].choices[0].finish_reason
            == "stop"
        )


def test_a_hung_store_times_out_and_recovers(chroma, embedder, tmp_path) -> None:
    with (
        serve(app_settings(chroma.url, tmp_path), embedder) as live,
        httpx.Client(base_url=live.url, timeout=120) as http,
    ):
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
        chroma.pause()  # accepts connections, never answers
        try:
            started = time.monotonic()
            assert_unavailable(http.post("/api/ask", json={"question": QUESTION}))
            assert time.monotonic() - started < 20  # store_timeout_s is 3 (a couple of calls)
            assert http.get("/healthz").status_code == 503
        finally:
            chroma.resume()
        assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 64 MB tmpfs of our own, to fill up or make read-only (needs root, as CI runs)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (not root?): {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int = 30_000) -> Path:
    import os
    import uuid

    stats = os.statvfs(disk)
    filler = disk / f"filler-{uuid.uuid4().hex[:8]}"
    filler.write_bytes(b"\0" * max(0, stats.f_bavail * stats.f_frsize - leave))
    return filler


def one_line_error(done: subprocess.CompletedProcess, *words: str) -> str:
    """Exit 1 and one error line (serve's INFO log lines aside), never a traceback."""
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = [
        line for line in done.stderr.splitlines() if line.strip() and not line.startswith("INFO ")
    ]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in done.stderr, (
        done.stderr
    )
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_a_full_disk_during_ingest_is_one_line_and_loses_nothing(
    small_disk, corpus_dir, embedder
) -> None:
    from index.ingest import ingest

    store = str(small_disk / "store")
    ingest([corpus_dir / DOC], Settings(store=store), embedder_factory=lambda: embedder)
    filler = fill(small_disk)
    one_line_error(run_cli("ingest", str(corpus_dir), "--store", store), UNAVAILABLE, "is full")

    filler.unlink()
    status = run_cli("status", "--store", store, "--json")
    assert status.returncode == 0 and f'"{DOC}"' in status.stdout  # the committed document is whole
    again = run_cli("ingest", str(corpus_dir), "--store", store, "--json")
    assert again.returncode == 0, again.stderr
    assert '"documents": 12' in run_cli("status", "--store", store, "--json").stdout


def test_a_read_only_store_is_a_clear_error_for_every_command(
    small_disk, corpus_dir, tmp_path
) -> None:
    """Built by a separate process (a read-only remount needs no file open for writing)."""
    store = str(small_disk / "store")
    assert run_cli("ingest", str(corpus_dir / DOC), "--store", store).returncode == 0
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    try:
        for command in (["status"], ["ask", QUESTION], ["ingest", str(corpus_dir)]):
            one_line_error(run_cli(*command, "--store", store), UNAVAILABLE, "read-only")
        serve = run_cli(
            "serve",
            "--store",
            store,
            "--port",
            str(free_port()),
            env={"ASSISTANT_UI__FEEDBACK_DB": str(tmp_path / "feedback.sqlite3")},
        )
        one_line_error(serve, UNAVAILABLE, "read-only")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert run_cli("status", "--store", store).returncode == 0


def test_a_full_disk_under_a_running_app(small_disk, corpus_dir, embedder) -> None:
    """Questions still answer (they only read); writes fail with a clear reason; freeing the
    disk is enough for them to work again."""
    store = str(small_disk / "store")
    assert run_cli("ingest", str(corpus_dir / DOC), "--store", store).returncode == 0
    with (
        serve(app_settings(store, small_disk), embedder) as live,
        httpx.Client(base_url=live.url, timeout=120) as http,
    ):
        auth = {"Authorization": f"Bearer {TOKEN}"}
        note = {
            "files": (
                "notes.md",
                b"# Bin days\n\nGrey bins are collected every Tuesday morning.\n" * 50,
            )
        }
        answer = http.post("/api/ask", json={"question": QUESTION})
        assert answer.status_code == 200
        filler = fill(small_disk, leave=0)
        try:
            assert http.post("/api/ask", json={"question": QUESTION}).status_code == 200
            upload = http.post("/api/documents", files=note, headers=auth)
            assert upload.status_code in (503, 507), upload.text
            assert "full" in upload.json()["detail"] or "space" in upload.json()["detail"]
            feedback = http.post(
                "/api/feedback", json={"answer_id": answer.json()["answer_id"], "rating": "up"}
            )
            assert feedback.status_code == 503 and "full" in feedback.json()["detail"], (
                feedback.text
            )
        finally:
            filler.unlink()
        assert http.post("/api/documents", files=note, headers=auth).status_code == 200
        assert (
            http.post(
                "/api/feedback", json={"answer_id": answer.json()["answer_id"], "rating": "up"}
            ).status_code
            == 200
        )


def test_read_only_commands_work_on_a_full_disk(small_disk, corpus_dir) -> None:
    """Something else filled the store's disk: `status` and `ask` only read, so they still
    work (the store gives up its space reserve to open); an ingest fails in one line; once
    space is free the reserve is set aside again."""
    import json

    from index.store.reserve import RESERVE_NAME

    store = small_disk / "store"
    assert run_cli("ingest", str(corpus_dir / DOC), "--store", str(store)).returncode == 0
    assert (store / RESERVE_NAME).is_file()
    filler = fill(small_disk, leave=0)
    try:
        status = run_cli("status", "--store", str(store), "--json")
        assert status.returncode == 0, status.stderr
        assert DOC in {d["document_id"] for d in json.loads(status.stdout)["document_list"]}
        assert "reserve was released" in status.stderr and "Traceback" not in status.stderr
        answer = run_cli("ask", QUESTION, "--store", str(store), "--json")
        assert answer.returncode == 0, answer.stderr
        assert DOC in {c["document_id"] for c in json.loads(answer.stdout)["citations"]}
        more = fill(small_disk, leave=0)  # the reserve's space taken too: writing fails clearly
        try:
            one_line_error(
                run_cli("ingest", str(corpus_dir), "--store", str(store)), UNAVAILABLE, "is full"
            )
        finally:
            more.unlink()
    finally:
        filler.unlink()
    assert run_cli("status", "--store", str(store)).returncode == 0
    assert (store / RESERVE_NAME).is_file()
