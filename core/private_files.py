"""Files that hold document text are readable by the service's own user only.

The store (Chroma's folder), the keyword index and its notes, uploads, feedback and saved
conversations all hold restricted text or an officer's words. Files are created 0600 and
folders 0700: ``restrict_umask`` narrows the process's umask (so even the files Chroma makes
later, inside its own code, are born private), and ``private_dir`` / ``private_file`` create or
narrow one path at a time, for stores and files made by an older version. A deployment that
wants a reading group (a backup agent) grants it with a default ACL on the folder; the modes
here never widen anything.
Bottom layer: any package may use it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
OTHERS = 0o077  # the group and world bits this module removes


def restrict_umask() -> None:
    """Make every file and folder this process creates from now on private to its user.

    Only ever narrows: the umask keeps the bits it already had. (Set and restored in two
    calls; in between it is 0o077, which is narrower still, so other threads lose nothing.)"""
    previous = os.umask(OTHERS)
    os.umask(previous | OTHERS)


def private_dir(path: Path | str) -> Path:
    """Create ``path`` (and its parents) if missing; narrow it to 0700 if others may enter it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    _narrow(path, PRIVATE_DIR)
    return path


def private_file(path: Path | str) -> Path:
    """Create ``path`` empty and 0600 if missing (no moment when it is readable by others), or
    narrow an existing one."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    except FileExistsError:
        _narrow(path, PRIVATE_FILE)
    else:
        os.close(fd)
    return path


def narrow_tree(root: Path | str) -> None:
    """Narrow a folder made before these rules (an older store): folders 0700, files 0600."""
    root = Path(root)
    if not root.is_dir():
        return
    _narrow(root, PRIVATE_DIR)
    for folder, dirs, files in os.walk(root):
        for name in dirs:
            _narrow(Path(folder) / name, PRIVATE_DIR)
        for name in files:
            _narrow(Path(folder) / name, PRIVATE_FILE)


def _narrow(path: Path, mode: int) -> None:
    """Remove the group and world bits (the owner's stay, at least ``mode``'s)."""
    try:
        current = stat.S_IMODE(path.lstat().st_mode)
        if current & OTHERS and not path.is_symlink():
            os.chmod(path, (current | mode) & ~OTHERS)
    except OSError:  # not ours to change (a read-only mount, another owner): leave it
        pass
