"""From per-question rows to the run's figures: flat dotted keys, ours and each baseline's.

Flat keys (``hit_rate@5``, ``baselines.bm25.mrr``, ``ratios.bm25.mrr``) are what ``--json``
prints, what the gate checks and what ``eval compare`` diffs.

A row is saved as JSON (``rows.jsonl``, ``report.json``); here it is read once into an
``EvalRow``, so each figure below is a short function over typed fields.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evals.metrics import mean, percentile, ratio, refusal_scores, refusal_sweep

KS = (1, 2, 5)
RETRIEVAL_KEYS = [f"hit_rate@{k}" for k in KS] + ["mrr"] + [f"ndcg@{k}" for k in KS]
SWEEP = [round(0.05 * i, 2) for i in range(1, 20)]
LEVELS = (("document", ""), ("passage", "passage_"))  # (ranking, prefix of its figures)
JUDGED = ("faithfulness", "correctness")


@dataclass(frozen=True)
class Ranking:
    """How one question's expected documents (or passages) ranked: hit and nDCG at each k."""

    hit: dict[int, float]
    ndcg: dict[int, float]
    rr: float

    @classmethod
    def read(cls, block: dict[str, Any] | None) -> Ranking | None:
        if block is None:
            return None
        return cls(
            hit={k: float(block[f"hit@{k}"]) for k in KS},
            ndcg={k: float(block[f"ndcg@{k}"]) for k in KS},
            rr=float(block["rr"]),
        )


@dataclass(frozen=True)
class Retrieval:
    """A row's rankings at document and passage level (None where the question defines none)."""

    document: Ranking | None = None
    passage: Ranking | None = None

    @classmethod
    def read(cls, block: dict[str, Any] | None) -> Retrieval:
        block = block or {}
        return cls(Ranking.read(block.get("document")), Ranking.read(block.get("passage")))

    def at(self, level: str) -> Ranking | None:
        return self.document if level == "document" else self.passage


@dataclass(frozen=True)
class BaselineRow:
    """One baseline's result for one question."""

    retrieval: Retrieval
    top_text_key_fact_recall: float | None
    top_text_answer_similarity: float | None
    latency_ms: float

    @classmethod
    def read(cls, block: dict[str, Any]) -> BaselineRow:
        return cls(
            retrieval=Retrieval.read(block.get("retrieval")),
            top_text_key_fact_recall=block.get("top_text_key_fact_recall"),
            top_text_answer_similarity=block.get("top_text_answer_similarity"),
            latency_ms=float(block.get("latency_ms") or 0.0),
        )


@dataclass(frozen=True)
class CitationCounts:
    pairs: int = 0  # (sentence, cited passage) pairs
    supported: int = 0  # of those, the passage supports the sentence
    sentences: int = 0
    cited_sentences: int = 0


@dataclass(frozen=True)
class EvalRow:
    """What the figures need from one scored question (``evals.scoring`` writes the row)."""

    kind: str
    must_refuse: bool
    refused: bool
    passed: bool = True
    error: str | None = None
    retrieval: Retrieval = field(default_factory=Retrieval)
    section_hit: bool | None = None
    key_fact_recall: float | None = None
    answer_similarity: float | None = None
    citation: CitationCounts = field(default_factory=CitationCounts)
    forbidden: int = 0
    debris_answer: bool = False
    debris_passages: tuple[str, ...] = ()
    judge: dict[str, float | None] = field(default_factory=dict)
    timings_ms: dict[str, float] = field(default_factory=dict)
    evidence_score: float | None = None
    unknown_names: bool = False
    baselines: dict[str, BaselineRow] = field(default_factory=dict)

    @classmethod
    def read(cls, row: dict[str, Any]) -> EvalRow:
        retrieval = row.get("retrieval") or {}
        citation = row.get("citation") or {}
        debris = row.get("debris") or {}
        evidence = row.get("evidence") or {}
        return cls(
            kind=str(row.get("type", "answerable")),
            must_refuse=bool(row.get("must_refuse")),
            refused=bool(row.get("refused")),
            passed=bool(row.get("passed", True)),
            error=row.get("error"),
            retrieval=Retrieval.read(retrieval),
            section_hit=retrieval.get("section_hit"),
            key_fact_recall=(row.get("key_facts") or {}).get("recall"),
            answer_similarity=row.get("answer_similarity"),
            citation=CitationCounts(**{k: int(citation.get(k) or 0) for k in CITATION_FIELDS}),
            forbidden=len(row.get("forbidden_found") or ()),
            debris_answer=bool(debris.get("answer")),
            debris_passages=tuple(debris.get("passages") or ()),
            judge=dict(row.get("judge") or {}),
            timings_ms=dict(row.get("timings_ms") or {}),
            evidence_score=evidence.get("score"),
            unknown_names=bool(evidence.get("unknown_names")),
            baselines={n: BaselineRow.read(b) for n, b in (row.get("baselines") or {}).items()},
        )


CITATION_FIELDS = ("pairs", "supported", "sentences", "cited_sentences")


