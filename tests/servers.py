"""Helpers for tests that run real processes and servers (importable from any test module)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(
    port: int, timeout: float = 60.0, process: subprocess.Popen | None = None
) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Terminate a server, killing it if it does not stop in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()


def run_cli(
    *args: str, env: dict | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``python -m assistant ARGS`` in the repository root, output captured."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


class LiveServer:
    """uvicorn serving an ASGI app on 127.0.0.1 in a daemon thread.

    On the port the app's settings name (the origin check trusts only that), else a free one."""

    def __init__(self, app, port: int | None = None) -> None:
        import uvicorn

        services = getattr(getattr(app, "state", None), "services", None)
        # A restart on the same port keeps the browser's origin.
        self.port = port or (services.settings.ui.port if services is not None else free_port())
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the app did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # the browser may still hold the chat's event stream open
        self.thread.join(timeout=15)


class ChromaServer:
    """A real ``chroma run`` on 127.0.0.1 that a test can stop, restart (same port, same data)
    and pause (SIGSTOP: a server that hangs without closing its connections)."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = path
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> ChromaServer:
        chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
        self.process = subprocess.Popen(
            [
                chroma,
                "run",
                "--path",
                str(self.path),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, ANONYMIZED_TELEMETRY="False"),
        )
        wait_for_port(self.port, process=self.process)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.resume()
            stop_process(self.process)
        self.process = None

    def pause(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
