"""Which files of the given paths the ingest may read, and reading one without blocking.

A folder's symbolic links that lead out of it (to ``/etc/passwd``, to another folder), loops,
dangling links, named pipes, sockets and devices are skipped with a reason: reading a FIFO or
``/dev/zero`` never ends, and a link out of the folder would publish a file nobody chose to
publish. A file named on its own is the user's explicit choice and may live anywhere, but it
must still be a regular file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import DocumentError, IngestError
from index.loaders import FOLDER_NOTES

KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


@dataclass
class Discovery:
    """(root, file) pairs to ingest, and what was passed over, with the reason."""

    found: list[tuple[Path, Path]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)

    def skip(self, root: Path, path: Path, reason: str) -> None:
        self.skipped.append({"path": _relative(path, root), "reason": reason})


def discover_files(paths: list[Path]) -> Discovery:
    """Files to ingest; a file given directly has its parent as root."""
    discovery = Discovery()
    for given in paths:
        path = given.expanduser()
        if not os.path.lexists(path):
            raise IngestError(f"no such file or folder: {given}")
        try:
            path = path.resolve(strict=True)
        except (OSError, RuntimeError):
            discovery.skip(
                path.parent, path, "a symbolic link that leads nowhere (dangling or a loop)"
            )
            continue
        if path.is_dir():
            _walk(path, discovery)
            continue
        reason = _not_regular(path)
        if reason:
            discovery.skip(path.parent, path, reason)
        else:
            discovery.found.append((path.parent, path))
    return discovery


def _walk(root: Path, discovery: Discovery) -> None:
    for entry, path in _entries(root):
        try:
            if entry.is_symlink():
                reason = _link_problem(path, root)
            elif entry.is_dir():
                continue
            elif entry.is_file(follow_symlinks=False):
                reason = None
            else:
                reason = _not_regular(path)
        except OSError as exc:
            reason = f"cannot be examined: {exc.strerror}"
        if reason == "":
            continue  # a link to a folder inside: its files are found where they are
        if reason:
            discovery.skip(root, path, reason)
        elif not FOLDER_NOTES.match(entry.name):
            discovery.found.append((root, path))


def _entries(folder: Path) -> Iterator[tuple[os.DirEntry[str], Path]]:
    """Every entry below ``folder`` but hidden ones, in sorted path order, without following
    links to folders (as ``sorted(folder.rglob("*"))``, with one ``scandir`` per folder instead of
    a ``stat`` per file: 100,000 files are listed in about a second)."""
    try:
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
    except PermissionError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = folder / entry.name
        yield entry, path
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_folder:
            yield from _entries(path)


def _link_problem(link: Path, root: Path) -> str | None:
    """Why a symlink inside ``root`` must not be read; "" for a link to a folder inside."""
    try:
        target = link.resolve(strict=True)
    except RuntimeError:
        return "a symbolic link that loops"
    except OSError:
        return "a symbolic link to nothing (dangling)"
    if not target.is_relative_to(root):
        what = "folder" if target.is_dir() else "file"
        return f"a symbolic link to a {what} outside the ingested folder"
    if target.is_dir():
        return ""
    return _not_regular(target)


def _not_regular(path: Path) -> str | None:
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return None
    return f"not a regular file: {KINDS.get(stat.S_IFMT(mode), 'a special file')}"


def read_regular_file(path: Path, max_bytes: int, limit_hint: str = "") -> bytes:
    """The bytes of ``path``, refusing (never blocking on) anything but a regular file.

    Opened non-blocking and checked on the open descriptor, so a file swapped for a FIFO or a
    device after discovery is refused too.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise DocumentError(f"cannot read: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = KINDS.get(stat.S_IFMT(info.st_mode), "a special file")
            raise DocumentError(f"not a regular file: {kind}")
        if info.st_size > max_bytes:
            raise DocumentError(
                f"{info.st_size / 1048576:.1f} MB is over the {max_bytes / 1048576:g} MB limit{limit_hint}"
            )
        data = _read_all(fd, max_bytes + 1, info.st_size)
    finally:
        os.close(fd)
    if len(data) > max_bytes:  # grew while we read it
        raise DocumentError(f"more than {max_bytes / 1048576:g} MB{limit_hint}")
    return data


def _read_all(fd: int, limit: int, size: int) -> bytes:
    """Up to ``limit`` bytes to the end of the file, with plain ``os.read`` (no buffered file
    object: a re-ingest reads 100,000 small files); ``size`` is only the first guess."""
    parts: list[bytes] = []
    total = 0
    while total < limit:
        chunk = os.read(fd, min(limit - total, max(size + 1, 1 << 16)))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name
