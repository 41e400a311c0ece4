"""The default backend: answer with sentences taken verbatim from the passages.

No LLM, so it runs offline everywhere in milliseconds and cannot invent a fact. Sentences are
scored by meaning (embedder cosine with the question), by the question's words they contain,
and by the rank of their passage; the best few are composed in passage order, each citing [n].
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from assistant.backends.base import Draft
from core.settings import AnswerSettings
from core.text import content_terms, split_sentences
from core.types import Passage, Turn
from index.embedding import embed_for_scoring

LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")


class ExtractiveBackend:
    name = "extractive"

    def __init__(self, settings: AnswerSettings, embedder: Any = None) -> None:
        self.settings = settings
        self.embedder = embedder

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        return None

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        yield self.draft(question, passages, history).text

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Draft:
        cfg = self.settings.extractive
        candidates = []  # (passage number, position, sentence or lead-in with its list)
        for n, passage in enumerate(passages[: cfg.passages_read], start=1):
            units = split_sentences(passage.text)
            for position, unit in enumerate(units):
                if unit.endswith(":"):
                    unit = _with_list(unit, units[position + 1 :], cfg.max_list_items)
                if cfg.min_chars <= len(unit) <= cfg.max_chars and not unit.endswith(":"):
                    candidates.append((n, position, unit))
        if not candidates:
            return Draft("", declined=True, reason="no usable sentences in the passages")
        scores = self._scores(question, candidates)
        best = float(scores.max())
        chosen: list[int] = []
        for i in np.argsort(-scores):
            if len(chosen) == self.settings.max_sentences or scores[i] < cfg.keep_ratio * best:
                break
            if not any(_near_duplicate(candidates[i][2], candidates[j][2]) for j in chosen):
                chosen.append(int(i))
        chosen.sort(key=lambda i: (candidates[i][0], candidates[i][1]))
        text = " ".join(_cite(candidates[i][2], candidates[i][0]) for i in chosen)
        return Draft(text)

    def _scores(self, question: str, candidates: list[tuple[int, int, str]]) -> np.ndarray:
        cfg = self.settings.extractive
        terms = set(content_terms(question))
        lexical = np.array(
            [len(terms & set(content_terms(s))) / max(1, len(terms)) for _, _, s in candidates]
        )
        prior = np.array([1.0 / (1.0 + cfg.rank_decay * (n - 1)) for n, _, _ in candidates])
        cheap = cfg.cheap_lexical * lexical + cfg.cheap_prior * prior
        if self.embedder is None:
            return cheap
        # Embedding every sentence is the slowest step: score meaning only for the front-runners.
        shortlist = np.argsort(-cheap)[: cfg.semantic_shortlist]
        vectors = np.asarray(
            embed_for_scoring(self.embedder, [question, *[candidates[i][2] for i in shortlist]])
        )
        semantic = np.zeros(len(candidates))
        semantic[shortlist] = vectors[1:] @ vectors[0]
        scores = np.full(len(candidates), -1.0)
        scores[shortlist] = (
            cfg.semantic * semantic[shortlist]
            + cfg.lexical * lexical[shortlist]
            + cfg.prior * prior[shortlist]
        )
        return scores


def _with_list(lead_in: str, following: list[str], max_items: int) -> str:
    """A lead-in ("The main risks are:") answers nothing without the list that follows it."""
    items = []
    for unit in following[:max_items]:
        if not LIST_ITEM.match(unit):
            break
        items.append(LIST_ITEM.sub("", unit).rstrip(" .;"))
    return f"{lead_in} {'; '.join(items)}." if items else lead_in


def _near_duplicate(a: str, b: str) -> bool:
    ta, tb = set(content_terms(a)), set(content_terms(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.6


def _cite(sentence: str, n: int) -> str:
    return f"{sentence} [{n}]"
