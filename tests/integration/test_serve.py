"""``python -m assistant serve`` as a real process: a busy port fails at once with its own exit
code, and SIGTERM stops the server within seconds, even in the middle of an upload's ingest."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from servers import ROOT, free_port, run_cli, stop_process

pytestmark = pytest.mark.integration

TOKEN = "serve-test-admin-token"


@pytest.fixture(scope="module")
def small_store(tmp_path_factory, corpus_dir, embedder) -> str:
    from core.settings import Settings
    from index.ingest import ingest

    store = str(tmp_path_factory.mktemp("serve-store") / "store")
    ingest(
        [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
        Settings(store=store),
        embedder_factory=lambda: embedder,
    )
    return store


def test_a_busy_port_fails_at_once_with_exit_code_4(small_store) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("serve", "--store", small_store, "--port", str(port), timeout=120)
    assert done.returncode == 4, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert lines == [lines[-1]] and lines[0].startswith("error: "), done.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in lines[0] and "--port" in lines[0]
    assert "loading models" not in done.stderr  # checked before anything slow


def start_server(store: str, tmp: Path, port: int, *extra: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        ASSISTANT_UI__ADMIN_TOKEN=TOKEN,
        ASSISTANT_UI__FEEDBACK_DB=str(tmp / "feedback.sqlite3"),
        ASSISTANT_UI__SHUTDOWN_GRACE_S="2",
    )
    log = open(tmp / "serve.log", "wb")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "serve", "--store", store, "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError((tmp / "serve.log").read_text())
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_process(process)
    raise TimeoutError((tmp / "serve.log").read_text())


def long_document() -> bytes:
    """About 1.5 MB of distinct sentences: thousands of chunks, minutes of embedding."""
    words = [
        "parking",
        "waste",
        "housing",
        "planning",
        "licensing",
        "libraries",
        "transport",
        "schools",
    ]
    lines = [
        f"Section {i}. The {words[i % 8]} service reviewed case {i * 7919 % 100003} on day {i % 365}"
        f" and wrote to {i % 97} residents about the {words[(i * 3) % 8]} budget of {i * 13} pounds."
        for i in range(12_000)
    ]
    return ("# Service log\n\n" + "\n\n".join(lines)).encode()


def test_sigterm_stops_the_server_within_seconds_during_an_upload(small_store, tmp_path) -> None:
    port = free_port()
    process = start_server(small_store, tmp_path, port)
    try:
        upload: dict[str, object] = {}

        def send() -> None:
            try:
                upload["response"] = httpx.post(
                    f"http://127.0.0.1:{port}/api/documents",
                    files={"files": ("service-log.md", long_document(), "text/markdown")},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                    timeout=300,
                )
            except httpx.HTTPError as exc:
                upload["error"] = exc

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        saved = tmp_path / "uploads" / "service-log.md"
        deadline = time.time() + 60
        while not saved.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert saved.exists(), "the upload never reached the server"
        time.sleep(2)  # the ingest is now parsing and embedding
        assert process.poll() is None and sender.is_alive(), (
            "the ingest finished too soon to test anything"
        )

        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    assert took < 12, f"SIGTERM took {took:.1f} s"
    assert process.returncode in (-signal.SIGTERM, 128 + signal.SIGTERM), process.returncode
    sender.join(timeout=10)
    # Cut off, or (when uvicorn's grace period ran out first and it cancelled the request)
    # an error: never answered as if it had finished.
    response = upload.get("response")
    assert response is None or response.status_code >= 500, response.text

    # The store is still whole: the killed ingest left every document at a committed version.
    status = run_cli("status", "--store", small_store, "--json")
    assert status.returncode == 0, status.stderr
    assert '"techuk-demystifying-the-smart-city-news.md"' in status.stdout

    # The cut-off upload is settled at the next start: not left in uploads/ unindexed.
    from core.settings import Settings, UISettings
    from ui.documents import DocumentAdmin
    from ui.security import AdminGuard

    assert list((tmp_path / "uploads").glob(".upload-*.json")), "no journal: nothing to settle"
    settings = Settings(
        store=small_store,
        ui=UISettings(feedback_db=tmp_path / "feedback.sqlite3", admin_token=TOKEN),
    )
    admin = DocumentAdmin(settings, AdminGuard(TOKEN))
    assert not saved.exists() and admin.leftover_uploads() == []
    assert not list((tmp_path / "uploads").iterdir())  # journal and set-aside files gone too
    assert "service-log.md" not in run_cli("status", "--store", small_store, "--json").stdout


def test_sigterm_on_an_idle_server(small_store, tmp_path) -> None:
    port = free_port()
    process = start_server(small_store, tmp_path, port)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    assert time.monotonic() - started < 8
    assert process.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)


def test_the_exit_deadline_holds_even_while_a_thread_keeps_the_gil() -> None:
    """The backstop behind the graceful shutdown: a regex that backtracks for minutes holds
    the GIL, so no Python code (not even the timer) can run; the kernel's alarm still acts."""
    code = (
        "import re; from ui.app import _exit_deadline; _exit_deadline(1.0); "
        "re.match(r'(a+)+$', 'a' * 40 + 'b')"
    )
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60, capture_output=True)
    assert time.monotonic() - started < 15
    assert done.returncode in (-signal.SIGALRM, 128 + signal.SIGTERM), done


