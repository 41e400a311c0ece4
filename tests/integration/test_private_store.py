"""Restricted text on disk is readable by the service's user only: every file of an embedded
Chroma store, its keyword index and notes, uploads, feedback and saved conversations is 0600
and every folder 0700, with the process's umask left as a council's server has it (0022)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from core.settings import Settings, UISettings
from index.ingest import ingest

pytestmark = pytest.mark.integration


def wider_than_private(root: Path) -> list[str]:
    found = []
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            if stat.S_IMODE(path.lstat().st_mode) & 0o077:
                found.append(f"{path.relative_to(root)} {oct(stat.S_IMODE(path.lstat().st_mode))}")
    return found


def test_store_keyword_index_uploads_and_app_files_are_private(
    tmp_path, corpus_dir, embedder
) -> None:
    from assistant.pipeline import Assistant
    from ui.services import Services

    previous = os.umask(0o022)
    try:
        store = tmp_path / "store"
        settings = Settings(store=str(store))
        ingest(
            [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
            settings,
            embedder_factory=lambda: embedder,
        )
        app = tmp_path / "app"
        ui = UISettings(feedback_db=app / "feedback.sqlite3", admin_token="t0ken")
        settings = settings.model_copy(update={"ui": ui})
        services = Services.build(settings, Assistant(settings, embedder=embedder))
        answer = services.assistant.ask(
            "What does techUK say about smart cities?"
        )  # calibration note saved
        services.record_feedback(answer, "up")
        services.conversations.save_turn("b" * 32, None, "a question", answer)
        result = services.documents.upload(
            "t0ken", [("bins.md", b"# Bins\n\nGrey bins go out on Tuesday.\n")]
        )
        assert result.ok, result.message
    finally:
        os.umask(previous)
    assert (app / "uploads" / "bins.md").is_file() and list((store / "keyword").iterdir())
    assert wider_than_private(store) == [] and wider_than_private(app) == []
    assert stat.S_IMODE(store.stat().st_mode) == 0o700


def test_an_older_store_is_narrowed_when_opened(tmp_path, corpus_dir, embedder) -> None:
    from index.store import open_store
    from index.store.clients import CLIENTS

    store = tmp_path / "store"
    settings = Settings(store=str(store))
    ingest(
        [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
        settings,
        embedder_factory=lambda: embedder,
    )
    for path in [store, *store.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    CLIENTS.reopen(str(store))  # as a new process would
    assert open_store(settings).documents()
    assert wider_than_private(store) == []
