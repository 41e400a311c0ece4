"""Changing the documents, then re-working out what depends on them.

After documents are added, updated or removed, the refusal levels (the calibration) belong to
an old revision of the store. Working them out at once, and saving them beside the store, means
the first question after the change does not pay for them. The command line's ``ingest`` and
the web app's upload, re-index and removal all go through here, so they behave alike.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import AssistantError
from core.settings import Settings
from index.ingest import IngestReport, ingest
from index.removal import remove_document

if TYPE_CHECKING:  # imported when a calibration runs: an unchanged ingest loads no answering code
    from assistant.pipeline import Assistant

log = logging.getLogger(__name__)


def ingest_and_calibrate(
    paths: list[Path],
    settings: Settings,
    *,
    assistant: Assistant | None = None,
    embedder_factory: Callable[[], Any] | None = None,
    progress: bool = False,
    rebuild: bool = False,
    background: bool = False,
    calibrate: bool = True,
) -> tuple[IngestReport, dict[str, float] | None]:
    """Ingest ``paths``; when that changed the index (and ``calibrate``), recalibrate refusal.

    Returns the ingest report and, when the calibration ran here (not ``background``) and
    succeeded, its levels with the seconds it took. A failed calibration leaves the ingest
    standing: the first question calibrates instead.
    """
    report = ingest(
        paths, settings, progress=progress, rebuild=rebuild, embedder_factory=embedder_factory
    )
    changed = bool(report.added or report.updated or report.removed)
    if not (changed and calibrate):
        return report, None
    return report, recalibrate(assistant or _assistant(settings), background)


def remove_and_calibrate(
    settings: Settings,
    document_id: str,
    *,
    assistant: Assistant | None = None,
    background: bool = False,
    calibrate: bool = True,
) -> bool:
    """Remove one document (False when none is indexed under that id), then recalibrate."""
    removed = remove_document(settings, document_id)
    if removed and calibrate:
        recalibrate(assistant or _assistant(settings), background)
    return removed


def recalibrate(assistant: Assistant, background: bool = False) -> dict[str, float] | None:
    """The current revision's refusal levels and how long they took, or None when calibration
    is off, failed, or runs on a thread of its own (``background``: off a web request)."""
    if background:
        threading.Thread(
            target=_calibrate_logged, args=(assistant,), name="calibrate", daemon=True
        ).start()
        return None
    started = time.perf_counter()
    try:
        calibration = assistant.calibration()
    except AssistantError:  # the change stands; the first question will calibrate instead
        return None
    if calibration is None:
        return None
    return {**calibration.as_dict(), "seconds": round(time.perf_counter() - started, 2)}


def _assistant(settings: Settings) -> Assistant:
    from assistant.pipeline import Assistant

    return Assistant(settings)


def _calibrate_logged(assistant: Assistant) -> None:
    try:
        assistant.calibration()
    except Exception:  # noqa: BLE001 - the next question calibrates instead
        log.warning("refusal calibration after a document change failed", exc_info=True)
