"""Files that hold document text are created private to the service's user (0600, folders
0700), and older, wider ones are narrowed (``core/private_files.py``)."""

from __future__ import annotations

import os
import stat

import pytest

from core.private_files import narrow_tree, private_dir, private_file, restrict_umask
from index.store.keyword import KeywordIndex

pytestmark = pytest.mark.unit


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_created_private_and_older_ones_narrowed(tmp_path) -> None:
    folder = private_dir(tmp_path / "a" / "b")
    assert mode(folder) == 0o700
    made = private_file(folder / "f")
    assert mode(made) == 0o600
    made.chmod(0o644)
    (folder / "g").write_text("x")
    (folder / "g").chmod(0o664)
    folder.chmod(0o755)
    narrow_tree(folder)
    assert mode(folder) == 0o700 and mode(made) == 0o600 and mode(folder / "g") == 0o600


def test_the_umask_only_narrows(tmp_path) -> None:
    previous = os.umask(0o022)
    try:
        restrict_umask()
        assert os.umask(0o022) == 0o077
        os.umask(0o027)
        restrict_umask()
        (tmp_path / "new").write_text("x")
        assert mode(tmp_path / "new") == 0o600
    finally:
        os.umask(previous)


def test_the_keyword_index_and_its_journal_files_are_private(tmp_path) -> None:
    index = KeywordIndex(tmp_path / "keyword" / "c.sqlite3")
    index.set_note("k", "v", keep_prefix="")
    found = sorted((tmp_path / "keyword").rglob("*"))
    files = [f for f in found if f.is_file()]
    folders = [f for f in found if f.is_dir()]  # the tantivy index is a folder of segments
    assert files and all(mode(f) == 0o600 for f in files), [(f.name, oct(mode(f))) for f in files]
    assert all(mode(f) == 0o700 for f in folders), [(f.name, oct(mode(f))) for f in folders]
    assert mode(tmp_path / "keyword") == 0o700
    index.close()
