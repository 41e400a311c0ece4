"""The parser worker: a file that hangs, crashes, eats memory or breaks the parser costs only
its own worker; the next file gets a fresh one, and every failure is a one-line reason."""

from __future__ import annotations

import os
import time

import pytest

from core.errors import DocumentError
from core.settings import ParseLimits, Settings
from index.isolation import IsolatedParser

pytestmark = pytest.mark.integration


def parser(target: str, workers: int = 1, **limits) -> IsolatedParser:
    settings = Settings()
    settings = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"limits": ParseLimits(**limits)})}
    )
    return IsolatedParser(settings, target=f"parse_targets:{target}", workers=workers)


def reason_of(isolated: IsolatedParser, *args) -> str:
    with pytest.raises(DocumentError) as caught:
        isolated.parse(*args)
    reason = str(caught.value)
    assert reason and "\n" not in reason
    return reason


def test_one_worker_serves_many_files() -> None:
    with parser("echo") as isolated:
        first, second = isolated.parse("a"), isolated.parse("b")
        assert first.startswith("parsed a") and second.startswith("parsed b")
        assert first.split()[-1] == second.split()[-1] != str(os.getpid())  # same worker, not us
        assert isolated.stats.started == 1 and isolated.stats.files == 2


def test_a_busy_file_is_stopped_at_its_cpu_time_and_the_next_is_parsed() -> None:
    with parser("spin", parse_cpu_s=2) as isolated:
        started = time.monotonic()
        assert "more than 2 s of CPU time" in reason_of(isolated, 600)
        assert time.monotonic() - started < 120  # 2 CPU seconds, however busy the machine
        assert isolated.parse(0.01) == "spun"  # a fresh worker
        assert (
            isolated.stats.cpu_limited == 1
            and isolated.stats.timeouts == 0
            and isolated.stats.started == 2
        )


def test_the_clock_judges_only_a_parse_that_uses_no_cpu() -> None:
    """A parse that waits without working (a hang) is stopped after parse_timeout_s of no
    progress; a parse that works is never stopped by the clock, only by its CPU time."""
    with parser("sleep", parse_timeout_s=2) as isolated:
        assert "made no progress for 2 s" in reason_of(isolated, 600)
        assert isolated.stats.timeouts == 1 and isolated.stats.cpu_limited == 0
    with parser("spin", parse_timeout_s=3, parse_cpu_s=60) as isolated:
        assert isolated.parse(10) == "spun"  # 10 s of work with a 3 s clock limit: not a hang
        assert isolated.stats.timeouts == 0


def test_a_file_that_eats_memory_hits_the_memory_limit() -> None:
    with parser("allocate", parse_memory_mb=600) as isolated:
        assert "more than 600 MB" in reason_of(isolated, 2000)
        assert isolated.parse(10) == 10 * 1024 * 1024
        assert isolated.stats.crashes == 1 and isolated.stats.peak_rss_mb < 600


def test_a_file_that_crashes_the_parser_is_skipped() -> None:
    with parser("crash") as isolated:
        assert "crashed the parser (SIGSEGV)" in reason_of(isolated, "x")
        assert isolated.stats.crashes == 1


def test_parser_errors_become_one_line_reasons() -> None:
    with parser("refuse") as isolated:
        assert reason_of(isolated, "the file is empty") == "the file is empty"
    with parser("fail") as isolated:
        assert (
            reason_of(isolated, "x")
            == "cannot be parsed (ValueError: something inside the parser broke)"
        )
    with parser("recurse") as isolated:
        assert "nested too deeply" in reason_of(isolated, 0)
        assert isolated.stats.started == 1  # a recursion error leaves the worker usable


def test_a_pool_parses_in_order_and_one_hanging_file_holds_up_only_its_own_worker() -> None:
    jobs = [
        ("hang", ("sleep", 600)),
        ("a", ("echo", "a")),
        ("crash", ("crash", "")),
        ("b", ("echo", "b")),
    ]
    jobs += [(f"n{i}", ("echo", f"n{i}")) for i in range(6)]
    with parser("act", workers=2, parse_timeout_s=3) as isolated:
        results = list(isolated.parse_many(iter(jobs)))
        assert [key for key, _ in results] == [key for key, _ in jobs]  # the jobs' order
        outcomes = dict(results)
        assert isinstance(outcomes["hang"], DocumentError) and "no progress for 3 s" in str(
            outcomes["hang"]
        )
        assert isinstance(outcomes["crash"], DocumentError) and "SIGSEGV" in str(outcomes["crash"])
        pids = {str(v).rsplit(" ", 1)[1] for k, v in results if k not in ("hang", "crash")}
        assert len(pids) >= 2  # more than one worker process parsed them
        assert isolated.stats.files == len(jobs) and isolated.stats.timeouts == 1
        assert isolated.stats.crashes == 1 and isolated.stats.skipped == 2


def test_a_pool_abandoned_part_way_can_be_used_again() -> None:
    with parser("act", workers=2) as isolated:
        run = isolated.parse_many((str(i), ("echo", str(i))) for i in range(10))
        assert next(run)[0] == "0"
        run.close()  # the caller stopped (an error in the ingest): in-flight workers are reset
        assert isolated.parse("echo", "again").startswith("parsed again")
