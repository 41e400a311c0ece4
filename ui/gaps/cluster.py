"""Questions grouped by topic: agglomerative clustering on the embedder's cosine distances.

Average linkage with a distance threshold (``gaps.distance_threshold``), so the number of
topics comes from the questions, not from a number chosen in advance; one question far from
every other stays alone instead of being pulled into the nearest topic (as k-means would).

Two steps before clustering, because short questions look alike to a sentence embedder for
their form ("How much does ... cost?") more than for their subject:

* the question is embedded without its stop words (``core.text.STOPWORDS``), and
* the direction every council question shares is taken out: the vectors are centred on their
  mean, shrunk towards the mean of ``REFERENCE_QUESTIONS`` (general questions on other
  subjects) when there are few questions to estimate it from, then made unit length again.

The threshold was chosen on a seeded tune log (``benchmarks/tune_gaps.py``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.text import STOPWORDS, words

# Markers left by redaction, and words every council question uses, say nothing of a topic.
LABEL_NOISE = frozenset({"redacted", "council", "councils", "resident", "residents", "our", "we"})
MARKER = re.compile(r"\[redacted [^\]]+\]")
# How many questions' worth of weight the reference mean carries against a log's own mean.
REFERENCE_WEIGHT = 20
REFERENCE_QUESTIONS = (
    "What are the library opening hours?",
    "How do I report a broken street light?",
    "Who do I contact about a planning application?",
    "How can a resident register to vote?",
    "What support is there for young carers?",
    "How do we book a room in the town hall?",
    "What is the process for a freedom of information request?",
    "How are school transport decisions made?",
    "Where can people recycle electrical items?",
    "What grants are available for community groups?",
    "How do I apply for a job at the council?",
    "What are the rules for putting up a fence?",
    "How does the council handle a complaint about staff?",
    "When is the next full council meeting?",
    "How can a tenant report damp and mould?",
    "What help is there with energy bills?",
    "How do we register a death?",
    "What should we do about fly-tipping on a footpath?",
    "How is adult social care assessed?",
    "Can residents hire the sports hall for a party?",
    "What flood defences protect the high street?",
    "How do I get a copy of a birth certificate?",
    "Who repairs potholes on a country lane?",
    "What are the conditions for a street party licence?",
)


@dataclass(frozen=True)
class Group:
    """The indices of the questions in one topic, the most central first, and its centre."""

    members: tuple[int, ...]
    centre: tuple[float, ...] = field(repr=False)


def topic_text(text: str) -> str:
    """The words of a question that say what it is about (the question itself if none do)."""
    kept = [w for w in words(MARKER.sub(" ", text)) if w not in STOPWORDS]
    return " ".join(kept) or text


def topic_vectors(embedder: Any, texts: Sequence[str]) -> np.ndarray:
    """Unit vectors of ``texts`` with the direction all council questions share taken out."""
    if not texts:
        return np.zeros((0, 1))
    found = unit_rows(embedder.get_text_embedding_batch([topic_text(t) for t in texts]))
    reference = unit_rows(
        embedder.get_text_embedding_batch([topic_text(t) for t in REFERENCE_QUESTIONS])
    )
    n = len(found)
    common = (found.sum(axis=0) + REFERENCE_WEIGHT * reference.mean(axis=0)) / (
        n + REFERENCE_WEIGHT
    )
    return unit_rows(found - common)


def unit_rows(vectors: Sequence[Sequence[float]] | np.ndarray) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def cluster_labels(vectors: np.ndarray, threshold: float) -> list[int]:
    """A cluster label per row of ``vectors`` (unit rows); rows closer than ``threshold`` in
    average cosine distance share one."""
    if len(vectors) == 0:
        return []
    if len(vectors) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    # Distances worked out here, so a zero vector (a question that is all common direction)
    # is simply far from the rest instead of an error.
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    np.fill_diagonal(distances, 0.0)
    model = AgglomerativeClustering(
        n_clusters=None, distance_threshold=threshold, metric="precomputed", linkage="average"
    )
    return [int(label) for label in model.fit_predict(distances)]


def groups(vectors: Sequence[Sequence[float]] | np.ndarray, threshold: float) -> list[Group]:
    """Every cluster, the largest first; within one, members ordered by closeness to its centre."""
    matrix = unit_rows(vectors)
    by_label: dict[int, list[int]] = {}
    for index, label in enumerate(cluster_labels(matrix, threshold)):
        by_label.setdefault(label, []).append(index)
    found = []
    for members in by_label.values():
        centre = matrix[members].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        closeness = matrix[members] @ centre
        ordered = tuple(members[i] for i in np.argsort(-closeness, kind="stable"))
        found.append(Group(ordered, tuple(float(x) for x in centre)))
    return sorted(found, key=lambda g: (-len(g.members), g.members[0]))


def keywords(texts: Sequence[str], everything: Sequence[str], n: int = 3) -> tuple[str, ...]:
    """Words that set these questions apart from all of them (share here times rarity overall)."""

    def vocabulary(text: str) -> set[str]:
        found = words(MARKER.sub(" ", text))
        return {
            w
            for w in found
            if len(w) > 2 and w not in STOPWORDS and w not in LABEL_NOISE and not w.isdigit()
        }

    overall = Counter(w for text in everything for w in vocabulary(text))
    here = Counter(w for text in texts for w in vocabulary(text))
    total = max(len(everything), 1)
    scored = {
        w: (c / len(texts)) * math.log(1 + total / overall[w])
        for w, c in here.items()
        if c > 1 or len(texts) == 1
    }
    return tuple(sorted(scored, key=lambda w: (-scored[w], w))[:n])
