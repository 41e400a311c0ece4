"""Discovery skips links out of the folder, loops, FIFOs and devices, each with a reason, and
reading never blocks on anything but a regular file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from core.errors import DocumentError, IngestError
from index.files import discover_files, read_regular_file

pytestmark = pytest.mark.unit


def test_discovery_skips_what_it_must_not_read(tmp_path: Path) -> None:
    root, outside = tmp_path / "docs", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    outside.mkdir()
    (root / "a.md").write_text("# A\n\ntext")
    (root / "sub" / "b.md").write_text("# B\n\ntext")
    (root / "README.md").write_text("about the folder")  # a folder note: not a document
    (root / ".hidden.md").write_text("hidden")
    (outside / "secret.md").write_text("secret")
    (root / "passwd.md").symlink_to("/etc/passwd")
    (root / "secret.md").symlink_to(outside / "secret.md")
    (root / "zero.txt").symlink_to("/dev/zero")
    (root / "gone.md").symlink_to(outside / "missing.md")
    (root / "loop.md").symlink_to(root / "loop.md")
    (root / "inside.md").symlink_to(root / "a.md")
    (root / "linked-sub").symlink_to(root / "sub", target_is_directory=True)
    (root / "linked-out").symlink_to(outside, target_is_directory=True)
    os.mkfifo(root / "pipe.md")

    found = discover_files([root])
    assert [f.relative_to(root).as_posix() for _, f in found.found] == [
        "a.md",
        "inside.md",
        "sub/b.md",
    ]
    reasons = {s["path"]: s["reason"] for s in found.skipped}
    assert reasons == {
        "gone.md": "a symbolic link to nothing (dangling)",
        "linked-out": "a symbolic link to a folder outside the ingested folder",
        "loop.md": "a symbolic link that loops",
        "passwd.md": "a symbolic link to a file outside the ingested folder",
        "pipe.md": "not a regular file: a named pipe (FIFO)",
        "secret.md": "a symbolic link to a file outside the ingested folder",
        "zero.txt": "a symbolic link to a file outside the ingested folder",
    }


def test_a_file_named_on_its_own_must_be_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    found = discover_files([tmp_path / "pipe.txt", Path("/dev/null")])
    assert not found.found and [s["reason"] for s in found.skipped] == [
        "not a regular file: a named pipe (FIFO)",
        "not a regular file: a character device",
    ]
    with pytest.raises(IngestError, match="no such file"):
        discover_files([tmp_path / "missing.md"])


def test_reading_refuses_special_files_without_blocking(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    with pytest.raises(DocumentError, match="named pipe"):
        read_regular_file(tmp_path / "pipe.md", 1000)  # a plain open() would block forever
    with pytest.raises(DocumentError, match="character device"):
        read_regular_file(Path("/dev/zero"), 1000)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2000)
    with pytest.raises(DocumentError, match="over the"):
        read_regular_file(big, 1000)
    assert read_regular_file(big, 5000) == b"x" * 2000
