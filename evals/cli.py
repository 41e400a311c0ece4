"""``python -m assistant eval``: run the evaluation, gate on it, or compare two runs.

Kept import-light: building the CLI parser imports only this module and argparse; the
evaluation machinery loads when the command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from core.settings import Settings

EVALS_DIR = Path(__file__).resolve().parent
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "action",
        nargs="*",
        metavar="compare A B",
        help="'compare RUN_A RUN_B': what changed between two runs (folders or JSON files)",
    )
    parser.add_argument(
        "--dataset",
        type=Path,
        help="golden set (JSONL) or LlamaIndex rag_dataset.json (default: evals/golden.jsonl)",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        help="folder of the dataset's documents (default: the corpus setting for JSONL,"
        " the dataset's folder for rag_dataset.json)",
    )
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--subset", help="a named subset from the thresholds file (e.g. ci)")
    parser.add_argument("--out", type=Path, help="report folder (default: evals/runs/<timestamp>)")
    parser.add_argument(
        "--gate", action="store_true", help="exit 1 when a figure misses its threshold"
    )
    parser.add_argument(
        "--thresholds",
        type=Path,
        default=EVALS_DIR / "thresholds.json",
        help="gate thresholds and subsets (default: evals/thresholds.json)",
    )
    parser.add_argument("--backend", choices=["extractive", "llamacpp", "openai"])
    parser.add_argument(
        "--no-baselines", action="store_true", help="skip the llama-index baselines"
    )
    parser.add_argument(
        "--baseline-top-k",
        type=int,
        default=2,
        help="passages each baseline retrieves (default 2, llama-index's default)",
    )
    parser.add_argument("--no-judge", action="store_true", help="skip LLM-judged figures")
    parser.add_argument(
        "--cache",
        type=Path,
        help="embedding cache for the baselines (default: eval-cache/ inside a --store folder,"
        " else inside --out, else .assistant/eval-cache/)",
    )
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar on stderr (there is none when stderr is not a terminal)",
    )
    parser.add_argument("--all", action="store_true", help="compare: list unchanged figures too")
    parser.add_argument(
        "--create",
        action="store_true",
        help="make the --store folder when it does not exist (without it a missing store is an"
        " error, as for ask and status: a mistyped path must not start a fresh ingest)",
    )


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    if args.action:
        return _compare_command(args)
    from evals.gate import check_gate, gate_text
    from evals.report import write_report
    from evals.runner import DEFAULT_DATASET, EvalConfig, default_cache, load_thresholds, run_eval

    if args.backend:
        answer = settings.answer.model_copy(update={"backend": args.backend})
        settings = settings.model_copy(update={"answer": answer})
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    if not args.create:
        refuse_missing_store(settings.store)
    config = EvalConfig(
        dataset=args.dataset or DEFAULT_DATASET,
        corpus=args.corpus,
        limit=args.limit,
        subset=args.subset,
        thresholds=args.thresholds,
        collection=args.collection,
        baselines=not args.no_baselines,
        baseline_top_k=args.baseline_top_k,
        judge=not args.no_judge,
        cache_file=args.cache or default_cache(settings.store, args.store is not None, args.out),
        progress=not args.no_progress and sys.stderr.isatty(),  # no \r lines in a log file
    )
    run = run_eval(config, settings)
    gate = check_gate(run.flat, load_thresholds(config.thresholds)) if args.gate else None
    out = args.out or _default_out()
    paths = write_report(run, out, gate)
    if args.json:
        print(json.dumps(_json_summary(run, out, paths, gate), indent=2, ensure_ascii=False))
    else:
        print(_text_summary(run, out, paths))
        if gate:
            print(gate_text(gate))
    return EXIT_GATE_FAILED if gate and not gate["passed"] else 0


def refuse_missing_store(location: str) -> None:
    """A store folder that is not there is a ``StoreError`` (one line, exit 1, like ``ask``);
    a server's own collections are created by the evaluation as before."""
    from core.errors import StoreError
    from index.store import describe_store, is_remote

    if is_remote(location) or (Path(location) / "chroma.sqlite3").is_file():
        return
    raise StoreError(
        f"no store at {describe_store(location)}: check --store, or add --create to make a new"
        " one for the evaluation (only `ingest` and `eval --create` create a store)"
    )


def _default_out() -> Path:
    base = EVALS_DIR / "runs" / datetime.now().strftime("%Y%m%d-%H%M%S")
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    return out


def _json_summary(run: Any, out: Path, paths: dict[str, str], gate: dict | None) -> dict[str, Any]:
    from evals.aggregate import nested

    tree = nested(run.flat)
    return {
        **run.flat,
        "baselines": tree.get("baselines", {}),
        "ratios": tree.get("ratios", {}),
        "failures": sum(1 for r in run.rows if not r["passed"]),
        "run_dir": str(out),
        "reports": paths,
        "seconds": run.meta["seconds"],
        "collection": run.meta["collection"],
        "judge": run.meta["judge"],
        "gate": gate,
    }


def _text_summary(run: Any, out: Path, paths: dict[str, str]) -> str:
    from evals.report import metric_table

    header, rows = metric_table(run)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    lines = [
        f"Evaluated {run.meta['questions_selected']} questions of {run.meta['dataset']}"
        f" in {run.meta['seconds']['total']:.1f} s (collection {run.meta['collection']})",
        "  ".join(h.ljust(w) for h, w in zip(header, widths)),
    ]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows]
    failed = sum(1 for r in run.rows if not r["passed"])
    lines.append(f"{failed} of {len(run.rows)} questions failed; report: {paths['html']}")
    lines.append(f"Run folder: {out}")
    return "\n".join(lines)


def _compare_command(args: argparse.Namespace) -> int:
    from evals.compare import compare, compare_text, load_run

    if args.action[0] != "compare" or len(args.action) != 3:
        print("error: usage: python -m assistant eval compare RUN_A RUN_B", file=sys.stderr)
        return EXIT_USAGE
    result = compare(load_run(Path(args.action[1])), load_run(Path(args.action[2])))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print(compare_text(result, show_same=args.all))
    return 0
