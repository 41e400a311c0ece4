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
goes on. An ingest parses through a pool of such workers (one per CPU, at most four, by
default), several files at once, in order; workers are kept alive across files (importing the
parsers costs a second or more) and, through ``shared_parser``, across ingests in a
long-running server.

The worker is started with ``spawn``, never ``fork``: the parent may hold threads, models
and open Chroma clients that a forked child must not inherit. An idle worker whose parent dies
reads end-of-file and exits; a busy one is stopped by its CPU-time limit.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Generator, Iterable, Iterator
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
            target=_worker_main,
            args=(child, limits.parse_memory_mb, warm),
            daemon=True,
            name="assistant-parser",
        )
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


class TransientParseError(DocumentError):
    """A skip that may not happen again (the time limit on a loaded machine, a worker killed
    from outside): the ingest does not remember it, and tries the file again next time."""


@dataclass
class _Job:
    seq: int
    key: Any
    args: tuple[Any, ...]
    started: float = 0.0
    cpu_before: float = 0.0  # the worker's CPU time when the job was sent
    last_cpu: float = 0.0
    last_progress: float = 0.0  # when the worker last used CPU on this job


class IsolatedParser:
    """``parse(*args)`` runs ``target(*args)`` (by default ``parse_file``) in a worker;
    ``parse_many`` runs many files through a pool of ``workers`` such workers at once.

    Each worker keeps the limits above and is replaced when it times out, crashes or runs out
    of memory. Workers start only when there is work for them (an unchanged re-ingest starts
    none), and live on across ingests. Thread-safe: one caller at a time uses the pool."""

    def __init__(
        self, settings: Settings, target: str = DEFAULT_TARGET, workers: int | None = None
    ) -> None:
        self.settings = settings
        self.limits = settings.ingest.limits
        self.target = target
        self.size = max(1, workers or settings.ingest.parse_workers or min(os.cpu_count() or 1, 4))
        self.stats = WorkerStats()
        self._workers: list[_Worker | None] = [None] * self.size
        self._lock = threading.Lock()

    def __enter__(self) -> IsolatedParser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, *args: Any) -> Any:
        """The target's result, or ``DocumentError`` with why the file was skipped."""
        with self._lock:
            run = self._run(iter([(None, args)]), slots=1)
            try:
                _, outcome = next(run)
            finally:
                run.close()
        if isinstance(outcome, DocumentError):
            raise outcome
        return outcome

    def parse_many(self, jobs: Iterable[tuple[Any, tuple[Any, ...]]]) -> Iterator[tuple[Any, Any]]:
        """(key, result or ``DocumentError``) for each (key, args) job, in the jobs' order.

        At most two jobs per worker are taken ahead of the one the caller waits for, so the
        files in flight (their bytes and parsed text) stay bounded however long ``jobs`` is;
        the caller embeds one group while the workers parse the next files."""
        with self._lock:
            yield from self._run(iter(jobs), slots=self.size)

    def _run(
        self, jobs: Iterator[tuple[Any, tuple[Any, ...]]], slots: int
    ) -> Generator[tuple[Any, Any]]:
        busy: dict[int, _Job] = {}  # worker slot -> the job it parses
        done: dict[int, tuple[Any, Any]] = {}
        taken = returned = 0
        exhausted = False
        try:
            while True:
                while not exhausted and len(busy) < slots and taken - returned < 3 * slots:
                    item = next(jobs, None)
                    if item is None:
                        exhausted = True
                        break
                    slot = next(i for i in range(slots) if i not in busy)
                    busy[slot] = self._dispatch(slot, _Job(taken, item[0], item[1]))
                    taken += 1
                if returned in done:
                    yield done.pop(returned)
                    returned += 1
                    continue
                if not busy:
                    return
                for slot, outcome in self._collect(busy):
                    finished = busy.pop(slot)
                    done[finished.seq] = (finished.key, outcome)
        finally:
            for slot in busy:  # abandoned mid-file (the caller stopped): those workers are reset
                worker = self._workers[slot]
                if worker is not None:
                    self._discard(slot, worker)

    def _dispatch(self, slot: int, job: _Job) -> _Job:
        worker = self._ensure_worker(slot)
        message = (self.target, self.limits.parse_cpu_s, job.args)
        try:
            worker.conn.send(message)
        except (OSError, ValueError):  # the worker went away while idle
            self._discard(slot, worker)
            worker = self._ensure_worker(slot)
            worker.conn.send(message)
        self.stats.files += 1
        job.started = job.last_progress = time.monotonic()
        job.cpu_before = job.last_cpu = worker.cpu_seconds()
        return job

    def _collect(self, busy: dict[int, _Job]) -> list[tuple[int, Any]]:
        """Wait for a worker to answer, pass its CPU limit or hang; what has finished.

        Files are judged by the CPU they use, never by the clock: a busy machine slows a good
        file down without making it use more CPU. Only a parse that uses no CPU at all for
        ``parse_timeout_s`` is stopped by the clock."""
        conns = {self._workers[slot].conn: slot for slot in busy}  # type: ignore[union-attr]
        ready = multiprocessing.connection.wait(list(conns), POLL_S)
        finished = [(conns[c], self._answer(conns[c])) for c in ready]
        answered = {slot for slot, _ in finished}
        now = time.monotonic()
        for slot, job in busy.items():
            if slot in answered:
                continue
            worker = self._workers[slot]
            cpu = worker.cpu_seconds() if worker is not None else job.last_cpu
            if cpu - job.cpu_before > self.limits.parse_cpu_s + CPU_GRACE_S:
                finished.append((slot, self._cpu_limited(slot)))
            elif cpu > job.last_cpu + 0.05:
                job.last_cpu, job.last_progress = cpu, now
            elif now - job.last_progress > self.limits.parse_timeout_s:
                finished.append((slot, self._hung(slot)))
        for _, outcome in finished:
            if isinstance(outcome, DocumentError):
                self.stats.skipped += 1
        return finished

    def _hung(self, slot: int) -> DocumentError:
        self.stats.timeouts += 1
        worker = self._workers[slot]
        if worker is not None:
            self._discard(slot, worker)
        return TransientParseError(
            f"parsing made no progress for {self.limits.parse_timeout_s:g} s and was stopped"
            " (ASSISTANT_INGEST__LIMITS__PARSE_TIMEOUT_S)"
        )

    def _cpu_limited(self, slot: int) -> DocumentError:
        """Past its CPU time: the worker is killed here, should the kernel's limit not act."""
        worker = self._workers[slot]
        if worker is not None:
            self._discard(slot, worker)
        return self._cpu_error()

    def _cpu_error(self) -> DocumentError:
        self.stats.cpu_limited += 1
        return DocumentError(
            f"parsing used more than {self.limits.parse_cpu_s:g} s of CPU time and was stopped"
            " (ASSISTANT_INGEST__LIMITS__PARSE_CPU_S)"
        )

    def _answer(self, slot: int) -> Any:
        worker = self._workers[slot]
        assert worker is not None
        try:
            status, value = worker.conn.recv()
        except (EOFError, OSError):
            code = self._discard(slot, worker)
            if code == -signal.SIGXCPU:  # the kernel's CPU limit acted
                return self._cpu_error()
            self.stats.crashes += 1
            reason = self._death_reason(code)
            transient = code is not None and -code == signal.SIGKILL
            return TransientParseError(reason) if transient else DocumentError(reason)
        self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, worker.peak_rss_mb())
        if status == "ok":
            return value
        if status == "restart":  # out of memory: the worker may be in a bad state
            self.stats.crashes += 1
            self._discard(slot, worker)
        return DocumentError(value)

    def _death_reason(self, code: int | None) -> str:
        if code is not None and code < 0:
            name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            if -code == signal.SIGKILL:
                return f"the parser was killed ({name}), most likely out of memory"
            if -code == signal.SIGXCPU:
                return "parsing used more CPU time than allowed and was stopped"
            return f"the file crashed the parser ({name})"
        return f"the parser stopped unexpectedly (exit code {code})"

    def _ensure_worker(self, slot: int) -> _Worker:
        worker = self._workers[slot]
        if worker is None or not worker.process.is_alive():
            if worker is not None:
                self._discard(slot, worker)
            worker = self._workers[slot] = _Worker(self.limits, self.target)
            self.stats.started += 1
        return worker

    def _discard(self, slot: int, worker: _Worker) -> int | None:
        self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, worker.peak_rss_mb())
        worker.kill()
        if self._workers[slot] is worker:
            self._workers[slot] = None
        return worker.process.exitcode

    def close(self) -> None:
        with self._lock:
            for slot, worker in enumerate(self._workers):
                if worker is not None:
                    self.stats.peak_rss_mb = max(self.stats.peak_rss_mb, worker.peak_rss_mb())
                    worker.stop()
                    self._workers[slot] = None


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
