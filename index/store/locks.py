"""One ingest at a time per store, across processes and machines.

Chroma's embedded mode is not meant for two writers, and two ingests of the same folder would
race on the same documents; a web upload or re-index therefore waits for a CLI ingest, and
the other way round.

The lock is a record in the store itself (``StoreLock``: owner, host, pid, heartbeat, expiry, in
the store's ``__state`` collection), so a second machine writing to the same ``chroma run``
server waits too, and is told who holds it. The holder renews its heartbeat every third of
``ttl_s``; a record whose heartbeat has expired (a machine that died), or one left by a process
on this host that no longer exists (``kill -9``), is taken over. An embedded store takes an
``fcntl`` lock on a file first (``exclusive``), then writes the same record.
"""

from __future__ import annotations

import fcntl
import getpass
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from core.errors import IngestError

LOCK_KEY = "ingest-lock"
POLL_S = 0.2


class LockTable(Protocol):
    """Where the lock record lives (``state.RecordTable`` over Chroma, or ``MemoryTable``)."""

    def read(self, key: str) -> dict[str, Any] | None: ...
    def insert(self, key: str, record: dict[str, Any]) -> None: ...
    def put(self, key: str, record: dict[str, Any]) -> None: ...
    def delete(self, key: str, token: str | None = None) -> None: ...


@dataclass(frozen=True)
class Holder:
    """Who holds (or held) the lock, as its record says."""

    token: str
    owner: str
    host: str
    pid: int
    since: float
    heartbeat: float
    expires: float

    @classmethod
    def me(cls, ttl_s: float) -> Holder:
        now = time.time()
        return cls(
            uuid.uuid4().hex, _user(), socket.gethostname(), os.getpid(), now, now, now + ttl_s
        )

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Holder:
        return cls(
            token=str(record.get("token", "")),
            owner=str(record.get("owner", "?")),
            host=str(record.get("host", "?")),
            pid=int(record.get("pid") or 0),
            since=float(record.get("since") or 0.0),
            heartbeat=float(record.get("heartbeat") or 0.0),
            expires=float(record.get("expires") or 0.0),
        )

    def to_record(self) -> dict[str, Any]:
        return {"kind": "lock", **self.__dict__}

    def stale(self, now: float) -> bool:
        """Expired, or left by a process of this host that has gone (killed, crashed)."""
        if now > self.expires:
            return True
        return self.host == socket.gethostname() and not _alive(self.pid)

    def describe(self, now: float) -> str:
        since = datetime.fromtimestamp(self.since, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return (
            f"{self.owner} on {self.host} (pid {self.pid}) since {since},"
            f" last heartbeat {max(0.0, now - self.heartbeat):.0f} s ago"
        )


class StoreLock:
    """The lock record: ``acquire`` waits up to ``timeout_s``, then fails with one line naming
    the holder; a background thread renews the heartbeat until ``release``."""

    def __init__(self, table: LockTable, ttl_s: float, timeout_s: float, what: str) -> None:
        self.table, self.ttl_s, self.timeout_s, self.what = table, ttl_s, timeout_s, what
        self.mine: Holder | None = None
        self.lost_to: str | None = None  # set when another writer took the lock from us
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holder(self) -> Holder | None:
        record = self.table.read(LOCK_KEY)
        return Holder.from_record(record) if record else None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout_s
        told = False
        while True:
            if self._try_take():
                break
            holder = self.holder()
            now = time.time()
            if time.monotonic() >= deadline:
                who = holder.describe(now) if holder else "another writer"
                raise IngestError(
                    f"{self.what} is still running after {self.timeout_s:.0f} s, held by {who};"
                    " try again later (ASSISTANT_INGEST__LOCK_TIMEOUT_S)"
                )
            if not told and holder is not None:
                print(
                    f"waiting for {self.what} ({holder.describe(now)}) to finish...",
                    file=sys.stderr,
                )
                told = True
            time.sleep(POLL_S)
        self._thread = threading.Thread(
            target=self._beat, name="ingest-lock-heartbeat", daemon=True
        )
        self._thread.start()

    def _try_take(self) -> bool:
        holder = self.holder()
        if holder is not None and holder.stale(time.time()):
            self.table.delete(LOCK_KEY, token=holder.token)  # only if nobody took it meanwhile
            holder = None
        if holder is None:
            mine = Holder.me(self.ttl_s)
            self.table.insert(LOCK_KEY, mine.to_record())  # ignored if another got there first
            holder = self.holder()
            if holder is not None and holder.token == mine.token:
                self.mine = mine
                return True
        return False

    def _beat(self) -> None:
        while not self._stop.wait(max(self.ttl_s / 3, 0.05)):
            mine = self.mine
            if mine is None:
                return
            try:
                holder = self.holder()
                if holder is None or holder.token != mine.token:
                    self.lost_to = (
                        holder.describe(time.time()) if holder else "nobody (it was removed)"
                    )
                    return
                now = time.time()
                self.mine = Holder(
                    mine.token, mine.owner, mine.host, mine.pid, mine.since, now, now + self.ttl_s
                )
                self.table.put(LOCK_KEY, self.mine.to_record())
            except Exception:  # noqa: BLE001 - the store is briefly unreachable: try next beat
                continue

    def check(self) -> None:
        """Raise when the lock was taken over (our heartbeat lapsed for longer than ``ttl_s``)."""
        if self.lost_to:
            raise IngestError(
                f"{self.what}: this ingest lost the store's lock to {self.lost_to} (its heartbeat"
                " lapsed); stopped, and every document committed so far stands"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        if self.mine is not None:
            try:
                self.table.delete(LOCK_KEY, token=self.mine.token)
            except Exception:  # noqa: BLE001 - an unreachable store: the record expires instead
                pass
            self.mine = None

    @contextmanager
    def held(self) -> Iterator[StoreLock]:
        self.acquire()
        try:
            yield self
        finally:
            self.release()


@contextmanager
def exclusive(
    path: Path,
    timeout_s: float,
    what: str = "another ingest into this store",
    holder: Callable[[], str | None] | None = None,
) -> Iterator[None]:
    """An ``fcntl`` lock on ``path`` (this machine's processes); ``holder`` names who has it."""
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
                who = _safe(holder)
                named = f", held by {who}" if who else ""
                if time.monotonic() >= deadline:
                    raise IngestError(
                        f"{what} is still running after {timeout_s:.0f} s{named}; try again later"
                        " (ASSISTANT_INGEST__LOCK_TIMEOUT_S)"
                    ) from None
                if not told:
                    print(f"waiting for {what}{named} to finish...", file=sys.stderr)
                told = True
                time.sleep(POLL_S)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _safe(describe: Callable[[], str | None] | None) -> str | None:
    try:
        return describe() if describe else None
    except Exception:  # noqa: BLE001 - naming the holder is a courtesy, never a failure
        return None


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid {os.getuid()}"
