"""The documents view's actions: list, upload, delete, re-index (the last three admin-only).

Uploads are staged first: written to ``<feedback_db folder>/upload-staging``, parsed there in
the isolated parser worker (time and memory limits, the ingest's parse limits), and only a file
that parses is moved into ``<feedback_db folder>/uploads`` and ingested, alone. A bad upload is
refused with its reason and never reaches the uploads folder, so it cannot affect the next
upload, a re-index or a restart. A file left in the uploads folder that is not indexed (from an
older version, or copied there by hand) is listed and can be deleted from the app.

The uploads folder is one root, so later uploads never sweep earlier ones away. A delete bumps
the store's revision, so every reader, in this process or another, sees it at its next question.
Sentences withheld at ingest are listed only for the admin (``flagged``); the public listing
carries their count.
"""

from __future__ import annotations

import builtins
import logging
import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import AssistantError, DocumentError, unavailable
from core.private_files import private_dir, restrict_umask
from core.settings import Settings
from core.types import EVERYONE, Access
from index.loaders import FOLDER_NOTES, SUPPORTED_SUFFIXES
from ui.security import AdminGuard
from ui.upload_journal import JOURNAL_GLOB, UploadJournal

if TYPE_CHECKING:
    from assistant.pipeline import Assistant
    from index.ingest import IngestReport
    from index.store import DocumentRecord

