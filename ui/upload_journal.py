"""An upload that was cut off (SIGTERM, a crash, a failed ingest) is settled, never left half-done.

Parsed uploads move from staging into the uploads folder and are then ingested. Before the move
a journal (``uploads/.upload-<id>.json``) names the files and where the versions they replace
were set aside. When the ingest ends, or at the next start if the process died during it, each
file is settled on its own: a file the index holds at its current content is kept; any other
is removed and the version it replaced (if any) put back, so the uploads folder again matches
the index. The officer whose upload was cut off got an error, not a success, and uploads again.

The process that moves the files holds an ``flock`` on its journal until it is settled, so a
second process starting on the same folder never settles an upload that is still running.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.private_files import PRIVATE_FILE

log = logging.getLogger(__name__)

JOURNAL_GLOB = ".upload-*.json"
SET_ASIDE = ".replaced-"  # the prefix of a replaced version kept until the upload is settled

# Whether the index holds this file (name in the uploads folder, its path) at its current content.
IsIndexed = Callable[[str, Path], bool]


@dataclass
class Batch:
    journal: Path
    names: list[str]
    set_aside: dict[str, str]  # name -> the name its replaced version was set aside under
    fd: int | None = None  # holds the journal's lock while the batch runs


class UploadJournal:
    def __init__(self, uploads_dir: Path, is_indexed: IsIndexed) -> None:
        self.uploads_dir = uploads_dir
        self.is_indexed = is_indexed

    def move_in(self, staged: Path, names: list[str]) -> Batch:
        """Move ``names`` from ``staged`` into the uploads folder, journalled; ``finish`` the
        batch when its ingest ends (a process killed before that is settled by ``recover``)."""
        batch_id = uuid.uuid4().hex
        journal = self.uploads_dir / f".upload-{batch_id}.json"
        batch = Batch(journal, names, {name: f"{SET_ASIDE}{batch_id}-{name}" for name in names})
        batch.fd = os.open(journal, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        try:
            fcntl.flock(batch.fd, fcntl.LOCK_EX)
            os.write(batch.fd, json.dumps({"names": names, "set_aside": batch.set_aside}).encode())
            os.fsync(batch.fd)  # written before any file moves: a crash from here on is recoverable
            for name in names:
                target = self.uploads_dir / name
                if target.exists():
                    target.replace(self.uploads_dir / batch.set_aside[name])
                (staged / name).replace(target)
        except BaseException:
            self._end(batch)  # nothing was ingested: every file back as it was
            raise
        return batch

    def finish(self, batch: Batch) -> list[str]:
        """Settle a batch whose ingest ended (well or not): the names removed."""
        return self._end(batch)

    def _end(self, batch: Batch) -> list[str]:
        try:
            removed = self._settle(batch.names, batch.set_aside)
            batch.journal.unlink(missing_ok=True)
        finally:
            if batch.fd is not None:
                os.close(batch.fd)
                batch.fd = None
        return removed

    def recover(self) -> list[str]:
        """Settle the uploads of a process that died mid-ingest; the names removed."""
        removed: list[str] = []
        for journal in sorted(self.uploads_dir.glob(JOURNAL_GLOB)):
            try:
                fd = os.open(journal, os.O_RDWR)
            except FileNotFoundError:  # settled by someone else meanwhile
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:  # its upload is still running in another process
                    continue
                try:
                    entry = json.loads(journal.read_text(encoding="utf-8") or "{}")
                    names = [str(n) for n in entry.get("names", [])]
                    aside = {str(k): str(v) for k, v in (entry.get("set_aside") or {}).items()}
                except (OSError, ValueError):  # written only in part: nothing had moved yet
                    names, aside = [], {}
                removed += self._settle(names, aside)
                journal.unlink(missing_ok=True)
            finally:
                os.close(fd)
        if removed:
            log.warning(
                "removed %d upload(s) cut off before they were indexed: %s",
                len(removed),
                ", ".join(removed),
            )
        return removed

    def _settle(self, names: list[str], aside: dict[str, str]) -> list[str]:
        removed = []
        for name in names:
            if Path(name).name != name or name.startswith("."):
                continue  # not a name this module wrote
            target = self.uploads_dir / name
            kept = self.uploads_dir / aside.get(name, f"{SET_ASIDE}missing-{name}")
            if target.is_file() and self.is_indexed(name, target):
                kept.unlink(missing_ok=True)
                continue
            if kept.is_file():
                kept.replace(target)  # the version the index still holds
            elif target.exists():
                target.unlink(missing_ok=True)
                removed.append(name)
        return removed
