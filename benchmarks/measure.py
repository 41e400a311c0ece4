"""Run a child process and read its own peak memory (``os.wait4``), for the benchmarks."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def proc_status_mb(pid: int, field: str = "VmHWM") -> float:
    """A memory line of ``/proc/PID/status`` in MB (``VmHWM``: peak RSS since exec; ``VmRSS``:
    now), 0 once the process has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The value at quantile ``q`` (0 to 1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _high_water_mb(pid: int, depth: int = 0) -> float:
    """The largest ``VmHWM`` of the process and its descendants (an ingest's parser worker)."""
    peak = proc_status_mb(pid)
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            kids = [int(k) for k in children.read().split()]
    except (OSError, ValueError):
        return peak
    for kid in kids if depth < 3 else []:
        peak = max(peak, _high_water_mb(kid, depth + 1))
    return peak


def run_measured(
    args: list[str], cwd: Path, env: dict | None = None, timeout: float = 1800
) -> Measured:
    """Wall time and peak RSS of one child (not the max over all children so far).

    Linux starts a child's ``ru_maxrss`` at its parent's size when it forks, so a benchmark
    that has grown (it built a 300k-chunk store) would see every child as at least that big.
    ``VmHWM``, read while the child (and its own children) run, counts only memory after exec;
    ``ru_maxrss`` is kept for a child too short-lived to be read."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            args, cwd=cwd, stdout=out, stderr=err, text=True, env=dict(os.environ, **(env or {}))
        )
        deadline = started + timeout
        high_water = 0.0
        while True:
            high_water = max(high_water, _high_water_mb(process.pid))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                process.kill()
                raise TimeoutError(f"{args[:4]} ran past {timeout:.0f} s")
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        measured = Measured(out.read(), err.read(), seconds, high_water or usage.ru_maxrss / 1024)
    if process.returncode:
        raise RuntimeError(f"{args[:4]} failed ({process.returncode}): {measured.stderr[-1500:]}")
    return measured