log = logging.getLogger(__name__)
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
        assistant: Assistant | None = None,
    ) -> None:
        self.settings = settings
        self.guard = guard
        # The web app's assistant: its embedder ingests uploads, and its refusal levels are
        # worked out again (off the request) after each change. Without one (a test), the
        # ingest loads its own embedder and nothing recalibrates.
        self.assistant = assistant
        state = Path(settings.ui.feedback_db).expanduser().resolve().parent
        self.uploads_dir = state / "uploads"
        self.staging_dir = state / "upload-staging"
        shutil.rmtree(self.staging_dir, ignore_errors=True)  # left by a crash: never ingested
        self._lock = (
            threading.Lock()
        )  # one write at a time: ingest is not meant to run twice at once
        self.journal = UploadJournal(self.uploads_dir, self._is_indexed)
        self._recover()

    # In this class's body ``list`` names this method, so annotations say ``builtins.list``.
    def list(self, access: Access = EVERYONE) -> builtins.list[dict[str, Any]]:
        """The indexed documents this caller may see; withheld sentences as a count (their
        text is for the admin)."""
        from index.status import status_of

        return [
            {
                **{k: v for k, v in d.to_dict().items() if k != "flagged"},
                "withheld": _withheld(d.flagged),
            }
            for d in status_of(self.settings, access=access).document_list
        ]

    def flagged(self, token: str | None) -> builtins.list[dict[str, str]]:
        """Every sentence withheld at ingest, with its document and the reason (admin only)."""
        self.guard.check(token)
        from index.status import status_of

        return [
            {"document_id": d.document_id, "title": d.meta.title, **flag}
            for d in status_of(self.settings).document_list
            for flag in d.flagged
        ]

    def leftover_uploads(self) -> builtins.list[str]:
        """Files in the uploads folder that are not indexed (they failed, or predate staging)."""
        if not self.uploads_dir.is_dir():
            return []
        records = self._records()
        own = str(self.uploads_dir)
        return sorted(
            f.name
            for f in self.uploads_dir.iterdir()
            if not f.name.startswith(".")
            and not FOLDER_NOTES.match(f.name)
            and (f.name not in records or records[f.name].root != own)
        )

    def upload(self, token: str | None, files: Iterable[tuple[str, bytes]]) -> ActionResult:
        """Stage and parse each (name, bytes) in isolation; ingest the ones that parse."""
        self.guard.check(token)
        files = list(files)
        if not files:
            return ActionResult(False, "choose at least one file to upload", {})
        batch = self.staging_dir / uuid.uuid4().hex  # this upload's own: others may run at once
        try:
            saved, refused = self._stage_all(files, batch)
            if not saved:
                message = "nothing was uploaded: " + _reasons(refused)
                return ActionResult(False, message, {"skipped": refused})
            report = self._ingest([self.uploads_dir / name for name in saved], staged=batch)
        finally:
            shutil.rmtree(batch, ignore_errors=True)
        skipped = refused + report.skipped
        message = (
            f"uploaded {len(saved)} file(s): {len(report.added)} added, {len(report.updated)} updated,"
            f" {len(report.unchanged)} unchanged"
        )
        if skipped:
            message += f"; {len(skipped)} skipped: " + _reasons(skipped)
        return ActionResult(
            True, message, {"uploaded": saved, "report": report.to_dict(), "skipped": skipped}
        )

    def _stage_all(
        self, files: builtins.list[tuple[str, bytes]], batch: Path
    ) -> tuple[builtins.list[str], builtins.list[dict[str, str]]]:
        """(names staged and parsed, refusals with their reasons)."""
        records = self._records()
        own_root = str(self.uploads_dir)
        max_bytes = int(self.settings.ingest.max_file_mb * 1024 * 1024)
        saved: list[str] = []
        refused: list[dict[str, str]] = []
        for name, data in files:
            clean = safe_filename(name)
            reason = None
            if not clean or Path(clean).suffix.lower() not in SUPPORTED_SUFFIXES:
                reason = (
                    f"unsupported file type (supported: {', '.join(sorted(SUPPORTED_SUFFIXES))})"
                )
            elif len(data) > max_bytes:
                reason = f"larger than {self.settings.ingest.max_file_mb:g} MB"
            elif clean in records and records[clean].root != own_root:
                reason = "a document with this name is already indexed from another folder; rename the file"
            elif clean in saved:
                reason = "the same file name twice in one upload"
            else:
                reason = self._stage(batch, clean, data)
            if reason:
                refused.append({"path": name, "reason": reason})
            else:
                saved.append(clean)
        return saved, refused

    def delete(self, token: str | None, document_id: str) -> ActionResult:
        """Remove a document from the index (and its file, if uploaded), or an upload left over."""
        self.guard.check(token)
        records = self._records()
        record = records.get(document_id)
        if record is None and document_id in self.leftover_uploads():
            (self.uploads_dir / document_id).unlink(missing_ok=True)
            message = f"removed '{document_id}' from the uploads folder (it was not indexed)"
            return ActionResult(True, message, {"document_id": document_id})
        if record is None:
            return ActionResult(False, f"no document '{document_id}' is indexed", {})
        from assistant.maintenance import remove_and_calibrate

        with self._lock:
            removed = remove_and_calibrate(
                self.settings,
                document_id,
                assistant=self.assistant,
                background=True,
                calibrate=self.assistant is not None,
            )
        if not removed:  # removed by another process since it was listed
            return ActionResult(False, f"no document '{document_id}' is indexed", {})
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
        present = [
            Path(r.root) / r.meta.path
            for r in records.values()
            if (Path(r.root) / r.meta.path).is_file()
        ]
        missing = sorted(
            r.document_id for r in records.values() if not (Path(r.root) / r.meta.path).is_file()
        )
        if not present:
            return ActionResult(
                False, "no indexed document's file can be found to re-index", {"missing": missing}
            )
        report = self._ingest(present)
        message = (
            f"re-indexed {len(present)} document(s): {len(report.updated)} updated,"
            f" {len(report.unchanged)} unchanged"
        )
        if missing:
            message += f"; {len(missing)} document(s) have no file here: {', '.join(missing[:5])}"
        return ActionResult(True, message, {"report": report.to_dict(), "missing": missing})

    def _records(self) -> dict[str, DocumentRecord]:
        from index.store import open_store

        return open_store(self.settings).documents()

    def _stage(self, batch: Path, name: str, data: bytes) -> str | None:
        """Write one upload to the staging folder and parse it in isolation; why it fails, or None.

        Parsed in the worker with the ingest's own limits, so a bomb or a 100,000-deep page
        costs at most the parse time limit and never reaches the uploads folder."""
        from index.isolation import shared_parser

        staged = batch / name
        try:
            restrict_umask()  # an upload may be restricted: 0600, as the store's own files
            private_dir(batch)
            staged.write_bytes(data)
        except OSError as exc:  # a full or read-only disk: say so, keep nothing half-written
            staged.unlink(missing_ok=True)
            raise unavailable("the upload staging folder", str(self.staging_dir), exc) from None
        try:
            shared_parser(self.settings).parse(staged, name, data, "staged", self.settings)
        except DocumentError as exc:
            staged.unlink(missing_ok=True)
            return str(exc)
        return None

    def _ingest(self, paths: builtins.list[Path], staged: Path | None = None) -> IngestReport:
        from assistant.maintenance import ingest_and_calibrate

        assistant = self.assistant
        with self._lock:
            batch = None
            if staged is not None:  # parsed cleanly: only now into the uploads folder, journalled
                try:
                    private_dir(self.uploads_dir)
                    batch = self.journal.move_in(staged, [p.name for p in paths])
                except OSError as exc:  # a full or read-only disk: say so
                    raise unavailable("the uploads folder", str(self.uploads_dir), exc) from None
            try:
                report, _ = ingest_and_calibrate(
                    paths,
                    self.settings,
                    assistant=assistant,
                    embedder_factory=(lambda: assistant.embedder)
                    if assistant is not None
                    else None,
                    background=True,
                    calibrate=assistant is not None,
                )
            finally:  # each file kept where indexed; otherwise removed, the version it replaced back
                if batch is not None:
                    self.journal.finish(batch)
        return report

    def _is_indexed(self, name: str, path: Path) -> bool:
        """Whether the index holds this uploaded file at its current content."""
        from index.ingest import content_hash, folder_groups

        record = self._records().get(name)
        if record is None or record.root != str(self.uploads_dir):
            return False
        groups = folder_groups(path, self.uploads_dir)
        return bool(record.doc_hash == content_hash(path.read_bytes(), self.settings, groups))

    def _recover(self) -> None:
        """Settle uploads a killed process left half-done (``ui.upload_journal``)."""
        if not self.uploads_dir.is_dir() or not any(self.uploads_dir.glob(JOURNAL_GLOB)):
            return
        try:
            self.journal.recover()
        except (AssistantError, OSError):  # the store is down: settled at the next start
            log.warning("cut-off uploads could not be settled yet", exc_info=True)


def _reasons(skipped: list[dict[str, str]]) -> str:
    return "; ".join(f"{s['path']} ({s['reason']})" for s in skipped)


def _withheld(flagged: Sequence[dict[str, str]]) -> int:
    """Sentences cut from the text (the admin list also shows kept ones with a masked address)."""
    return sum(f.get("action", "withheld") == "withheld" for f in flagged or ())
