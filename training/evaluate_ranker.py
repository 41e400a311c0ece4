"""The sentence ranker beside MiniLM cosine on held-out public data, in the same run.

Per set: answer-sentence MRR over questions that have an answer sentence, and where the set
has unanswerable questions, the ROC AUC of "answerable vs not" from the question's best
sentence score. Cosine is the untrained baseline the answer path used before: the shipped
MiniLM's embedding of the question against each sentence's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from index import ranker as runtime
from training.common import DATASETS, grouped, markdown_table, read_jsonl, roc_auc

PAIRS = DATASETS / "answerability" / "pairs"
HELD_OUT_ARTICLES = frozenset({"Normans", "Harvard_University", "Force", "Steam_engine"})
Scorer = Callable[[str, list[str]], np.ndarray]  # question, pair texts -> scores


def eval_sets(limit: int) -> dict[str, list[list[dict]]]:
    """Held-out sets as lists of question groups (``limit`` > 0 keeps the first N of each)."""
    squad = read_jsonl(PAIRS / "squad2.jsonl", lambda r: r["title"] in HELD_OUT_ARTICLES)
    wikiqa = read_jsonl(PAIRS / "wikiqa.jsonl", lambda r: r["split"] == "test")
    for row in squad + wikiqa:
        row["heading"] = row.get("title", "")
    meta = {m["group"]: m for m in read_jsonl(PAIRS / "conditionalqa.meta.jsonl")}
    cqa = read_jsonl(PAIRS / "conditionalqa.jsonl", lambda r: r["split"] == "dev")
    for row in cqa:
        scenario = meta.get(row["group"], {}).get("scenario", "")
        row["question"] = f"{scenario} {row['question']}".strip()
    sets = {"squad2 held-out articles": squad, "wikiqa test": wikiqa, "conditionalqa dev": cqa}
    out = {}
    for name, rows in sets.items():
        groups = list(grouped(rows).values())
        out[name] = groups[:limit] if limit else groups
    return out


def measure(groups: Sequence[list[dict]], scorer: Scorer) -> dict[str, float]:
    reciprocal, best, answerable = [], [], []
    for rows in groups:
        texts = [runtime.pair_text(r["sentence"], r.get("heading", "")) for r in rows]
        scores = scorer(rows[0]["question"], texts)
        labels = [int(r["label"]) for r in rows]
        best.append(float(np.max(scores)))
        answerable.append(int(any(labels)))
        if any(labels):
            order = np.argsort(-scores, kind="stable")
            first = next(rank for rank, i in enumerate(order, start=1) if labels[i])
            reciprocal.append(1.0 / first)
    return {
        "questions": len(groups),
        "mrr": round(float(np.mean(reciprocal)), 4) if reciprocal else float("nan"),
        "answerable_auc": round(roc_auc(answerable, best), 4),
    }


def refusal_floor(
    groups: Sequence[list[dict]], scorer: Scorer, max_false: float
) -> dict[str, float]:
    """The highest floor on a question's best probability that refuses at most ``max_false``
    of answerable questions, and the share of unanswerable ones it then refuses."""
    answerable: list[float] = []
    unanswerable: list[float] = []
    for rows in groups:
        texts = [runtime.pair_text(r["sentence"], r.get("heading", "")) for r in rows]
        best = float(np.max(scorer(rows[0]["question"], texts)))
        (answerable if any(int(r["label"]) for r in rows) else unanswerable).append(best)
    ordered = sorted(answerable)
    floor = ordered[int(max_false * len(ordered))] if ordered else 0.0
    caught = len([x for x in unanswerable if x < floor]) / max(1, len(unanswerable))
    return {
        "floor": round(floor, 4),
        "max_false": max_false,
        "unanswerable_refused": round(caught, 4),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }


def cosine_scorer() -> Scorer:
    from index.embedding import embed_for_scoring, load_embedder

    embedder = load_embedder(runtime.BASE_MODEL)

    def score(question: str, texts: list[str]) -> np.ndarray:
        vectors = np.asarray(embed_for_scoring(embedder, [question, *texts], max_length=128))
        return vectors[1:] @ vectors[0]

    return score


def ranker_scorer(ranker: runtime.SentenceRanker) -> Scorer:
    return lambda question, texts: ranker.logits(question, texts)


def speed(ranker: runtime.SentenceRanker, quantized: Any) -> dict[str, float]:
    """Milliseconds to score 16 sentences of one question, fp32 and int8 (median of 7)."""
    question = "What is the budget for the smart city programme in Manchester?"
    texts = [
        f"The council published sentence number {i} about its programme and budget."
        for i in range(16)
    ]
    out = {}
    for name, model in (("fp32_ms_16", ranker), ("int8_ms_16", quantized)):
        times = []
        for _ in range(7):
            start = time.perf_counter()
            model.logits(question, texts)
            times.append((time.perf_counter() - start) * 1000)
        out[name] = round(float(np.median(times)), 1)
    return out


def quantized_copy(ranker: runtime.SentenceRanker) -> runtime.SentenceRanker:
    import copy

    import torch

    model = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(ranker.model), {torch.nn.Linear}, dtype=torch.qint8
    )
    return runtime.SentenceRanker(model, ranker.tokenizer, ranker.config)


def evaluate_all(
    ranker: runtime.SentenceRanker,
    limit: int,
    log: Callable[[str], None],
    dev_rows: list[dict] | None = None,
    speed_check: bool = True,
) -> dict[str, Any]:
    """Ranker and cosine on every held-out set; int8 against fp32 on SQuAD when ``speed_check``."""
    sets = eval_sets(limit)
    if dev_rows:
        sets = {"training dev split (5% of questions)": list(grouped(dev_rows).values()), **sets}
    cosine, trained = cosine_scorer(), ranker_scorer(ranker)
    metrics: dict[str, Any] = {"sets": {}}
    for name, groups in sets.items():
        metrics["sets"][name] = {
            "cosine": measure(groups, cosine),
            "ranker": measure(groups, trained),
        }
        log(f"{name}: {metrics['sets'][name]}")
    if speed_check:
        quantized = quantized_copy(ranker)
        squad = sets["squad2 held-out articles"]
        metrics["int8_squad"] = measure(squad, ranker_scorer(quantized))
        metrics["speed"] = speed(ranker, quantized)
        fp32 = metrics["sets"]["squad2 held-out articles"]["ranker"]
        close = (
            fp32["answerable_auc"] - metrics["int8_squad"]["answerable_auc"] <= 0.01
            and fp32["mrr"] - metrics["int8_squad"]["mrr"] <= 0.01
        )
        metrics["use_int8"] = bool(
            close and metrics["speed"]["int8_ms_16"] < metrics["speed"]["fp32_ms_16"]
        )
        log(
            f"int8: {metrics['int8_squad']} speed {metrics['speed']} use_int8={metrics['use_int8']}"
        )
    return metrics


def table(metrics: dict[str, Any]) -> str:
    rows = []
    for name, pair in metrics["sets"].items():
        c, r = pair["cosine"], pair["ranker"]
        rows.append(
            [name, r["questions"], c["mrr"], r["mrr"], c["answerable_auc"], r["answerable_auc"]]
        )
    text = markdown_table(
        [
            "held-out set",
            "questions",
            "MRR cosine",
            "MRR ranker",
            "answerable AUC cosine",
            "answerable AUC ranker",
        ],
        rows,
    )
    if "speed" in metrics:
        s = metrics["speed"]
        text += (
            f"\n\nScoring 16 sentences: fp32 {s['fp32_ms_16']} ms, int8 {s['int8_ms_16']} ms"
            f" (int8 on SQuAD held-out: MRR {metrics['int8_squad']['mrr']},"
            f" AUC {metrics['int8_squad']['answerable_auc']}; shipped int8: {metrics['use_int8']})"
        )
    return text
