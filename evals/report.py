"""Write a run: report.json (everything), rows.jsonl, report.md, a self-contained report.html
(inline SVG charts, every piece of dataset or answer text HTML-escaped), and for a LlamaIndex
dataset predictions.json in RagPredictionDataset format.
"""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from evals import plots
from evals.aggregate import nested
from evals.dataset import write_predictions
from evals.gate import gate_text
from evals.runner import EvalRun

HEADLINE = [
    "hit_rate@1",
    "hit_rate@2",
    "hit_rate@5",
    "mrr",
    "ndcg@5",
    "passage_hit_rate@1",
    "passage_hit_rate@2",
    "passage_hit_rate@5",
    "passage_mrr",
    "passage_ndcg@5",
    "section_hit_rate@5",
    "key_fact_recall",
    "answer_similarity",
    "citation_precision",
    "citation_coverage",
    "refusal_precision",
    "refusal_recall",
    "false_refusal_rate",
    "followup_success",
    "forbidden_text_violations",
    "debris_answers",
    "debris_passages",
    "pass_rate",
    "judge.faithfulness",
    "judge.correctness",
]
BASELINE_ONLY = ["top_text_key_fact_recall", "top_text_answer_similarity"]
CHART_METRICS = [m for m in HEADLINE[:10]]


def write_report(run: EvalRun, out: Path, gate: dict[str, Any] | None = None) -> dict[str, str]:
    out.mkdir(parents=True, exist_ok=True)
    data = {
        "meta": run.meta,
        "metrics": run.flat,
        "metrics_nested": nested(run.flat),
        "refusal_sweep": run.sweep,
        "gate": gate,
        "rows": run.rows,
    }
    paths = {
        "json": out / "report.json",
        "rows": out / "rows.jsonl",
        "markdown": out / "report.md",
        "html": out / "report.html",
    }
    paths["json"].write_text(
        json.dumps(data, indent=1, ensure_ascii=False, default=str), encoding="utf-8"
    )
    paths["rows"].write_text(
        "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in run.rows),
        encoding="utf-8",
    )
    paths["markdown"].write_text(markdown(run, gate), encoding="utf-8")
    paths["html"].write_text(html(run, gate), encoding="utf-8")
    if run.kind == "rag":
        paths["predictions"] = out / "predictions.json"
        write_predictions(paths["predictions"], run.predictions)
    return {k: str(v) for k, v in paths.items()}


def baseline_names(run: EvalRun) -> list[str]:
    return list(run.meta.get("baselines", {}).get("names", []))


def metric_table(run: EvalRun) -> tuple[list[str], list[list[str]]]:
    """Header and rows: metric, ours, each baseline, each ratio (ours / theirs)."""
    names = baseline_names(run)
    header = ["metric", "ours", *names, *[f"ours / {n}" for n in names]]
    rows = []
    for metric in HEADLINE + BASELINE_ONLY:
        cells = [run.flat.get(metric)]
        cells += [run.flat.get(f"baselines.{n}.{metric}") for n in names]
        cells += [run.flat.get(f"ratios.{n}.{metric}") for n in names]
        if all(c is None for c in cells):
            continue
        rows.append([metric, *(_fmt(c) for c in cells)])
    return header, rows


def latency_table(run: EvalRun) -> list[list[str]]:
    stages = sorted({k.rsplit(".", 1)[0] for k in run.flat if k.startswith("latency_ms.")})
    rows = []
    for stage in stages:
        rows.append(
            [
                stage.removeprefix("latency_ms."),
                _fmt(run.flat.get(f"{stage}.p50")),
                _fmt(run.flat.get(f"{stage}.p95")),
            ]
        )
    return rows


def has_refusals(run: EvalRun) -> bool:
    """The refusal sweep means something only when some question must be refused."""
    return any(r["must_refuse"] for r in run.rows)


def failures(run: EvalRun) -> list[dict[str, Any]]:
    return [r for r in run.rows if not r["passed"]]


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def _citation_summary(row: dict[str, Any]) -> str:
    parts = []
    for c in row["citations"]:
        where = c["document_id"] + (f" > {c['section']}" if c["section"] else "")
        where += f" p.{c['page']}" if c.get("page") else ""
        parts.append(f"[{c['n']}] {where}{'' if c['supported'] else ' (NOT SUPPORTED)'}")
    return "; ".join(parts)


def _question(row: dict[str, Any]) -> str:
    if not row["history"]:
        return row["question"]
    earlier = " / ".join(t["question"] for t in row["history"])
    return f"{row['question']} (after: {earlier}; rewritten: {row['standalone_question']})"


def _header_lines(run: EvalRun) -> list[str]:
    m = run.meta
    return [
        f"Dataset: {m['dataset']} ({m['dataset_kind']}, {m['questions_selected']} of {m['questions_in_dataset']} questions)",
        f"Corpus: {m['corpus']} ({m['documents']} documents) in collection {m['collection']} of {m['store']}",
        f"Backend: {m['backend']}; embedder: {m['embed_model']}; refusal threshold: {m['refusal_threshold']}",
        f"Run: {m['started']}, commit {m['git_commit'] or '-'}; seconds: "
        + ", ".join(f"{k} {v:.1f}" for k, v in m["seconds"].items()),
        "Judge: " + ", ".join(f"{k} {v}" for k, v in m["judge"].items()),
    ]


