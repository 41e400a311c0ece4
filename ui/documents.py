"""The documents view's actions: list, upload, delete, re-index (the last three admin-only).

Uploads are saved under ``<feedback_db folder>/uploads`` and that folder is ingested as one
root, so later uploads never sweep earlier ones away. A delete bumps the store's revision, so
every reader, in this process or another, sees it at its next question.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.settings import Settings
from index.loaders import SUPPORTED_SUFFIXES
from ui.security import AdminGuard

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass
class ActionResult:
    ok: bool
    message: str
    details: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, **self.details}


def safe_filename(name: str) -> str:
    """A plain file name: no folders, no leading dots, only safe characters."""
    base = Path(name.replace("\\", "/")).name
    base = SAFE_NAME.sub("-", base).strip("-.")
    return base[:120]


class DocumentAdmin:
    def __init__(
        self,
        settings: Settings,
        guard: AdminGuard,
        embedder_factory: Callable[[], Any] | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.guard = guard
        self.embedder_factory = embedder_factory
        self.on_change = on_change  # tells the assistant to re-read the index
        self.uploads_dir = Path(settings.ui.feedback_db).expanduser().resolve().parent / "uploads"
        self._lock = threading.Lock()  # one write at a time: ingest is not meant to run twice at once

    def list(self) -> list[dict[str, Any]]:
        from index.status import index_status

        return index_status(self.settings)["document_list"]

    def upload(self, token: str | None, files: Iterable[tuple[str, bytes]]) -> ActionResult:
        """Save each (name, bytes) into the uploads folder and ingest that folder."""
        self.guard.check(token)
        files = list(files)
        if not files:
            return ActionResult(False, "choose at least one file to upload", {})
        records = self._records()
        own_root = str(self.uploads_dir)
        max_bytes = int(self.settings.ingest.max_file_mb * 1024 * 1024)
        saved: list[str] = []
        refused: list[dict[str, str]] = []
        for name, data in files:
            clean = safe_filename(name)
            reason = None
            if not clean or Path(clean).suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = f"unsupported file type (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
            elif len(data) > max_bytes:
                reason = f"larger than {self.settings.ingest.max_file_mb:g} MB"
            elif clean in records and records[clean].root != own_root:
                reason = "a document with this name is already indexed from another folder; rename the file"
            if reason:
                refused.append({"path": name, "reason": reason})
                continue
            saved.append(clean)
            self.uploads_dir.mkdir(parents=True, exist_ok=True)
            (self.uploads_dir / clean).write_bytes(data)
        if not saved:
            return ActionResult(False, "nothing was uploaded", {"skipped": refused})
        report = self._ingest([self.uploads_dir])
        for skip in report.skipped:  # unreadable: do not keep it to be skipped again next time
            (self.uploads_dir / skip["path"]).unlink(missing_ok=True)
        skipped = refused + report.skipped
        message = (
            f"uploaded {len(saved)} file(s): {len(report.added)} added, {len(report.updated)} updated,"
            f" {len(report.unchanged)} unchanged"
        )
        if skipped:
            message += f"; {len(skipped)} skipped"
        return ActionResult(True, message, {"uploaded": saved, "report": report.to_dict(), "skipped": skipped})

    def delete(self, token: str | None, document_id: str) -> ActionResult:
        self.guard.check(token)
        records = self._records()
        record = records.get(document_id)
        if record is None:
            return ActionResult(False, f"no document '{document_id}' is indexed", {})
        from index.store import open_store

        with self._lock:
            store = open_store(self.settings)
            with store.writing():
                store.drop_document(document_id)
                store.finish_ingest(self.settings.embed_model, changed=True)
        self._changed()
        message = f"deleted '{record.meta.title or document_id}' from the index"
        if record.root == str(self.uploads_dir):
            (self.uploads_dir / record.meta.path).unlink(missing_ok=True)
        else:
            message += "; its file is still in its folder, so re-indexing that folder adds it back"
        return ActionResult(True, message, {"document_id": document_id})

    def reindex(self, token: str | None) -> ActionResult:
        """Re-ingest every indexed document's file that is still there; changed files update.

        Documents whose file is gone are reported, not dropped: the server may not see the
        folder another machine ingested from. Delete them explicitly."""
        self.guard.check(token)
        records = self._records()
        present = [Path(r.root) / r.meta.path for r in records.values() if (Path(r.root) / r.meta.path).is_file()]
        missing = sorted(r.document_id for r in records.values() if not (Path(r.root) / r.meta.path).is_file())
        if not present:
            return ActionResult(False, "no indexed document's file can be found to re-index", {"missing": missing})
        report = self._ingest(present)
        message = (
            f"re-indexed {len(present)} document(s): {len(report.updated)} updated,"
            f" {len(report.unchanged)} unchanged"
        )
        if missing:
            message += f"; {len(missing)} document(s) have no file here: {', '.join(missing[:5])}"
        return ActionResult(True, message, {"report": report.to_dict(), "missing": missing})

    def _records(self) -> dict[str, Any]:
        from index.store import open_store

        return open_store(self.settings).documents()

    def _ingest(self, paths: list[Path]) -> Any:
        from index.ingest import ingest

        with self._lock:
            report = ingest(paths, self.settings, embedder_factory=self.embedder_factory)
        self._changed()
        return report

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change()

