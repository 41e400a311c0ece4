"""Hostile and broken files, ingested in one CLI run with good files mixed in (issue 11).

The corpus is generated here (tests/hostile.py): bombs, pathological nesting, regexes built to
backtrack, symlinks out of the folder, a FIFO, truncated and mislabelled files. The run must
finish with exit code 3 (partial), no traceback, every bad file reported with a one-line
reason, every good file indexed, nothing indexed before lost, and bounded memory.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hostile import GOOD, write_corpus
from servers import ROOT, run_cli

from core.settings import Settings
from index.store import open_store
from index.store.base import chunk_id_for

pytestmark = pytest.mark.integration

# A hang is judged as the parser judges one, by CPU, never by the clock (a busy CI machine may
# take ten times as long): the run is stopped when its processes use no CPU for STALL_S, or
# more CPU in all than RUN_CPU_S. Quiet, the whole run takes well under a minute.
STALL_S = 300
RUN_CPU_S = 900
RSS_BOUND_MB = 3000  # the CLI (with its embedding model) and its parser worker, the larger


def stored_texts(store: str) -> dict[str, str]:
    """Every live chunk's text, by document id."""
    settings = Settings(store=store)
    db = open_store(settings)
    records = db.documents()
    texts = {}
    for doc_id, record in records.items():
        ids = [chunk_id_for(doc_id, record.doc_hash, i) for i in range(record.chunks)]
        texts[doc_id] = "\n".join(c.text for c in db.fetch(ids))
    return texts


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live descendants, from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat") as handle:
                fields = handle.read().rpartition(")")[2].split()
            total += (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pending += [int(child) for child in handle.read().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


def run_ingest(store: Path, folder: Path) -> tuple[subprocess.CompletedProcess, float, float]:
    """The CLI ingest as a user runs it: (result, seconds, peak RSS in MB of it or its worker)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--store", str(store), "--json", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    streams: dict[str, str] = {}
    readers = [
        threading.Thread(target=lambda n=name, s=stream: streams.__setitem__(n, s.read()))
        for name, stream in (("out", process.stdout), ("err", process.stderr))
    ]
    for reader in readers:
        reader.start()
    last_cpu, last_progress = 0.0, time.monotonic()
    while True:  # wait4 (not Popen.wait) to get the child's peak RSS with its exit status
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        cpu, now = tree_cpu_seconds(process.pid), time.monotonic()
        if cpu > last_cpu:
            last_cpu, last_progress = cpu, now
        if cpu > RUN_CPU_S or now - last_progress > STALL_S:
            process.kill()
            pytest.fail(
                f"the ingest hung: killed after {cpu:.0f} CPU s, {now - last_progress:.0f} s without CPU"
            )
        time.sleep(0.5)
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    result = subprocess.CompletedProcess(
        process.args, process.returncode, streams["out"], streams["err"]
    )
    return result, time.monotonic() - started, usage.ru_maxrss / 1024


def test_one_run_over_hostile_and_good_files(tmp_path: Path) -> None:
    folder, outside, store = tmp_path / "corpus", tmp_path / "outside", tmp_path / "store"
    hostile, good = write_corpus(folder, outside)
    assert len(hostile) >= 40
    earlier, later = good[:3], good[3:]
    # First an index holding some good files, as a council's would before a bad day.
    staging = tmp_path / "first"  # the later files wait here while the earlier are ingested
    staging.mkdir()
    keep = {g.name for g in earlier}
    moved = [entry for entry in folder.iterdir() if entry.name not in keep]
    for entry in moved:
        entry.rename(staging / entry.name)
    first, _, _ = run_ingest(store, folder)
    assert first.returncode == 0, first.stderr
    assert sorted(json.loads(first.stdout)["added"]) == sorted(g.name for g in earlier)
    for entry in moved:
        (staging / entry.name).rename(entry)

    result, seconds, peak_mb = run_ingest(store, folder)
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    assert result.returncode == 3, result.stderr  # partial: files were skipped, the rest indexed
    report = json.loads(result.stdout)
    skipped = {s["path"]: s["reason"] for s in report["skipped"]}

    # Every file meant to hurt was skipped with a one-line reason; nothing good was lost.
    for item in hostile:
        if item.must_skip:
            assert item.name in skipped, f"{item.name} ({item.attack}) was not skipped"
            reason = skipped[item.name]
            assert reason.strip() and "\n" not in reason and len(reason) < 400, (item.name, reason)
    assert "link-loop-b.md" in skipped
    assert set(report["unchanged"]) >= {g.name for g in earlier}
    assert set(report["added"]) >= {g.name for g in later}
    harmless = {h.name for h in hostile if not h.must_skip}
    assert harmless <= set(report["added"]) | set(skipped), harmless - set(report["added"])
    assert {"link-inside.md", "wrong-markdown-named.txt", "md-yaml-python-tag.md"} <= set(
        report["added"]
    )
    assert not Path("/tmp/hostile-yaml-ran").exists()  # the YAML tag never ran

    # Contained: files are judged by the CPU they use, so a busy machine neither skips a good
    # file nor fails this run: no parse hung (no CPU used for the backstop) or killed a worker,
    # and memory stayed bounded. (A parse stopped at its CPU time is a skip users see above.)
    workers = report["parser"]
    assert workers["timeouts"] == 0 and workers["crashes"] == 0, workers
    assert 0 < workers["peak_rss_mb"] < Settings().ingest.limits.parse_memory_mb, workers
    assert peak_mb < RSS_BOUND_MB, f"peak RSS {peak_mb:.0f} MB"
    print(
        f"\nhostile run: {len(hostile)} hostile + {len(good)} good files in {seconds:.1f} s,"
        f" peak RSS {peak_mb:.0f} MB (worker {workers['peak_rss_mb']:.0f} MB)"
    )

    # Nothing from outside the folder, or from the system, reached the index.
    texts = stored_texts(str(store))
    everything = "\n".join(texts.values())
    assert "root:x:0:0" not in everything and "outside folder's secret" not in everything
    for g in good:
        assert any(g.fact in text for text in texts.values()), g.name

    # And the index answers from the good files, old and new.
    ask = run_cli("ask", "--store", str(store), "--json", later[0].question)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    assert not answer["refused"] and later[0].name in {
        c["document_id"] for c in answer["citations"]
    }


def test_a_file_that_stops_being_readable_keeps_its_indexed_version(
    tmp_path: Path, embedder
) -> None:
    """A document whose file turns hostile is skipped; its indexed version stays."""
    from index.ingest import ingest

    folder = tmp_path / "docs"
    folder.mkdir()
    page = folder / "garden.md"
    page.write_text(f"# Garden\n\n{GOOD[0].fact}\n")
    settings = Settings(store=str(tmp_path / "store"))
    assert ingest([folder], settings, embedder_factory=lambda: embedder).added == ["garden.md"]
    page.write_bytes(b"---\n" + b"k: v\n" * 40_000 + b"---\nbody\n")  # front matter over 64 KB
    report = ingest([folder], settings, embedder_factory=lambda: embedder)
    assert [s["path"] for s in report.skipped] == [
        "garden.md"
    ] and "front matter" in report.skipped[0]["reason"]
    assert GOOD[0].fact in stored_texts(settings.store)["garden.md"]