def _md_cell(text: Any) -> str:
    return escape(str(text), quote=False).replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def markdown(run: EvalRun, gate: dict[str, Any] | None) -> str:
    lines = ["# Evaluation report", ""] + [f"- {_md_cell(x)}" for x in _header_lines(run)] + [""]
    if run.meta.get("baselines"):
        lines += [f"Baselines: {_md_cell(run.meta['baselines'].get('note', ''))}", ""]
    header, rows = metric_table(run)
    lines += ["## Figures", "", *_md_table(header, rows), ""]
    if gate:
        lines += ["## Gate", "", "```", gate_text(gate), "```", ""]
    lines += ["## Latency (ms)", "", *_md_table(["stage", "p50", "p95"], latency_table(run)), ""]
    if has_refusals(run):
        sweep = [[_fmt(s["threshold"]), _fmt(s["precision"]), _fmt(s["recall"])] for s in run.sweep]
        lines += [
            "## Refusal at other evidence thresholds (estimated; other refusal routes held fixed)",
            "",
            *_md_table(["threshold", "precision", "recall"], sweep),
            "",
        ]
    failed = failures(run)
    lines += [f"## Failures ({len(failed)} of {len(run.rows)})", ""]
    table = [
        [
            r["id"],
            r["type"],
            _question(r),
            r["answer"][:400],
            _citation_summary(r),
            "; ".join(r["failures"]),
        ]
        for r in failed
    ]
    lines += _md_table(["id", "type", "question", "answer", "citations", "why"], table)
    return "\n".join(lines) + "\n"


CSS = """body{font-family:system-ui,sans-serif;margin:2rem;color:#0b0c0c;max-width:1400px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #b1b4b6;padding:4px 8px;
vertical-align:top;text-align:left}th{background:#f3f2f1}td.num{text-align:right;
font-variant-numeric:tabular-nums}.fail{color:#d4351c;font-weight:bold}.ok{color:#00703c}
.charts{display:flex;flex-wrap:wrap;gap:1rem}pre{background:#f3f2f1;padding:.5rem}
td.text{max-width:32rem;font-size:.9em;white-space:pre-line}"""


def _html_table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"num" if i >= numeric_from else "text"}">{escape(str(c))}</td>'
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html(run: EvalRun, gate: dict[str, Any] | None) -> str:
    names = baseline_names(run)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Evaluation report</title><style>" + CSS + "</style></head><body>",
        "<h1>Evaluation report</h1><ul>",
        *[f"<li>{escape(x)}</li>" for x in _header_lines(run)],
        "</ul>",
    ]
    if run.meta.get("baselines"):
        parts.append(f"<p>Baselines: {escape(str(run.meta['baselines'].get('note', '')))}</p>")
    if gate:
        cls = "ok" if gate["passed"] else "fail"
        parts.append(
            f"<h2>Gate: <span class='{cls}'>{'PASSED' if gate['passed'] else 'FAILED'}</span></h2>"
        )
        parts.append(f"<pre>{escape(gate_text(gate))}</pre>")
    header, rows = metric_table(run)
    parts += ["<h2>Figures</h2>", _html_table(header, rows)]

    metrics = [m for m in CHART_METRICS if run.flat.get(m) is not None]
    series = {"ours": [run.flat.get(m) for m in metrics]}
    series.update({n: [run.flat.get(f"baselines.{n}.{m}") for m in metrics] for n in names})
    totals = [r["timings_ms"]["total"] for r in run.rows if "total" in r["timings_ms"]]
    parts += [
        "<h2>Charts</h2><div class='charts'>",
        plots.bar_chart("Retrieval: ours against the baselines", metrics, series),
        plots.histogram("Latency per question (total)", totals),
    ]
    if has_refusals(run):
        parts.append(
            plots.line_chart(
                "Refusal at other evidence thresholds (estimated)",
                [s["threshold"] for s in run.sweep],
                {
                    "precision": [s["precision"] for s in run.sweep],
                    "recall": [s["recall"] for s in run.sweep],
                },
            )
        )
    parts += [
        "</div>",
        "<h2>Latency (ms)</h2>",
        _html_table(["stage", "p50", "p95"], latency_table(run)),
    ]
    failed = failures(run)
    parts.append(f"<h2>Failures ({len(failed)} of {len(run.rows)})</h2>")
    table = [
        [
            r["id"],
            r["type"],
            _question(r),
            r["answer"],
            _citation_summary(r),
            "\n".join(r["failures"]),
        ]
        for r in failed
    ]
    parts.append(
        _html_table(["id", "type", "question", "answer", "citations", "why it failed"], table, 99)
    )
    parts.append("</body></html>")
    return "\n".join(parts)
