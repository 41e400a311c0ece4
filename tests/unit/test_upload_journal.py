"""A cut-off upload is settled file by file: kept where indexed, else removed, and the version
it replaced put back (``ui/upload_journal.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.upload_journal import UploadJournal

pytestmark = pytest.mark.unit


def setup(tmp_path: Path, indexed: dict[str, bytes]) -> tuple[UploadJournal, Path, Path]:
    uploads, staged = tmp_path / "uploads", tmp_path / "staged"
    uploads.mkdir()
    staged.mkdir()
    journal = UploadJournal(uploads, lambda name, path: indexed.get(name) == path.read_bytes())
    return journal, uploads, staged


def test_a_finished_batch_keeps_what_was_indexed_and_restores_the_rest(tmp_path) -> None:
    indexed = {"new.md": b"new"}  # the ingest committed new.md; old.md's update failed
    journal, uploads, staged = setup(tmp_path, indexed)
    (uploads / "old.md").write_bytes(b"old version")
    indexed["old.md"] = b"old version"
    (staged / "new.md").write_bytes(b"new")
    (staged / "old.md").write_bytes(b"broken update")
    (staged / "lost.md").write_bytes(b"never indexed")
    batch = journal.move_in(staged, ["new.md", "old.md", "lost.md"])
    assert (uploads / "old.md").read_bytes() == b"broken update"  # in place while it is ingested
    removed = journal.finish(batch)
    assert removed == ["lost.md"]
    assert sorted(p.name for p in uploads.iterdir()) == ["new.md", "old.md"]
    assert (uploads / "old.md").read_bytes() == b"old version"  # the version the index holds


def test_a_process_killed_mid_ingest_is_settled_at_the_next_start(tmp_path) -> None:
    journal, uploads, staged = setup(tmp_path, {})
    (uploads / "kept.md").write_bytes(b"v1")
    (staged / "kept.md").write_bytes(b"v2")
    (staged / "cut.md").write_bytes(b"never indexed")
    batch = journal.move_in(staged, ["kept.md", "cut.md"])
    assert batch.fd is not None
    # A second process sees the upload running (its journal is locked) and leaves it alone.
    other = UploadJournal(uploads, lambda name, path: False)
    assert other.recover() == [] and (uploads / "cut.md").exists()
    import os

    os.close(batch.fd)  # the process dies: its lock goes with it
    survivor = UploadJournal(
        uploads, lambda name, path: name == "kept.md" and path.read_bytes() == b"v1"
    )
    assert survivor.recover() == ["cut.md"]
    assert sorted(p.name for p in uploads.iterdir()) == ["kept.md"]
    assert (uploads / "kept.md").read_bytes() == b"v1"


def test_a_journal_written_in_part_is_dropped(tmp_path) -> None:
    journal, uploads, _ = setup(tmp_path, {})
    (uploads / ".upload-abc.json").write_text('{"names": ["x.md"')  # cut off mid-write
    (uploads / "x.md").write_bytes(b"an older upload")  # nothing had moved: left alone
    assert journal.recover() == [] and (uploads / "x.md").exists()
    assert not (uploads / ".upload-abc.json").exists()
    (uploads / ".upload-def.json").write_text(
        json.dumps({"names": ["../outside.md"], "set_aside": {}})
    )
    (tmp_path / "outside.md").write_bytes(b"not ours")
    assert journal.recover() == [] and (tmp_path / "outside.md").exists()
