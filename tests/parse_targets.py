"""Stand-ins for ``parse_file`` that misbehave on purpose, for the isolation tests.

They run inside the parser worker (imported there by name), so each must be importable from
``tests/`` on ``sys.path``, which the spawned worker inherits.
"""

from __future__ import annotations

import os
import signal
import time

from core.errors import DocumentError


def echo(value: str) -> str:
    return f"parsed {value} in {os.getpid()}"


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def spin(seconds: float) -> str:
    """Busy, holding the GIL, like a regex that backtracks."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass
    return "spun"


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def crash(_: str) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def refuse(reason: str) -> None:
    raise DocumentError(reason)


def fail(_: str) -> None:
    raise ValueError("something inside the parser broke\nwith a second line")


def recurse(depth: int) -> int:
    return recurse(depth + 1)


def act(kind: str, value: object) -> object:
    """One of the above by name, so one pool run can mix them."""
    return globals()[kind](value)
