"""The gaps report for document owners: what officers asked that the documents could not answer.

    python -m assistant gaps [--since DATE] [--until DATE] [--store ...] [--json|--csv|--golden]

Read from the web app's private database (refusals, thumbs-down feedback, follow-ups in saved
conversations: ``ui.gaps.log``), grouped by topic with the embedder (``ui.gaps.cluster``),
with the closest documents and their publishers (``ui.gaps.report``), exported as text, JSON,
CSV or golden-set rows (``ui.gaps.export``). The web app shows it to admins (``ui.gaps.tab``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError
from core.settings import Settings
from core.types import EVERYONE, Access

if TYPE_CHECKING:  # kept out of the import: the CLI's parser imports this package
    from ui.gaps.report import GapReport


def report_for(
    settings: Settings,
    since: str = "",
    until: str = "",
    access: Access = EVERYONE,
    database: Path | None = None,
    embedder: Any = None,
    store: Any = None,
) -> GapReport:
    """The report over ``since <= time < until`` from the database the web app writes."""
    from ui.gaps.log import read_signals
    from ui.gaps.report import build_report

    path = Path(database or settings.ui.feedback_db)
    if not path.is_file():
        raise ConfigError(
            f"no web app database at {path}: it is written by `python -m assistant serve`"
            " (set ASSISTANT_UI__FEEDBACK_DB, or pass --db)"
        )
    try:
        signals = read_signals(path, since, until, settings.gaps.followup_window_s)
    except (sqlite3.Error, OSError) as exc:  # another user's 0600 file, a damaged one
        raise ConfigError(f"cannot read the web app database at {path}: {exc}") from None
    if store is None:
        from index.store import open_store

        store = open_store(settings)
    if embedder is None:
        from index.embedding import load_embedder

        embedder = load_embedder(settings.embed_model)
    return build_report(signals, embedder, store, settings.gaps, access, since, until)
