"""Parse each file in a worker process with a CPU-time limit and a memory limit.

A file built to hurt (a decompression bomb, pathological nesting, a parser bug it triggers)
can at worst cost its own worker: the worker's address space is capped with ``RLIMIT_AS``
and each file's CPU time with ``RLIMIT_CPU`` (``parse_cpu_s``, watched by the parent too).
Files are judged by the CPU they use, never by the clock: on a busy server (load 8 on 2 cores)
a good file may take many times longer to parse, and must not be skipped for it. The clock is
only a backstop for a parse that hangs without using CPU: ``parse_timeout_s`` seconds without
progress. A worker that passes a limit, runs out of memory or dies is killed and replaced
before the next file. Each of
these becomes a ``DocumentError`` with a one-line reason, so the ingest skips the file and
goes on. One worker is kept alive across files (importing the parsers costs a second or
more) and, through ``shared_parser``, across ingests in a long-running server.

The worker is started with ``spawn``, never ``fork``: the parent may hold threads, models
and open Chroma clients that a forked child must not inherit. An idle worker whose parent dies
reads end-of-file and exits; a busy one is stopped by its CPU-time limit.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from dataclasses import dataclass
from typing import Any

from core.errors import DocumentError, IngestError
from core.settings import ParseLimits, Settings

DEFAULT_TARGET = "index.parse:parse_file"
POLL_S = 0.5  # how often the parent looks at a busy worker's CPU time
CPU_GRACE_S = 3.0  # past its CPU limit by this much, the parent kills the worker itself
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
log = logging.getLogger("index.isolation")


@dataclass
class WorkerStats:
    """What the workers went through, for reports and tests."""

    files: int = 0
    skipped: int = 0
    timeouts: int = 0  # hung: no CPU used for parse_timeout_s
    cpu_limited: int = 0  # stopped at parse_cpu_s of CPU time
    crashes: int = 0  # died: a signal, or out of memory
    started: int = 0
    peak_rss_mb: float = 0.0  # of the workers, from /proc (VmHWM)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def since(self, before: dict[str, Any]) -> dict[str, Any]:
        """Counts since ``before`` (an earlier ``to_dict()``); the peak is the worker's so far."""
        now = self.to_dict()
        return {k: (v if k == "peak_rss_mb" else v - before.get(k, 0)) for k, v in now.items()}


