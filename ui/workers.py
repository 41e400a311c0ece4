"""Several app processes over one store: ``serve --workers N``.

uvicorn's own supervisor runs N worker processes on one listening socket (bound here first,
so a busy port fails at once with our message). Each worker builds the app with
``worker_app`` (an import-string factory, so the same app also runs under uvicorn's or
gunicorn's command line), loads its own models and opens the same store; an upload or
re-index in one worker is seen by the others through the store's revision, and ingests are
serialised by the store's lock. Each worker gets an equal share of the CPUs for torch, so N
workers do not fight over the same cores.

By hand, without our CLI (settings from ``ASSISTANT_*`` variables)::

    ASSISTANT_STORE=http://chroma:8000 uvicorn --factory ui.app:worker_app --workers 2 --port 7860

What each worker holds alone: its models (about 400 MB), the per-minute rate limit (a client
gets N times the limit) and, with an embedded store, its own copy of the vector index; a
``chroma run`` server store keeps one copy for every worker.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from core.settings import Settings

SETTINGS_ENV = "ASSISTANT_SERVE_SETTINGS_JSON"  # the parent's settings, handed to each worker
WORKERS_ENV = "ASSISTANT_SERVE_WORKERS"
log = logging.getLogger("ui")


def worker_settings() -> Settings:
    """The settings the parent serialised (CLI flags included), else from the environment."""
    data = os.environ.get(SETTINGS_ENV)
    return Settings.model_validate_json(data) if data else Settings()


def share_cores(workers: int) -> None:
    """Torch threads per worker: the CPUs split between the workers (at least one each)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch ships with the embedder
        return
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // max(1, workers)))


def serve_workers(settings: Settings, workers: int, sock: Any, grace_s: float) -> None:
    """Run ``workers`` app processes on ``sock`` until SIGINT/SIGTERM."""
    os.environ[SETTINGS_ENV] = settings.model_dump_json()
    os.environ[WORKERS_ENV] = str(workers)
    config = uvicorn.Config(
        "ui.app:worker_app",
        factory=True,
        workers=workers,
        log_level="info",
        proxy_headers=False,
        timeout_graceful_shutdown=max(1, round(grace_s)),
        timeout_worker_healthcheck=30,  # a worker loading its models answers slowly
    )
    log.info("serving on http://%s:%s with %d workers", settings.ui.host, settings.ui.port, workers)
    BoundedSupervisor(config, [sock], grace_s).run()


class BoundedSupervisor(Multiprocess):
    """uvicorn's supervisor, but on SIGTERM a worker still busy after the grace period (a
    request in a thread cannot be cancelled) is killed, so the server stops within seconds."""

    def __init__(self, config: uvicorn.Config, sockets: list[Any], grace_s: float) -> None:
        super().__init__(config, sockets)
        self.grace_s = grace_s

    def join_all(self) -> None:
        deadline = time.monotonic() + self.grace_s + 3.0
        for process in self.processes:
            process.process.join(max(0.0, deadline - time.monotonic()))
            if process.process.is_alive():
                log.warning("worker %s still busy after %.0f s: killed", process.pid, self.grace_s)
                process.kill()
                process.process.join(5)
