"""Answers per second against app workers (``serve --workers N``), on loopback only.

    python benchmarks/bench_load.py [--store DIR|URL] [--workers 1,2] [--concurrency 1,2,4]
                                    [--requests 40] [--max-seconds 90] [--json]

For each worker count it starts a real ``python -m assistant serve --workers N`` over the
same store, waits until ``/healthz`` answers, warms every worker, then for each concurrency
sends a bounded number of golden questions (``evals/golden.jsonl``, answerable ones, in a fixed
order) to ``POST /api/ask`` from that many client threads, stopping early at ``--max-seconds``.
It prints answers per second, p50 and p95 latency per (workers, concurrency), the server's
CPU seconds per answer and the cores it was given (CPU over wall: on a machine other jobs
load, this says how much of the machine the figures had), the best
throughput each worker count reaches with p95 under 1 s, and the same-run ratio of each worker
count to one worker (goal: 2 workers >= 1.6x one worker on 2 cores). Without ``--store`` it
indexes a few documents of the default corpus into ``.assistant/bench-load/store`` once.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import percentile  # noqa: E402

P95_GOAL_S = 1.0
SAMPLE_DOCS = (
    "govuk-service-standard.md",
    "techuk-demystifying-the-smart-city-news.md",
    "ncsc-zero-trust-architecture-principles.md",
)


def questions() -> list[str]:
    rows = [
        json.loads(line)
        for line in (ROOT / "evals" / "golden.jsonl").read_text().splitlines()
        if line.strip()
    ]
    return [r["question"] for r in rows if not r.get("must_refuse") and not r.get("history")]


def default_store(workdir: Path) -> str:
    """A small embedded store of three corpus documents, built once and reused."""
    from core.settings import DEFAULT_CORPUS, Settings
    from index.ingest import ingest

    store = workdir / "store"
    if not (store / "chroma.sqlite3").exists():
        folder = workdir / "docs"
        folder.mkdir(parents=True, exist_ok=True)
        for name in SAMPLE_DOCS:
            (folder / name).write_bytes((DEFAULT_CORPUS / name).read_bytes())
        print(f"indexing {len(SAMPLE_DOCS)} corpus documents into {store} ...", file=sys.stderr)
        ingest([folder], Settings(store=str(store)))
    return str(store)


def start_server(store: str, workers: int, port: int) -> subprocess.Popen:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        ASSISTANT_UI__RATE_LIMIT_PER_MINUTE="1000000",  # the benchmark is one client
        ASSISTANT_UI__FEEDBACK_DB=str(ROOT / ".assistant" / "bench-load" / "feedback.sqlite3"),
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant",
            "serve",
            "--store",
            store,
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_ready(client: object, url: str, process: subprocess.Popen, timeout_s: float = 900) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with code {process.returncode}")
        try:
            if client.get(f"{url}/healthz", timeout=30).status_code == 200:  # type: ignore[attr-defined]
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(1.0)
    raise SystemExit(f"the server was not ready after {timeout_s:.0f} s")


def load(url: str, asks: list[str], concurrency: int, requests: int, max_seconds: float) -> dict:
    """``requests`` questions from ``concurrency`` threads (fewer if ``max_seconds`` runs out)."""
    import httpx

    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    counter = iter(range(requests))
    stop_at = time.monotonic() + max_seconds

    def client() -> None:
        with httpx.Client(timeout=60) as http:
            while time.monotonic() < stop_at:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                started = time.perf_counter()
                try:
                    ok = (
                        http.post(
                            f"{url}/api/ask", json={"question": asks[n % len(asks)]}
                        ).status_code
                        == 200
                    )
                except httpx.HTTPError:
                    ok = False
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - started)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "answers": len(latencies),
        "errors": errors[0],
        "seconds": round(wall, 2),
        "answers_per_s": round(len(latencies) / wall, 2) if wall else 0.0,
        "p50_s": round(percentile(latencies, 0.5), 3) if latencies else None,
        "p95_s": round(percentile(latencies, 0.95), 3) if latencies else None,
    }


def tree_cpu_s(pid: int, depth: int = 0) -> float:
    """CPU seconds (user + system) of a process and its descendants so far, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            kids = [int(k) for k in handle.read().split()]
    except (OSError, ValueError, IndexError):
        return 0.0
    return total + sum(tree_cpu_s(k, depth + 1) for k in kids if depth < 3)