class _Worker:
    def __init__(self, limits: ParseLimits, warm: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_worker_main, args=(child, limits.parse_memory_mb, warm), daemon=True,
            name="assistant-parser",
        )  # fmt: skip
        self.process.start()
        child.close()
        if not self.conn.poll(max(limits.parse_timeout_s, 60.0)):
            self.kill()
            raise IngestError("the parser worker did not start in time; is the machine overloaded?")
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise IngestError(
                f"the parser worker could not start (exit code {self.process.exitcode}); with"
                f" ASSISTANT_INGEST__LIMITS__PARSE_MEMORY_MB={limits.parse_memory_mb} it may"
                " have too little memory"
            ) from None
        if message[0] != "ready":
            self.kill()
            raise IngestError(f"the parser worker could not start: {message[1]}")

    def peak_rss_mb(self) -> float:
        try:
            with open(f"/proc/{self.process.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
        return 0.0

    def cpu_seconds(self) -> float:
        """The worker's CPU time so far (user + system), from /proc; 0 when it is gone."""
        try:
            with open(f"/proc/{self.process.pid}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
            return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
        except (OSError, ValueError, IndexError):
            return 0.0

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(2)  # busy with a file: killed, so a server stops within seconds
        self.kill()


class IsolatedParser:
    """``parse(*args)`` runs ``target(*args)`` (by default ``parse_file``) in the worker.

    Thread-safe: one file at a time goes to the one worker."""

    def __init__(self, settings: Settings, target: str = DEFAULT_TARGET) -> None:
        self.settings = settings
        self.limits = settings.ingest.limits
        self.target = target
        self.stats = WorkerStats()
        self._worker: _Worker | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, *args: Any) -> Any:
        """The target's result, or ``DocumentError`` with why the file was skipped."""
        with self._lock:
            self.stats.files += 1
            try:
                return self._parse(args)
            except DocumentError:
                self.stats.skipped += 1
                raise

    def _parse(self, args: tuple[Any, ...]) -> Any:
        worker = self._ensure_worker()
        started = time.monotonic()
        cpu_before = worker.cpu_seconds()
        job = (self.target, self.limits.parse_cpu_s, args)
        try:
            worker.conn.send(job)
        except (OSError, ValueError):  # the worker went away while idle
            self._discard(worker)
            worker = self._ensure_worker()
            worker.conn.send(job)
        waited = self._wait(worker, cpu_before)
        if waited == "hung":
            self.stats.timeouts += 1
            self._discard(worker)
            raise DocumentError(
                f"parsing made no progress for {self.limits.parse_timeout_s:g} s and was stopped"
                " (ASSISTANT_INGEST__LIMITS__PARSE_TIMEOUT_S)"
            )
        try:
            if waited == "cpu":
                raise EOFError
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            code = self._discard(worker)
            if waited == "cpu" or code == -signal.SIGXCPU:
                self.stats.cpu_limited += 1
                raise DocumentError(
                    f"parsing used more than {self.limits.parse_cpu_s:g} s of CPU time and was stopped"
                    " (ASSISTANT_INGEST__LIMITS__PARSE_CPU_S)"
                ) from None
            self.stats.crashes += 1
            raise DocumentError(self._death_reason(code)) from None
        self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, worker.peak_rss_mb())
        log.debug("parsed %s in %.2f s: %s", args[:1], time.monotonic() - started, status)
        if status == "ok":
            return value
        if status == "restart":  # out of memory: the worker may be in a bad state
            self.stats.crashes += 1
            self._discard(worker)
        raise DocumentError(value)

    def _wait(self, worker: _Worker, cpu_before: float) -> str:
        """"done" (a reply, or the worker died), "cpu" (past its CPU time: killed here, should
        the kernel's limit not have acted) or "hung" (no CPU used for parse_timeout_s)."""
        limits = self.limits
        last_cpu, last_progress = cpu_before, time.monotonic()
        while not worker.conn.poll(POLL_S):
            cpu, now = worker.cpu_seconds(), time.monotonic()
            if cpu - cpu_before > limits.parse_cpu_s + CPU_GRACE_S:
                return "cpu"
            if cpu > last_cpu + 0.05:
                last_cpu, last_progress = cpu, now
            elif now - last_progress > limits.parse_timeout_s:
                return "hung"
        return "done"

    def _death_reason(self, code: int | None) -> str:
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            if -code == signal.SIGKILL:
                return f"the parser was killed ({name}), most likely out of memory"
            if -code == signal.SIGXCPU:
                return "parsing used more CPU time than allowed and was stopped"
            return f"the file crashed the parser ({name})"
        return f"the parser stopped unexpectedly (exit code {code})"

    def _ensure_worker(self) -> _Worker:
        if self._worker is None or not self._worker.process.is_alive():
            if self._worker is not None:
                self._discard(self._worker)
            self._worker = _Worker(self.limits, self.target)
            self.stats.started += 1
        return self._worker

    def _discard(self, worker: _Worker) -> int | None:
        self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, worker.peak_rss_mb())
        worker.kill()
        if self._worker is worker:
            self._worker = None
        return worker.process.exitcode

    def close(self) -> None:
        with self._lock:
            if self._worker is not None:
                self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, self._worker.peak_rss_mb())
                self._worker.stop()
                self._worker = None


_SHARED: dict[str, IsolatedParser] = {}
_SHARED_LOCK = threading.Lock()


def shared_parser(settings: Settings) -> IsolatedParser:
    """One parser (and worker) per process and set of limits, reused by every ingest."""
    key = settings.ingest.limits.model_dump_json()
    with _SHARED_LOCK:
        parser = _SHARED.get(key)
        if parser is None:
            parser = _SHARED[key] = IsolatedParser(settings)
        return parser


@atexit.register
def _close_shared() -> None:
    for parser in list(_SHARED.values()):
        parser.close()


# -- the worker process --------------------------------------------------------------------


def _worker_main(conn: Any, memory_mb: int, warm: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        _set_limit("RLIMIT_AS", memory_mb * 1024 * 1024)
        _set_limit("RLIMIT_CORE", 0)  # a worker stopped at its CPU limit leaves no core file
        _resolve(warm)
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which explains it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        target, cpu_s, args = job
        # The kernel stops this file's parse at its CPU time (SIGXCPU), even when the parent
        # is gone (killed with -9) and no one is left to watch it.
        _set_limit("RLIMIT_CPU", int(_cpu_seconds() + cpu_s + 1))
        try:
            result = ("ok", _resolve(target)(*args))
        except DocumentError as exc:
            result = ("skip", str(exc))
        except MemoryError:
            result = (
                "restart",
                f"needs more than {memory_mb} MB of memory to parse"
                " (ASSISTANT_INGEST__LIMITS__PARSE_MEMORY_MB)",
            )
        except RecursionError:
            result = ("skip", "nested too deeply to parse (the parser's recursion limit)")
        except Exception as exc:  # noqa: BLE001 - any parser failure skips this file only
            result = ("skip", f"cannot be parsed ({type(exc).__name__}: {_first_line(exc)})")
        try:
            conn.send(result)
        except MemoryError:
            conn.send(("restart", "the parsed text is too large to hand back"))
        except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
            conn.send(("skip", f"cannot be parsed ({type(exc).__name__}: {_first_line(exc)})"))
        if result[0] == "restart":
            return


def _resolve(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else "")[:200]


def _set_limit(name: str, soft: int) -> None:
    import resource

    which = getattr(resource, name)
    _, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
