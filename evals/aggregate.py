"""From per-question rows to the run's figures: flat dotted keys, ours and each baseline's.

Flat keys (``hit_rate@5``, ``baselines.bm25.mrr``, ``ratios.bm25.mrr``) are what ``--json``
prints, what the gate checks and what ``eval compare`` diffs.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from evals.metrics import mean, percentile, ratio, refusal_scores, refusal_sweep

KS = (1, 2, 5)
RETRIEVAL_KEYS = [f"hit_rate@{k}" for k in KS] + ["mrr"] + [f"ndcg@{k}" for k in KS]
SWEEP = [round(0.05 * i, 2) for i in range(1, 20)]


def retrieval_figures(rows: list[dict[str, Any]], pick: str = "") -> dict[str, float | None]:
    """Document- and passage-level ranking figures averaged over the rows that define them.
    ``pick`` selects a baseline's block in each row (``row["baselines"][pick]``)."""
    figures: dict[str, float | None] = {}
    for level, prefix in (("document", ""), ("passage", "passage_")):
        scored = []
        for row in rows:
            block = row["baselines"].get(pick) if pick else row
            if block and block["retrieval"].get(level) is not None:
                scored.append(block["retrieval"][level])
        if not scored:
            continue
        for k in KS:
            figures[f"{prefix}hit_rate@{k}"] = mean(s[f"hit@{k}"] for s in scored)
            figures[f"{prefix}ndcg@{k}"] = mean(s[f"ndcg@{k}"] for s in scored)
        figures[f"{prefix}mrr"] = mean(s["rr"] for s in scored)
        figures[f"{prefix}retrieval_questions"] = len(scored)
    return figures


def followup_success(row: dict[str, Any]) -> bool:
    """Answered, found an expected document in the top 5, and at least half the key facts."""
    if row["refused"]:
        return False
    document = row["retrieval"].get("document")
    if document is not None and not document["hit@5"]:
        return False
    recall = row["key_facts"]["recall"]
    return recall is None or recall >= 0.5


def summarise(rows: list[dict[str, Any]], baseline_names: list[str]) -> dict[str, Any]:
    flat: dict[str, Any] = {"questions": len(rows)}
    for kind, count in sorted(Counter(r["type"] for r in rows).items()):
        flat[f"questions.{kind}"] = count
    flat.update(retrieval_figures(rows))
    with_section = [r for r in rows if r["retrieval"].get("section_hit") is not None]
    flat["section_hit_rate@5"] = mean(
        1.0 if r["retrieval"]["section_hit"] else 0.0 for r in with_section
    )

    should_answer = [r for r in rows if not r["must_refuse"]]
    flat["key_fact_recall"] = mean(r["key_facts"]["recall"] for r in should_answer)
    flat["answer_similarity"] = mean(r["answer_similarity"] for r in rows)

    answered = [r for r in rows if not r["refused"]]
    pairs = sum(r["citation"]["pairs"] for r in answered)
    sentences = sum(r["citation"]["sentences"] for r in answered)
    flat["citation_precision"] = (
        sum(r["citation"]["supported"] for r in answered) / pairs if pairs else None
    )
    flat["citation_coverage"] = (
        sum(r["citation"]["cited_sentences"] for r in answered) / sentences if sentences else None
    )
    precision, recall = refusal_scores(
        [r["must_refuse"] for r in rows], [r["refused"] for r in rows]
    )
    flat["refusal_precision"], flat["refusal_recall"] = precision, recall
    flat["false_refusal_rate"] = mean(1.0 if r["refused"] else 0.0 for r in should_answer)
    followups = [r for r in rows if r["type"] == "followup"]
    flat["followup_success"] = mean(1.0 if followup_success(r) else 0.0 for r in followups)
    flat["forbidden_text_violations"] = sum(len(r["forbidden_found"]) for r in rows)
    flat.update(debris_figures(rows))
    flat["pass_rate"] = mean(1.0 if r["passed"] else 0.0 for r in rows)

    judged = [r["judge"] for r in rows if r.get("judge")]
    for name in ("faithfulness", "correctness"):
        value = mean(j.get(name) for j in judged)
        if value is not None:
            flat[f"judge.{name}"] = value

    flat.update(latency_figures(rows))
    for name in baseline_names:
        theirs = baseline_figures(rows, name)
        flat.update({f"baselines.{name}.{k}": v for k, v in theirs.items()})
        for key in theirs:
            if key in flat and not key.startswith("latency") and "questions" not in key:
                flat[f"ratios.{name}.{key}"] = ratio(flat[key], theirs[key])
    return flat


def debris_figures(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Answers, and distinct passages shown, that still carry markup or layout debris."""
    answers = sum(1 for r in rows if r.get("debris", {}).get("answer"))
    passages = {c for r in rows for c in r.get("debris", {}).get("passages", {})}
    return {"debris": answers + len(passages), "debris_answers": answers, "debris_passages": len(passages)}


def baseline_figures(rows: list[dict[str, Any]], name: str) -> dict[str, Any]:
    figures: dict[str, Any] = dict(retrieval_figures(rows, name))
    blocks = [r["baselines"][name] for r in rows if name in r["baselines"]]
    answerable = [
        r["baselines"][name] for r in rows if name in r["baselines"] and not r["must_refuse"]
    ]
    figures["top_text_key_fact_recall"] = mean(b["top_text_key_fact_recall"] for b in answerable)
    figures["top_text_answer_similarity"] = mean(b["top_text_answer_similarity"] for b in blocks)
    latencies = [b["latency_ms"] for b in blocks]
    figures["latency_ms.retrieve.p50"] = percentile(latencies, 50)
    figures["latency_ms.retrieve.p95"] = percentile(latencies, 95)
    return {k: v for k, v in figures.items() if v is not None}


def latency_figures(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    stages: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for stage, ms in row["timings_ms"].items():
            stages[stage].append(ms)
    figures: dict[str, float | None] = {}
    for stage in sorted(stages):
        figures[f"latency_ms.{stage}.p50"] = percentile(stages[stage], 50)
        figures[f"latency_ms.{stage}.p95"] = percentile(stages[stage], 95)
    return figures


def sweep(rows: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    """Estimated refusal precision/recall for other thresholds, the other refusal routes held
    fixed: rejected questions, names the index never mentions, and refusals after drafting
    (evidence above the run's ``threshold``) stay refused; below the run's threshold a row is
    assumed answered, as drafting never ran for it."""
    evidence = [r["evidence"]["score"] if r.get("evidence") else None for r in rows]
    fixed = [
        r["error"] is not None
        or bool(r["evidence"] and r["evidence"].get("unknown_names"))
        or (r["refused"] and e is not None and e >= threshold)
        for r, e in zip(rows, evidence)
    ]
    return refusal_sweep(evidence, [r["must_refuse"] for r in rows], SWEEP, fixed)


def nested(flat: dict[str, Any]) -> dict[str, Any]:
    """The same figures as a tree: {'baselines': {'bm25': {'mrr': ...}}, ...}."""
    tree: dict[str, Any] = {}
    for key, value in flat.items():
        head, _, rest = key.partition(".")
        if head in {"baselines", "ratios"} and rest:
            name, _, metric = rest.partition(".")
            tree.setdefault(head, {}).setdefault(name, {})[metric] = value
        else:
            tree[key] = value
    return tree
