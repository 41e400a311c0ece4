"""One ingest at a time per store, across processes (an ``fcntl`` lock on a file).

Chroma's embedded mode is not meant for two writers, and two ingests of the same folder would
race on the same documents; a web upload or re-index therefore waits for a CLI ingest, and
the other way round.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.errors import IngestError


@contextmanager
def exclusive(path: Path, timeout_s: float, what: str = "another ingest into this store") -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout_s
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestError(f"{what} is still running after {timeout_s:.0f} s; try again later") from None
                if not told and sys.stderr.isatty():
                    print(f"waiting for {what} to finish...", file=sys.stderr)
                told = True
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
