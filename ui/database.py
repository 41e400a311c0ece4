"""The web app's own SQLite file (feedback, saved conversations): readable by its owner only.

Questions, reasons and conversations are an officer's words: the file is created 0600 (and an
older, wider one is narrowed on open); SQLite gives its journal the file's own permissions.
A connection per call, so Gradio's and FastAPI's threads can share the file.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PRIVATE_MODE = 0o600


class PrivateDatabase:
    def __init__(self, path: Path | str, schema: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()
        make_private(self.path)
        with self.connect() as db:
            db.executescript(schema)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            with db:
                yield db
        finally:
            db.close()

    def columns(self, table: str) -> set[str]:
        with self.connect() as db:
            return {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}


def make_private(path: Path) -> None:
    """Create ``path`` 0600 if missing (no window where it is world-readable), or narrow it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_MODE)
    except FileExistsError:
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, PRIVATE_MODE)
    else:
        os.close(fd)
