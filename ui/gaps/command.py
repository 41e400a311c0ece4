"""``python -m assistant gaps``: the gaps report on the command line (the CLI wires this in).

    gaps [--since DATE] [--until DATE] [--store ...] [--db FILE] [--as-groups G,...]
         [--json | --csv | --golden] [--out FILE]

Dates are ``YYYY-MM-DD`` (UTC; ``--until`` includes that whole day) or ISO date-times.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.settings import Settings
from core.types import EVERYONE, Access


def parse_moment(value: str, end_of_day: bool = False) -> str:
    """An ISO UTC time stamp, as the stores write them; a plain date is its midnight (or the
    next midnight with ``end_of_day``, so ``--until 2026-03-31`` includes the 31st)."""
    text = value.strip()
    try:
        if len(text) == 10:
            moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            if end_of_day:
                moment += timedelta(days=1)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def add_gaps_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=parse_moment, help="from this date (YYYY-MM-DD, UTC)")
    parser.add_argument(
        "--until",
        type=lambda v: parse_moment(v, end_of_day=True),
        help="up to and including this date (YYYY-MM-DD, UTC)",
    )
    parser.add_argument(
        "--db", type=Path, help="the web app's database (default: settings.ui.feedback_db)"
    )
    parser.add_argument(
        "--as-groups",
        metavar="GROUPS",
        help="name only documents users in these access groups may see (comma-separated)",
    )
    formats = parser.add_mutually_exclusive_group()
    formats.add_argument("--csv", action="store_true", help="one row per topic, for a spreadsheet")
    formats.add_argument(
        "--golden", action="store_true", help="new golden-set rows (JSONL) awaiting an author"
    )
    parser.add_argument("--out", type=Path, help="write to this file instead of stdout")


def run_gaps_command(args: argparse.Namespace, settings: Settings) -> int:
    from ui.gaps import report_for
    from ui.gaps.export import golden_rows, to_csv, to_text

    args.since, args.until = args.since or "", args.until or ""
    if args.since and args.until and args.since >= args.until:
        print("error: --since is not before --until", file=sys.stderr)
        return 2
    access = EVERYONE
    if args.as_groups is not None:
        access = Access(
            user="command-line",
            groups=frozenset(g.strip() for g in args.as_groups.split(",") if g.strip()),
        )
    report = report_for(settings, args.since, args.until, access, database=args.db)
    if args.csv:
        text = to_csv(report)
    elif args.golden:
        text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in golden_rows(report))
    elif args.json:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = to_text(report) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8", newline="")
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