def measured_load(
    pid: int, url: str, asks: list[str], concurrency: int, requests: int, max_seconds: float
) -> dict:
    """``load`` plus the server's CPU: seconds per answer, and how many cores it was given
    (CPU seconds over wall seconds), which says what the machine's other jobs left it."""
    before = tree_cpu_s(pid)
    run = load(url, asks, concurrency, requests, max_seconds)
    used = tree_cpu_s(pid) - before
    run["server_cpu_s_per_answer"] = round(used / run["answers"], 3) if run["answers"] else None
    run["server_cores_used"] = round(used / run["seconds"], 2) if run["seconds"] else None
    return run


def measure_workers(store: str, workers: int, args: argparse.Namespace, asks: list[str]) -> dict:
    import httpx

    from tests.servers import free_port

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_server(store, workers, port)
    started = time.perf_counter()
    try:
        with httpx.Client() as http:
            wait_ready(http, url, process)
        ready_s = time.perf_counter() - started
        load(url, asks, workers * 2, workers * 4, 300)  # every worker answers a few first
        runs = [
            measured_load(process.pid, url, asks, c, args.requests, args.max_seconds)
            for c in args.concurrency
        ]
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
    within = [
        r for r in runs if r["p95_s"] is not None and r["p95_s"] < P95_GOAL_S and not r["errors"]
    ]
    best = max((r["answers_per_s"] for r in within), default=None)
    return {
        "workers": workers,
        "ready_s": round(ready_s, 1),
        "runs": runs,
        "best_answers_per_s_p95_under_1s": best,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--store", help="a store to serve (default: three corpus documents, built once)"
    )
    parser.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    parser.add_argument("--concurrency", default="1,2,4", help="client threads, comma-separated")
    parser.add_argument(
        "--requests", type=int, default=40, help="questions per (workers, concurrency)"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=90.0, help="time limit per (workers, concurrency)"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    args.concurrency = [int(c) for c in args.concurrency.split(",") if c]

    from core.settings import set_offline_environment

    set_offline_environment()
    store = args.store or default_store(ROOT / ".assistant" / "bench-load")
    asks = questions()
    results = [measure_workers(store, int(w), args, asks) for w in args.workers.split(",") if w]
    base = results[0]
    for row in results:
        row["ratio_to_first"] = {
            str(r["concurrency"]): round(r["answers_per_s"] / b["answers_per_s"], 2)
            if b["answers_per_s"]
            else None
            for r, b in zip(row["runs"], base["runs"])
        }
        if row["best_answers_per_s_p95_under_1s"] and base["best_answers_per_s_p95_under_1s"]:
            row["best_ratio_to_first"] = round(
                row["best_answers_per_s_p95_under_1s"] / base["best_answers_per_s_p95_under_1s"], 2
            )
    summary = {
        "store": store,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": results,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"store {store}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(
        f"{'workers':>8}{'clients':>8}{'answers':>8}{'errors':>7}{'ans/s':>8}{'p50 s':>8}{'p95 s':>8}{'x first':>8}"
        f"{'CPU s/ans':>10}{'cores':>7}"
    )
    for row in results:
        for run in row["runs"]:
            ratio = row["ratio_to_first"][str(run["concurrency"])]
            print(
                f"{row['workers']:>8}{run['concurrency']:>8}{run['answers']:>8}{run['errors']:>7}"
                f"{run['answers_per_s']:>8}{run['p50_s']!s:>8}{run['p95_s']!s:>8}{ratio!s:>8}"
                f"{run['server_cpu_s_per_answer']!s:>10}{run['server_cores_used']!s:>7}"
            )
        print(
            f"  {row['workers']} worker(s): ready in {row['ready_s']} s; best answers/s with p95 < 1 s:"
            f" {row['best_answers_per_s_p95_under_1s']} (x first: {row.get('best_ratio_to_first')})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
