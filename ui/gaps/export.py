"""The gaps report as text, CSV (for a spreadsheet) and new golden-set rows.

CSV: one row per topic, the other questions last; UTF-8 with a byte-order mark, so Excel reads
accents and pound signs right; several examples or documents in one cell are separated by line
breaks (the cell is quoted); a cell that a spreadsheet would run as a formula (``=``, ``+``,
``-``, ``@``, tab or carriage return first) starts with an apostrophe instead.

Golden rows follow ``evals/golden.jsonl`` (see ``evals/GOLDEN.md``) and are marked as needing
an author: the reference answer, key facts and expected documents are empty until a document
answers the question, so ``python -m evals.validate_golden`` lists them as incomplete.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from typing import Any

from core.pii import redact_text
from ui.gaps.report import GapReport, Topic

CSV_COLUMNS = (
    "topic",
    "label",
    "keywords",
    "questions",
    "refused",
    "rated_down",
    "followed_up",
    "first_seen",
    "last_seen",
    "example_questions",
    "closest_documents",
    "publishers",
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEEDS_AUTHOR = "NEEDS AUTHOR"
SIGNAL_WORDS = {"refused": "refused", "rated_down": "rated down", "followed_up": "followed up"}


def spreadsheet_safe(value: Any) -> Any:
    """A text cell that cannot run as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_rows(report: GapReport) -> list[dict[str, Any]]:
    rows = []
    for topic in report.all_topics:
        rows.append(
            {
                "topic": topic.number or "other",
                "label": topic.label,
                "keywords": ", ".join(topic.keywords),
                "questions": topic.size,
                **{
                    name: topic.signals.get(name, 0)
                    for name in ("refused", "rated_down", "followed_up")
                },
                "first_seen": topic.first_seen,
                "last_seen": topic.last_seen,
                "example_questions": "\n".join(topic.examples),
                "closest_documents": "\n".join(
                    f"{d.title} ({d.document_id})" + (f", {d.publisher}" if d.publisher else "")
                    for d in topic.documents
                ),
                "publishers": "\n".join(topic.publishers),
            }
        )
    return rows


def to_csv(report: GapReport, bom: bool = True) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=CSV_COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    writer.writeheader()
    for row in csv_rows(report):
        writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
    return ("\ufeff" if bom else "") + out.getvalue()


def golden_rows(report: GapReport) -> list[dict[str, Any]]:
    """Each distinct question of the report as a golden-set row awaiting its author."""
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for topic in report.all_topics:
        for n, asked in enumerate(topic.questions, 1):
            question = redact_text(asked.question)
            key = " ".join(question.casefold().split())
            if key in seen:
                continue
            seen.add(key)
            follow_up = "followed_up" in asked.signals and bool(asked.history)
            rows.append(
                {
                    "id": f"gap-{topic.number or 'other'}-{n:03d}",
                    "type": "followup" if follow_up else "answerable",
                    "question": question,
                    "history": [{"question": redact_text(h), "answer": ""} for h in asked.history]
                    if follow_up
                    else [],
                    "expected_documents": [],
                    "expected_section": "",
                    "key_facts": [],
                    "must_refuse": False,
                    "reference_answer": "",
                    "notes": _note(topic, asked.signals, asked.notes),
                }
            )
    return rows


def _note(topic: Topic, signals: Collection[str], reasons: list[str]) -> str:
    what = " and ".join(
        SIGNAL_WORDS[s] for s in ("refused", "rated_down", "followed_up") if s in signals
    )
    where = f"topic {topic.number} '{topic.label}'" if topic.number else "the other questions"
    owners = ", ".join(f"{d.title} ({d.publisher or 'no publisher'})" for d in topic.documents)
    parts = [
        f"{NEEDS_AUTHOR}: write the reference answer, key facts and expected documents once a"
        " document answers this (or make it an unanswerable row).",
        f"From the gaps report: {what}; {where}.",
    ]
    if owners:
        parts.append(f"Closest documents now: {owners}.")
    if reasons:
        parts.append("Officer's reason: " + redact_text("; ".join(reasons))[:300])
    return " ".join(parts)


def to_text(report: GapReport) -> str:
    period = f"{report.since[:10] or 'the start'} to {report.until[:10] or 'now'}"
    totals = ", ".join(f"{report.signals.get(s, 0)} {w}" for s, w in SIGNAL_WORDS.items())
    lines = [
        f"Gaps report, {period}: {report.questions} question(s) ({totals}), {len(report.topics)} topic(s)"
    ]
    if report.truncated:
        lines.append(
            f"  ({report.truncated} older question(s) left out: raise gaps.max_questions to include them)"
        )
    for topic in report.all_topics:
        counts = ", ".join(
            f"{topic.signals.get(s, 0)} {w}"
            for s, w in SIGNAL_WORDS.items()
            if topic.signals.get(s)
        )
        head = f"{topic.number}. {topic.label}" if topic.number else topic.label
        lines.append(f"\n{head}\n   {topic.size} question(s): {counts}")
        if topic.keywords:
            lines.append("   keywords: " + ", ".join(topic.keywords))
        lines += [f"   - {e}" for e in topic.examples]
        for d in topic.documents:
            lines.append(
                f"   closest: {d.title} ({d.document_id})"
                + (f", owner {d.publisher}" if d.publisher else "")
            )
    return "\n".join(lines)
