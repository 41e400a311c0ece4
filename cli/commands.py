"""One function per command: read the parsed arguments, call the layers below, print.

Each imports what it needs when it runs, so ``status`` and ``--help`` load no model.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from core.settings import Settings

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_ADDRESS = 4


def _emit(data: Any, as_json: bool, text: str) -> None:
    if as_json:
        print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
    else:
        print(text)


def ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.maintenance import ingest_and_calibrate

    paths = args.paths or [settings.corpus_dir]
    progress = not args.json and sys.stderr.isatty()
    report, calibration = ingest_and_calibrate(
        paths, settings, progress=progress, rebuild=args.rebuild
    )
    data = report.to_dict()
    if calibration is not None:
        data["calibration"] = calibration
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


def status(args: argparse.Namespace, settings: Settings) -> int:
    from index.status import status_of

    found = status_of(settings)
    lines = [
        f"Store:       {found.store} (collection {found.collection})",
        f"Documents:   {len(found.document_list)}",
        f"Chunks:      {found.chunks}",
        f"Embed model: {found.embed_model}",
        f"Last ingest: {found.last_ingest or 'never'}",
    ]
    for doc in found.document_list:
        lines.append(f"  - {doc.meta.path}: {doc.meta.title[:70]} ({doc.chunks} chunks)")
    _emit(found.to_dict(), args.json, "\n".join(lines))
    return 0


def ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.pipeline import Assistant
    from core.types import EVERYONE, Access, Filters, Turn

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


def evaluate(args: argparse.Namespace, settings: Settings) -> int:
    from evals.cli import run_eval_command

    return run_eval_command(args, settings)


def gaps(args: argparse.Namespace, settings: Settings) -> int:
    from ui.gaps.command import run_gaps_command

    return run_gaps_command(args, settings)


def serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.app import serve as serve_app

    ui = settings.ui.model_copy(
        update={k: v for k, v in {"host": args.host, "port": args.port}.items() if v is not None}
    )
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    serve_app(settings.model_copy(update={"ui": ui}), workers=args.workers)
    return 0
