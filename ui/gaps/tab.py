"""The web app's Gaps tab: the gaps report for admins (the admin token, as for Documents).

Nothing of the report reaches the page until the token is checked on the server; the
documents it names are the ones the admin's own access groups let them see (the store applies
the groups in the search, as for a question). The CSV and golden-set rows download from
files written for this request only.
"""

from __future__ import annotations

import tempfile
from argparse import ArgumentTypeError
from pathlib import Path
from typing import Any, Optional

import gradio as gr

from core.errors import AssistantError
from core.types import EVERYONE
from ui.gaps.command import parse_moment
from ui.gaps.export import SIGNAL_WORDS, golden_rows, to_csv
from ui.gaps.report import GapReport
from ui.render import html_text, markdown_text
from ui.security import AdminError
from ui.services import Services

PRIVATE: dict[str, Any] = {"api_visibility": "private"}
INTRO = (
    "## Gaps in the documents\n"
    "Questions the documents could not answer, answers rated down, and follow-ups asked right"
    " after an answer, grouped by topic, with the closest documents and who publishes them."
    " Needs the admin token."
)


def gaps_tab(services: Services) -> None:
    """The tab (call inside the app's ``gr.Tabs``)."""
    with gr.Tab("Gaps", id="gaps"):
        gr.Markdown(INTRO, elem_id="gaps-intro")
        if not services.guard.enabled:
            gr.Markdown(
                "The gaps report is disabled: no admin token is configured.",
                elem_id="gaps-disabled",
            )
            return
        token = gr.Textbox(label="Admin token", type="password", elem_id="gaps-token")
        with gr.Row():
            since = gr.Textbox(
                label="From (YYYY-MM-DD, optional)", elem_id="gaps-since", max_lines=1
            )
            until = gr.Textbox(
                label="To, inclusive (YYYY-MM-DD, optional)", elem_id="gaps-until", max_lines=1
            )
        show = gr.Button("Show the gaps report", variant="primary", elem_id="gaps-button")
        status = gr.Markdown("", elem_id="gaps-status")
        table = gr.HTML(elem_id="gaps-report")
        with gr.Row():
            csv_file = gr.File(
                label="CSV (opens in a spreadsheet)", visible=False, elem_id="gaps-csv"
            )
            golden_file = gr.File(
                label="New golden-set rows (JSONL)", visible=False, elem_id="gaps-golden"
            )
        show.click(
            gaps_view(services),
            [token, since, until],
            [status, table, csv_file, golden_file],
            **PRIVATE,
        )


def gaps_view(services: Services):
    def view(token: str, since: str, until: str, request: Optional[gr.Request] = None):  # noqa: UP045 - Gradio's form
        hidden = gr.update(value=None, visible=False)
        try:
            services.guard.check(token)
            start = parse_moment(since) if (since or "").strip() else ""
            end = parse_moment(until, end_of_day=True) if (until or "").strip() else ""
        except AdminError as exc:
            return markdown_text(f"Refused: {exc}"), "", hidden, hidden
        except ArgumentTypeError as exc:
            return markdown_text(f"Not shown: {exc}"), "", hidden, hidden
        access = services.access(request) if request is not None else EVERYONE
        try:
            report = report_from_services(services, start, end, access)
        except AssistantError as exc:
            return markdown_text(f"Failed: {exc}"), "", hidden, hidden
        csv_path, golden_path = _downloads(report)
        message = f"{report.questions} question(s) in {len(report.topics)} topic(s)."
        return (
            message,
            report_table(report),
            gr.update(value=str(csv_path), visible=True),
            gr.update(value=str(golden_path), visible=True),
        )

    return view


def report_from_services(services: Services, since: str, until: str, access: Any) -> GapReport:
    """The report from the app's own database, embedder and store (nothing loads twice)."""
    from ui.gaps.log import read_signals
    from ui.gaps.report import build_report

    settings = services.settings
    signals = read_signals(settings.ui.feedback_db, since, until, settings.gaps.followup_window_s)
    assistant = services.assistant
    return build_report(
        signals, assistant.embedder, assistant.store, settings.gaps, access, since, until
    )


def report_table(report: GapReport) -> str:
    """The report as an accessible HTML table, every string escaped."""
    if not report.questions:
        return '<p class="gaps-empty">No refused, rated-down or followed-up questions in this period.</p>'
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in (
            "Topic",
            "Questions",
            *SIGNAL_WORDS.values(),
            "Examples",
            "Closest documents (publisher)",
        )
    )
    rows = []
    for topic in report.all_topics:
        examples = "".join(f"<li>{html_text(e)}</li>" for e in topic.examples)
        documents = "".join(
            f"<li>{html_text(d.title)}"
            + (f" ({html_text(d.publisher)})" if d.publisher else "")
            + "</li>"
            for d in topic.documents
        )
        words = (
            f"<br><small>{html_text(', '.join(topic.keywords))}</small>" if topic.keywords else ""
        )
        cells = [
            f'<th scope="row">{html_text(topic.label)}{words}</th>',
            f"<td>{topic.size}</td>",
            *(f"<td>{topic.signals.get(s, 0)}</td>" for s in SIGNAL_WORDS),
            f"<td><ul>{examples}</ul></td>",
            f"<td><ul>{documents}</ul></td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f"{report.questions} question(s), {len(report.topics)} topic(s)"
    return (
        '<div class="documents-wrap" role="region" aria-label="Gaps report" tabindex="0">'
        f'<table class="documents gaps"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _downloads(report: GapReport) -> tuple[Path, Path]:
    import json

    folder = Path(tempfile.mkdtemp(prefix="gaps-"))
    csv_path = folder / "gaps-report.csv"
    csv_path.write_text(to_csv(report), encoding="utf-8", newline="")
    golden_path = folder / "gaps-golden.jsonl"
    golden_path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in golden_rows(report)),
        encoding="utf-8",
    )
    return csv_path, golden_path
