"""Chroma clients, one per store location per process, and re-opening them safely.

Two threads creating the same embedded client at once crash inside chromadb, so creation is
locked. Re-opening (to see another process's ingest into an embedded store) stops chromadb's
shared system, so it waits for in-flight calls and holds new ones back: a readers-writer lock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

from core.errors import StoreError, unavailable
from core.private_files import narrow_tree, private_dir, restrict_umask
from index.store.reserve import is_full_disk, keep_reserve, release_reserve


def is_remote(store: str) -> bool:
    return store.startswith(("http://", "https://"))


def describe_store(store: str) -> str:
    return store if is_remote(store) else os.path.abspath(store)


def chroma_settings() -> Any:
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


class _ReadersWriter:
    """Many readers at once, or one writer; a waiting writer holds new readers back."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._waiting = 0
        self._local = threading.local()

    @contextmanager
    def read(self) -> Iterator[None]:
        depth = getattr(self._local, "depth", 0)
        if depth:  # re-entrant for the thread that already reads
            self._local.depth = depth + 1
            try:
                yield
            finally:
                self._local.depth -= 1
            return
        with self._cond:
            while self._writer or self._waiting:
                self._cond.wait()
            self._readers += 1
        self._local.depth = 1
        try:
            yield
        finally:
            self._local.depth = 0
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        if getattr(self._local, "depth", 0):
            raise RuntimeError("cannot re-open the store from inside a store call")
        with self._cond:
            self._waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Clients:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._generation = 0
        self._seen: dict[tuple[str, str], int] = {}
        self._rw = _ReadersWriter()

    def get(
        self, location: str, timeout_s: float | None = None, reading: bool = False
    ) -> tuple[int, Any]:
        """(generation, client); the generation changes when clients are re-opened.

        ``timeout_s`` (settings.store_timeout_s) bounds every call to a server: chromadb's
        HTTP client would otherwise wait for ever on one that hangs. ``reading``: the caller
        only reads, so an embedded store on a full disk may give up its reserve to open."""
        with self._lock:
            client = self._clients.get(location)
            if client is None:
                timeout_s = timeout_s or DEFAULT_TIMEOUT_S
                client = self._clients[location] = _make_client(location, timeout_s, reading)
            elif timeout_s is not None:
                _set_timeout(client, timeout_s)
            return self._generation, client

    @contextmanager
    def reading(self, location: str) -> Iterator[None]:
        with self._rw.read():
            yield

    def reopen(self, location: str) -> None:
        """Drop the embedded clients so the next call reads the store from disk again."""
        if is_remote(location):
            return
        from chromadb.api.client import SharedSystemClient

        with self._rw.write(), self._lock:
            SharedSystemClient.clear_system_cache()  # stops every embedded client's system
            self._clients = {k: v for k, v in self._clients.items() if is_remote(k)}
            self._generation += 1

    def saw(self, location: str, collection: str, revision: int) -> None:
        """This process is up to date with (or wrote) this revision."""
        with self._lock:
            self._seen[(location, collection)] = revision

    def foreign_change(self, location: str, collection: str, revision: int) -> bool:
        """True when an embedded store moved to a revision this process neither wrote nor saw."""
        with self._lock:
            seen = self._seen.get((location, collection))
        return not is_remote(location) and seen is not None and seen != revision


DEFAULT_TIMEOUT_S = 30.0
CLIENTS = Clients()


def _set_timeout(client: Any, seconds: float) -> None:
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 5.0))


def _persistent_client(store: str) -> Any:
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    try:
        return chromadb.PersistentClient(path=store, settings=chroma_settings())
    except Exception:
        # chromadb caches the system before starting it: a failed start would be reused
        SharedSystemClient._identifier_to_system.pop(str(store), None)
        raise


def _make_client(store: str, timeout_s: float, reading: bool = False) -> Any:
    import chromadb

    try:
        if is_remote(store):
            url = urlparse(store)
            if not url.hostname:
                raise StoreError(f"--store {store!r} is not a valid http://HOST:PORT address")
            client = chromadb.HttpClient(
                host=url.hostname,
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings(),
            )
            _set_timeout(client, timeout_s)
            client.heartbeat()
            return client
        # Chroma writes its files itself, later too: the umask makes them private (0600).
        restrict_umask()
        private_dir(store)
        narrow_tree(store)  # a store made before files were private
        try:
            client = _persistent_client(store)
        except Exception as exc:
            # A full disk must not stop reading: give up the store's reserve and try again.
            if not (reading and is_full_disk(exc) and release_reserve(store)):
                raise
            client = _persistent_client(store)
        keep_reserve(store)
        return client
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many types for "cannot reach / cannot open"
        raise unavailable("the document store", describe_store(store), exc) from None
