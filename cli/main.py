"""``python -m assistant <command>``: ingest, status, ask, eval, gaps, serve.

Every command takes ``--store DIR|http://HOST:PORT`` and ``--json``. Errors become one clear
line on stderr and a non-zero exit code:

    0  done
    1  failed (the message says why)
    2  bad usage (unknown command or option, unreadable --history)
    3  partial ingest: some files were skipped, the reasons are listed, the rest is indexed
    4  serve: the address cannot be listened on (port in use, no permission); checked first
  130  interrupted (Ctrl-C)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from cli import commands
from cli.commands import EXIT_ADDRESS, EXIT_FAILURE, EXIT_PARTIAL, EXIT_USAGE
from core.errors import AssistantError, ServeError
from core.settings import Settings, set_offline_environment
from evals.cli import add_eval_arguments  # argparse only: cheap to import
from ui.gaps.command import add_gaps_arguments  # argparse only: cheap to import

__all__ = [
    "COMMANDS",
    "EXIT_ADDRESS",
    "EXIT_FAILURE",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "build_parser",
    "main",
]

Command = Callable[[argparse.Namespace, Settings], int]

COMMANDS: dict[str, Command] = {
    "ingest": commands.ingest,
    "status": commands.status,
    "ask": commands.ask,
    "eval": commands.evaluate,
    "gaps": commands.gaps,
    "serve": commands.serve,
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--store", help="Chroma folder, or http://HOST:PORT of a `chroma run` server"
    )
    parser.add_argument("--collection", help="collection name (default: council_docs)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Answers questions from council documents, with checked citations.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)

    ingest = subparsers.add_parser("ingest", help="add or update documents in the index")
    ingest.add_argument(
        "paths", nargs="*", type=Path, help="files or folders (default: the corpus)"
    )
    ingest.add_argument("--rebuild", action="store_true", help="drop the collection first")
    _common(ingest)

    status = subparsers.add_parser("status", help="what the index holds")
    _common(status)

    ask = subparsers.add_parser("ask", help="ask a question")
    ask.add_argument("question")
    ask.add_argument("--backend", choices=["extractive", "llamacpp", "openai"])
    ask.add_argument("--history", type=Path, help="JSON file: [{question, answer}, ...]")
    ask.add_argument("--document", action="append", help="only this document id (repeatable)")
    ask.add_argument("--publisher", help="only documents whose publisher contains this")
    ask.add_argument("--year-from", type=int)
    ask.add_argument("--year-to", type=int)
    ask.add_argument(
        "--as-groups",
        metavar="GROUPS",
        help="answer as a user in these access groups (comma-separated; '' = public documents"
        " only), as the web app would for them; without it the command line sees every document",
    )
    _common(ask)

    evaluate = subparsers.add_parser("eval", help="answer-quality evaluation")
    add_eval_arguments(evaluate)
    _common(evaluate)

    gaps = subparsers.add_parser("gaps", help="questions the documents could not answer, by topic")
    add_gaps_arguments(gaps)
    _common(gaps)

    serve = subparsers.add_parser("serve", help="the web app and HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="app processes sharing the port and the store (default 1)",
    )
    _common(serve)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(store=args.store, collection=args.collection)


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args, settings_from_args(args))
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ADDRESS
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
