"""``python -m assistant <command>``: ingest, status, ask, eval, serve.

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
import json
import sys
import time
from pathlib import Path
from typing import Any

from core.errors import AssistantError, ServeError
from core.settings import Settings, set_offline_environment

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_ADDRESS = 4


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="Chroma folder, or http://HOST:PORT of a `chroma run` server")
    parser.add_argument("--collection", help="collection name (default: council_docs)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m assistant",
        description="Answers questions from council documents, with checked citations.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    ingest = commands.add_parser("ingest", help="add or update documents in the index")
    ingest.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the corpus)")
    ingest.add_argument("--rebuild", action="store_true", help="drop the collection first")
    _common(ingest)

    status = commands.add_parser("status", help="what the index holds")
    _common(status)

    ask = commands.add_parser("ask", help="ask a question")
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

    evaluate = commands.add_parser("eval", help="answer-quality evaluation")
    from evals.cli import add_eval_arguments  # argparse only: cheap to import

    add_eval_arguments(evaluate)
    _common(evaluate)

    serve = commands.add_parser("serve", help="the web app and HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers", type=int, default=1, help="app processes sharing the port and the store (default 1)"
    )
    _common(serve)
    return parser


def settings_from_args(args: argparse.Namespace) -> Settings:
    return Settings().with_overrides(store=args.store, collection=args.collection)


def main(argv: list[str] | None = None) -> int:
    set_offline_environment()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = settings_from_args(args)
        handler = globals()[f"_cmd_{args.command}"]
        return handler(args, settings)
    except ServeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ADDRESS
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def _cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from index.ingest import ingest

    paths = args.paths or [settings.corpus_dir]
    report = ingest(paths, settings, progress=not args.json and sys.stderr.isatty(), rebuild=args.rebuild)
    data = report.to_dict()
    if report.added or report.updated or report.removed:
        # Refusal levels for the new content, worked out now (and saved beside the store) so
        # the first question after an ingest does not pay for them.
        from assistant.pipeline import Assistant

        started = time.perf_counter()
        try:
            calibration = Assistant(settings).calibration()
        except AssistantError:  # the ingest stands; the first question will calibrate instead
            calibration = None
        if calibration is not None:
            data["calibration"] = {**calibration.as_dict(), "seconds": round(time.perf_counter() - started, 2)}
    lines = [
        f"Ingested into {report.store} (collection {report.collection}) in {report.seconds:.1f} s:",
        f"  {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.removed)} removed, "
        f"{report.chunks_embedded} chunks embedded",
    ]
    for skip in report.skipped:
        lines.append(f"  skipped {skip['path']}: {skip['reason']}")
    if report.partial:
        lines.append(f"Partial: {len(report.skipped)} file(s) skipped; everything else is indexed.")
    _emit(data, args.json, "\n".join(lines))
    return EXIT_PARTIAL if report.partial else 0


def _cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from index.status import index_status

    status = index_status(settings)
    lines = [
        f"Store:       {status['store']} (collection {status['collection']})",
        f"Documents:   {status['documents']}",
        f"Chunks:      {status['chunks']}",
        f"Embed model: {status['embed_model']}",
        f"Last ingest: {status['last_ingest'] or 'never'}",
    ]
    for doc in status["document_list"]:
        lines.append(f"  - {doc['path']}: {doc['title'][:70]} ({doc['chunks']} chunks)")
    _emit(status, args.json, "\n".join(lines))
    return 0


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.pipeline import Assistant, Filters
    from core.types import EVERYONE, Access, Turn

    if args.backend:
        settings = settings.model_copy(
            update={"answer": settings.answer.model_copy(update={"backend": args.backend})}
        )
    history: list[Turn] = []
    if args.history:
        try:
            rows = json.loads(args.history.read_text())
            history = [Turn(str(r.get("question", "")), str(r.get("answer", ""))) for r in rows]
        except (OSError, ValueError, AttributeError) as exc:
            print(f"error: cannot read --history {args.history}: {exc}", file=sys.stderr)
            return EXIT_USAGE
    filters = Filters(
        documents=tuple(args.document or ()),
        publisher=args.publisher,
        year_from=args.year_from,
        year_to=args.year_to,
    )
    access = EVERYONE
    if args.as_groups is not None:
        groups = frozenset(g.strip() for g in args.as_groups.split(",") if g.strip())
        access = Access(user="command-line", groups=groups)
    answer = Assistant(settings).ask(args.question, history=history, filters=filters, access=access)
    if args.json:
        _emit(answer.to_dict(), True, "")
        return 0
    from assistant.render import answer_as_text

    print(answer_as_text(answer))
    return 0


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from evals.cli import run_eval_command

    return run_eval_command(args, settings)


def _cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve

    ui = settings.ui.model_copy(
        update={k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    )
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    serve(settings.model_copy(update={"ui": ui}), workers=args.workers)
    return 0
