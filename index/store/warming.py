"""Keyword search readiness: a new app machine builds its keyword index in the background.

Over a ``chroma run`` server every app machine keeps its own keyword index. One with none (or
one far behind the store) builds it in a thread while questions are answered from dense
search alone, with a notice, instead of holding the first question for minutes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KeywordStatus:
    """Whether keyword search is ready. While a new app machine builds its index from the store
    (``warming``), retrieval is dense-only and answers say so."""

    ready: bool
    chunks_to_index: int = 0
    seconds_warming: float = 0.0
    error: str | None = None  # the last background build failed (it is tried again)

    @property
    def notice(self) -> str:
        if self.ready:
            return ""
        return (
            f"Keyword search is still being prepared on this server ({self.chunks_to_index:,}"
            " passages to index): this answer comes from meaning-based search alone."
        )


class KeywordWarming:
    """A keyword index built in a background thread; its failure is kept, not raised."""

    def __init__(self, build: Callable[[], object], chunks: int) -> None:
        self.chunks = chunks
        self.error: str | None = None
        self._started = time.monotonic()
        self._thread = threading.Thread(
            target=self._run, args=(build,), name="keyword-warming", daemon=True
        )
        self._thread.start()

    def _run(self, build: Callable[[], object]) -> None:
        try:
            build()
        except Exception as exc:  # a store gone away: the next question starts it again
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("building the keyword index failed: %s", self.error)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def seconds(self) -> float:
        return round(time.monotonic() - self._started, 1)

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()
