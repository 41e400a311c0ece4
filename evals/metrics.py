"""Metric maths, kept free of models and stores so each formula is unit-tested on hand-made cases.

Ranking metrics take, for each retrieved item in rank order, the *label* of the relevant thing
it matches (an expected document id, or the index of a reference context) or None. A label
counts once, at its first rank, so five chunks of the same document are not five hits and
nDCG stays within [0, 1].
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

WORD = re.compile(r"[a-z0-9]+")
PASSAGE_MATCH = 0.5  # share of the smaller text's word 3-grams found in the other


def ranking(
    labels: Sequence[Hashable | None], n_relevant: int, ks: Iterable[int]
) -> dict[str, float]:
    """hit@k, reciprocal rank and nDCG@k (binary gains) of one ranked list."""
    seen: set[Hashable] = set()
    gains: list[int] = []
    for label in labels:
        new = label is not None and label not in seen
        gains.append(1 if new else 0)
        if label is not None:
            seen.add(label)
    first = next((i for i, g in enumerate(gains) if g), None)
    result = {"rr": 0.0 if first is None else 1.0 / (first + 1)}
    for k in ks:
        dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(k, n_relevant)))
        result[f"hit@{k}"] = 1.0 if any(gains[:k]) else 0.0
        result[f"ndcg@{k}"] = dcg / ideal if ideal else 0.0
    return result


def document_labels(retrieved: Sequence[str], expected: Iterable[str]) -> list[str | None]:
    wanted = set(expected)
    return [d if d in wanted else None for d in retrieved]


def words(text: str) -> list[str]:
    return WORD.findall(text.lower())


def shingles(text: str, n: int = 3) -> frozenset[tuple[str, ...]]:
    tokens = words(text)
    if len(tokens) < n:
        return frozenset([tuple(tokens)]) if tokens else frozenset()
    return frozenset(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def overlap(a: frozenset, b: frozenset) -> float:
    """|a ∩ b| / min(|a|, |b|): 1.0 when one text lies inside the other, whatever their sizes."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def passage_labels(
    retrieved: Sequence[str], contexts: Sequence[str], threshold: float = PASSAGE_MATCH
) -> list[int | None]:
    """For each retrieved text, the reference context it overlaps most (if enough), else None."""
    refs = [shingles(c) for c in contexts]
    labels: list[int | None] = []
    for text in retrieved:
        mine = shingles(text)
        scores = [overlap(mine, r) for r in refs]
        best = max(range(len(refs)), key=scores.__getitem__) if refs else None
        labels.append(best if best is not None and scores[best] >= threshold else None)
    return labels


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    text = text.replace("–", "-").replace("—", "-")
    return " ".join(re.sub(r"\[\d{1,3}\]", " ", text).split())


def key_facts_found(answer: str, facts: Sequence[str]) -> list[bool]:
    """Each fact is 'alt1|alt2': found when any alternative occurs in the answer (any case)."""
    text = normalise(answer)
    return [any(normalise(alt) in text for alt in fact.split("|") if alt.strip()) for fact in facts]


def forbidden_found(answer: str, forbidden: Sequence[str]) -> list[str]:
    text = normalise(answer)
    return [f for f in forbidden if f.strip() and normalise(f) in text]


def refusal_scores(
    must_refuse: Sequence[bool], refused: Sequence[bool]
) -> tuple[float | None, float | None]:
    """(precision, recall) of refusing; None where undefined (nothing refused / nothing to refuse)."""
    tp = sum(1 for m, r in zip(must_refuse, refused) if m and r)
    predicted = sum(1 for r in refused if r)
    actual = sum(1 for m in must_refuse if m)
    return (tp / predicted if predicted else None, tp / actual if actual else None)


def citation_scores(
    sentences: Sequence[tuple[str, Sequence[int]]],
    passages: dict[int, Any],
    supports: Callable[[str, Any], bool],
) -> dict[str, Any]:
    """Precision: cited (sentence, passage) pairs where the passage supports the sentence.
    Coverage: share of sentences that cite something. Unknown numbers count as unsupported."""
    pairs = supported = cited_sentences = 0
    unsupported: list[dict[str, Any]] = []
    for sentence, cited in sentences:
        if cited:
            cited_sentences += 1
        for n in cited:
            pairs += 1
            passage = passages.get(n)
            if passage is not None and supports(sentence, passage):
                supported += 1
            else:
                unsupported.append({"sentence": sentence, "n": n})
    return {
        "pairs": pairs,
        "supported": supported,
        "sentences": len(sentences),
        "cited_sentences": cited_sentences,
        "unsupported": unsupported,
    }


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100), as numpy's default."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def ratio(ours: float | None, theirs: float | None) -> float | None:
    if ours is None or theirs is None or theirs == 0:
        return None
    return ours / theirs


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def refusal_sweep(
    evidence: Sequence[float | None],
    must_refuse: Sequence[bool],
    thresholds: Iterable[float],
    fixed: Sequence[bool] | None = None,
) -> list[dict[str, Any]]:
    """Refusal precision/recall at each evidence threshold, what ``answer.refusal.threshold``
    is tuned from. ``fixed`` marks rows refused whatever the threshold (rejected questions,
    refusals after drafting); a row with no evidence score counts as refused only if fixed."""
    fixed = fixed or [False] * len(must_refuse)
    table = []
    for t in thresholds:
        refused = [f or (e is not None and e < t) for e, f in zip(evidence, fixed)]
        precision, recall = refusal_scores(must_refuse, refused)
        table.append({"threshold": round(t, 3), "precision": precision, "recall": recall})
    return table