def retrieval_figures(retrievals: Sequence[Retrieval]) -> dict[str, float | None]:
    """Document- and passage-level ranking figures averaged over the rows that define them."""
    figures: dict[str, float | None] = {}
    for level, prefix in LEVELS:
        scored = [r for r in (x.at(level) for x in retrievals) if r is not None]
        if not scored:
            continue
        for k in KS:
            figures[f"{prefix}hit_rate@{k}"] = mean(s.hit[k] for s in scored)
            figures[f"{prefix}ndcg@{k}"] = mean(s.ndcg[k] for s in scored)
        figures[f"{prefix}mrr"] = mean(s.rr for s in scored)
        figures[f"{prefix}retrieval_questions"] = len(scored)
    return figures


def followup_success(row: EvalRow) -> bool:
    """Answered, found an expected document in the top 5, and at least half the key facts."""
    if row.refused:
        return False
    document = row.retrieval.document
    if document is not None and not document.hit[5]:
        return False
    return row.key_fact_recall is None or row.key_fact_recall >= 0.5


def summarise(rows: list[dict[str, Any]], baseline_names: list[str]) -> dict[str, Any]:
    typed = [EvalRow.read(r) for r in rows]
    flat: dict[str, Any] = {"questions": len(typed)}
    for kind, count in sorted(Counter(r.kind for r in typed).items()):
        flat[f"questions.{kind}"] = count
    flat.update(retrieval_figures([r.retrieval for r in typed]))
    flat["section_hit_rate@5"] = mean(
        _share(r.section_hit) for r in typed if r.section_hit is not None
    )
    flat.update(answer_figures(typed))
    flat.update(refusal_figures(typed))
    flat["followup_success"] = mean(
        _share(followup_success(r)) for r in typed if r.kind == "followup"
    )
    flat["forbidden_text_violations"] = sum(r.forbidden for r in typed)
    flat.update(debris_figures(typed))
    flat["pass_rate"] = mean(_share(r.passed) for r in typed)
    flat.update(judge_figures(typed))
    flat.update(latency_figures(typed))
    for name in baseline_names:
        flat.update(_against_baseline(flat, baseline_figures(typed, name), name))
    return flat


def _share(flag: bool | None) -> float:
    return 1.0 if flag else 0.0


def answer_figures(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    """Key facts and similarity of what should be answered; citations of what was answered."""
    answered = [r.citation for r in rows if not r.refused]
    pairs = sum(c.pairs for c in answered)
    sentences = sum(c.sentences for c in answered)
    return {
        "key_fact_recall": mean(r.key_fact_recall for r in rows if not r.must_refuse),
        "answer_similarity": mean(r.answer_similarity for r in rows),
        "citation_precision": sum(c.supported for c in answered) / pairs if pairs else None,
        "citation_coverage": sum(c.cited_sentences for c in answered) / sentences
        if sentences
        else None,
    }


def refusal_figures(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    precision, recall = refusal_scores([r.must_refuse for r in rows], [r.refused for r in rows])
    return {
        "refusal_precision": precision,
        "refusal_recall": recall,
        "false_refusal_rate": mean(_share(r.refused) for r in rows if not r.must_refuse),
    }


def judge_figures(rows: Sequence[EvalRow]) -> dict[str, float]:
    """The LLM judge's averages, where it ran."""
    judged = [r.judge for r in rows if r.judge]
    figures = {f"judge.{name}": mean(j.get(name) for j in judged) for name in JUDGED}
    return {k: v for k, v in figures.items() if v is not None}


def debris_figures(rows: Sequence[EvalRow]) -> dict[str, int]:
    """Answers, and distinct passages shown, that still carry markup or layout debris."""
    answers = sum(1 for r in rows if r.debris_answer)
    passages = {c for r in rows for c in r.debris_passages}
    return {
        "debris": answers + len(passages),
        "debris_answers": answers,
        "debris_passages": len(passages),
    }


def baseline_figures(rows: Sequence[EvalRow], name: str) -> dict[str, Any]:
    blocks = [r.baselines[name] for r in rows if name in r.baselines]
    answerable = [r.baselines[name] for r in rows if name in r.baselines and not r.must_refuse]
    latencies = [b.latency_ms for b in blocks]
    figures: dict[str, Any] = {
        **retrieval_figures([b.retrieval for b in blocks]),
        "top_text_key_fact_recall": mean(b.top_text_key_fact_recall for b in answerable),
        "top_text_answer_similarity": mean(b.top_text_answer_similarity for b in blocks),
        "latency_ms.retrieve.p50": percentile(latencies, 50),
        "latency_ms.retrieve.p95": percentile(latencies, 95),
    }
    return {k: v for k, v in figures.items() if v is not None}


def _against_baseline(flat: dict[str, Any], theirs: dict[str, Any], name: str) -> dict[str, Any]:
    """A baseline's figures under ``baselines.NAME.``, and ours over theirs under ``ratios.NAME.``."""
    out = {f"baselines.{name}.{k}": v for k, v in theirs.items()}
    for key, value in theirs.items():
        if key in flat and not key.startswith("latency") and "questions" not in key:
            out[f"ratios.{name}.{key}"] = ratio(flat[key], value)
    return out


def latency_figures(rows: Sequence[EvalRow]) -> dict[str, float | None]:
    stages: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for stage, ms in row.timings_ms.items():
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
    typed = [EvalRow.read(r) for r in rows]
    evidence = [r.evidence_score for r in typed]
    fixed = [
        r.error is not None or r.unknown_names or (r.refused and e is not None and e >= threshold)
        for r, e in zip(typed, evidence)
    ]
    return refusal_sweep(evidence, [r.must_refuse for r in typed], SWEEP, fixed)


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
