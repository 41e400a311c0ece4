"""The app's start, off the request path: keyword index, embedder, refusal calibration.

A new app machine over a ``chroma run`` server has no keyword index of its own: the store
builds it in the background (``index.store.warming``) while ``/healthz`` says "warming" and
answers come from dense search with a notice. This thread starts that build as soon as the app
starts, loads the embedder meanwhile, and makes the calibration once the index is ready, so the
first questions wait for none of them.
"""

from __future__ import annotations

import logging
import threading
import time

from assistant.pipeline import Assistant

log = logging.getLogger(__name__)


def warm_up_in_background(assistant: Assistant, poll_s: float = 1.0) -> threading.Thread:
    def run() -> None:
        try:
            status = assistant.store.keyword_status()
            _ = assistant.embedder
            while not status.ready:
                time.sleep(poll_s)
                status = assistant.store.keyword_status()
            assistant.calibration()
        except Exception:  # noqa: BLE001 - the first question does it instead
            log.warning("warming up the app failed", exc_info=True)

    thread = threading.Thread(target=run, name="warm-up", daemon=True)
    thread.start()
    return thread