def test_the_access_log_has_one_redacted_line_per_request(small_store, tmp_path) -> None:
    """uvicorn's access log through the PII redaction: a line per request, personal data in
    the query string replaced, no logging errors (the redaction once emptied the record's
    arguments, and each request became a 60-line traceback instead)."""
    port = free_port()
    process = start_server(small_store, tmp_path, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for n in range(5):
                assert (
                    http.get("/healthz", params={"who": f"jo{n}@example.com", "n": n}).status_code
                    == 200
                )
            assert (
                http.get(
                    "/api/documents/no-such-page-07700900123", params={"pc": "SW1A 1AA"}
                ).status_code
                == 404
            )
        time.sleep(1)  # let the log reach the file
    finally:
        stop_process(process)
    log = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")
    assert "Logging error" not in log and "Traceback" not in log and "TypeError" not in log, log[
        -3000:
    ]
    health = [line for line in log.splitlines() if '"GET /healthz?who=' in line]
    assert len(health) == 5, log[-3000:]
    for line in health:
        assert "@example.com" not in line and "[redacted email]" in line, line
        assert "127.0.0.1:" in line and 'HTTP/1.1" 200' in line, line
    missing = [line for line in log.splitlines() if "GET /api/documents/" in line]
    assert len(missing) == 1 and " 404" in missing[0], log[-3000:]
    assert "07700900123" not in log and "SW1A" not in log


def workers_of(pid: int) -> list[int]:
    """The app worker processes uvicorn's supervisor spawned (not its resource tracker)."""
    with open(f"/proc/{pid}/task/{pid}/children") as handle:
        children = [int(c) for c in handle.read().split()]
    found = []
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                if b"spawn_main" in handle.read():
                    found.append(child)
        except OSError:
            continue
    return found


def test_two_workers_share_one_store_and_stop_on_sigterm(small_store, tmp_path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(small_store, tmp_path, port, "--workers", "2")
    try:
        deadline = time.time() + 300
        while len(workers_of(process.pid)) < 2:  # the second may still be loading its models
            assert time.time() < deadline, "the second worker never started"
            time.sleep(0.5)
        asks = [
            httpx.post(
                f"{url}/api/ask",
                json={"question": "Is smart city work meant for small councils?"},
                timeout=120,
            )
            for _ in range(4)
        ]
        assert all(r.status_code == 200 and r.json()["citations"] for r in asks)

        # An upload through one worker is seen through every worker: they share the store.
        upload = httpx.post(
            f"{url}/api/documents",
            files={
                "files": (
                    "allotments.md",
                    b"# Allotments\n\nA full plot costs 30 pounds a year.\n",
                    "text/markdown",
                )
            },
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=300,
        )
        assert upload.status_code == 200, upload.text
        for _ in range(6):
            listed = httpx.get(f"{url}/api/documents", timeout=60).json()
            assert "allotments.md" in {d["document_id"] for d in listed["documents"]}
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        assert time.monotonic() - started < 20
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode in (0, -signal.SIGTERM, 128 + signal.SIGTERM)


def test_workers_must_be_at_least_one(small_store) -> None:
    done = run_cli("serve", "--store", small_store, "--workers", "0", timeout=120)
    assert done.returncode == 2 and "--workers must be at least 1" in done.stderr
