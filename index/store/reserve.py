"""A little disk space set aside in an embedded store's folder, so reading survives a full disk.

Chroma's embedded client cannot even open a store on a disk with no space left: SQLite in WAL
mode needs its ``-wal`` and ``-shm`` files, and Chroma writes a little at start. So a store that
only needs to be read (``status``, ``ask``, a server answering questions) would fail because
something else filled the disk. Like CockroachDB's ballast file, the store keeps a few
megabytes in ``.space-reserve``; when opening it to read fails for want of space, the reserve is
given up and the open tried again. Writes still fail with their clear "the disk is full" error
(an ingest never frees the reserve), and the reserve is put back at the next open that finds
space for it.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from core.private_files import PRIVATE_FILE

log = logging.getLogger(__name__)

RESERVE_NAME = ".space-reserve"
RESERVE_BYTES = (
    8 * 1024 * 1024
)  # far more than a read needs (WAL header, 32 KB -shm, Chroma's start)


def is_full_disk(exc: BaseException) -> bool:
    text = f"{exc}".lower()
    return "disk is full" in text or "no space left" in text or getattr(exc, "errno", None) == 28


def keep_reserve(folder: Path | str) -> None:
    """Set the reserve aside if it is missing and the disk has room for it twice over; any
    failure (a read-only or full disk) is left for the next open."""
    reserve = Path(folder) / RESERVE_NAME
    try:
        if reserve.is_file() and reserve.stat().st_size >= RESERVE_BYTES:
            return
        stats = os.statvfs(folder)
        if stats.f_bavail * stats.f_frsize < 2 * RESERVE_BYTES:
            return
        partial = reserve.with_name(RESERVE_NAME + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
        try:
            os.posix_fallocate(fd, 0, RESERVE_BYTES)  # real blocks, not a sparse file
        finally:
            os.close(fd)
        partial.replace(reserve)
    except OSError:
        try:
            Path(folder, RESERVE_NAME + ".partial").unlink(missing_ok=True)
        except OSError:
            pass


def release_reserve(folder: Path | str) -> bool:
    """Give the reserve's space back to the disk; whether there was one."""
    reserve = Path(folder) / RESERVE_NAME
    try:
        reserve.unlink()
    except FileNotFoundError:
        return False
    except OSError:
        return False
    log.warning(
        "the disk holding the store %s is full: its %d MB reserve was released so that questions"
        " still answer; free some space (ingests fail until you do)",
        folder,
        RESERVE_BYTES // (1024 * 1024),
    )
    return True
