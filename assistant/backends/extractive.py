"""The default backend: answer with sentences taken verbatim from the passages.

No LLM, so it runs offline everywhere in milliseconds and cannot invent a fact. Sentences are
scored by meaning (embedder cosine with the question), by the question's words they contain,
and by the rank of their passage. The answer is composed, not piled: the best sentence first
(with the list it introduces, the example that follows it, or the sentence its "This" refers
to), then the supporting points in reading order, as a short list when the question asks for
several things. Questions about structure (a count, a list, "principle 7") are answered from
the document's outline chunk (``index.outline``) when retrieval found it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.backends.base import Draft
from assistant.question import Shape, shape_of
from assistant.streaming import sentence_pieces
from core.embedder import Embedder
from core.settings import AnswerSettings, ExtractiveSettings
from core.text import content_terms, split_sentences
from core.types import Passage, Turn
from index.embedding import embed_for_scoring
from index.outline import OUTLINE_LEAD

LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
FRAGMENT = re.compile(r"^[a-z]+\b")
HEADING_LIKE = re.compile(r"^[^.!?:;]{1,80}$")
# "To learn more read our introduction to zero trust.": points elsewhere, answers nothing.
POINTER = re.compile(
    r"^(?:to\s+)?(?:read|learn|find out)\s+more\b|^for more (?:information|detail)", re.I
)
# A sentence that only makes sense after the one before it.
LEANS_BACK = re.compile(r"^(this|these|those|such|it|they|however|but|so|therefore|thus)\b", re.I)
# A sentence that spells out the one before it.
ELABORATES = re.compile(
    r"^(for example|for instance|e\.g\.|such as|this includes|these include|this means"
    r"|that means|in particular|including)\b",
    re.I,
)


@dataclass(frozen=True)
class Unit:
    """A sentence of passage ``n`` (1-based) at ``position``, or a lead-in with its list."""

    n: int
    position: int
    text: str
    items: tuple[str, ...] = ()
    is_item: bool = False
    parent: int | None = None  # for a list item: the unit of the lead-in that shows its list
    heading: str = ""  # the passage's section heading, which the ranker reads with the sentence

    @property
    def scored_text(self) -> str:
        return " ".join([self.text, *self.items])


class ExtractiveBackend:
    name = "extractive"

    def __init__(self, settings: AnswerSettings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.embedder = embedder

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        return None

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        # Composed whole (sentences are ranked against each other), handed on sentence by
        # sentence so that each is checked and shown as soon as it is ready.
        yield from sentence_pieces(self.draft(question, passages, history).text)

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]) -> Draft:
        cfg = self.settings.extractive
        shape = shape_of(question)
        read = list(passages[: cfg.passages_read])
        outline = outline_answer(question, shape, read) if shape.structural else ""
        units = self._units(read, shape)
        if not units:
            if outline:
                return Draft(outline)
            return Draft("", declined=True, reason="no usable sentences in the passages")
        scores = self._scores(question, units)
        chosen = self._choose(
            units, scores, budget=self.settings.max_sentences - (2 if outline else 0)
        )
        chosen = definition_first(
            question, units, scores, chosen, self.settings.extractive.keep_ratio
        )
        body = compose(chosen, units, shape, self.settings.max_sentences)
        return Draft("\n\n".join(part for part in (outline, body) if part))

    def _units(self, passages: Sequence[Passage], shape: Shape) -> list[Unit]:
        cfg = self.settings.extractive
        max_items = cfg.max_list_items_asked if shape.wants_list else cfg.max_list_items
        units = []
        for n, passage in enumerate(passages, start=1):
            if OUTLINE_LEAD.match(passage.text):
                continue  # outlines answer structure questions only (see outline_answer)
            sentences = split_sentences(passage.text)
            lead_of: dict[int, int] = {}  # position of a list item -> unit of its lead-in
            for position, sentence in enumerate(sentences):
                if FRAGMENT.match(sentence):
                    continue  # a fragment cut from a sentence ("techUK's ..." is not one)
                following = sentences[position + 1 :]
                is_item = bool(LIST_ITEM.match(sentence))
                items: tuple[str, ...] = ()
                if not is_item and (sentence.endswith(":") or _starts_list(following)):
                    items = _list_after(following, max_items)
                text = LIST_ITEM.sub("", sentence) if is_item else sentence
                if sentence.endswith(":") and not items:
                    continue  # a lead-in whose list is in another chunk answers nothing
                if len(text) > cfg.max_chars or len(" ".join([text, *items])) < cfg.min_chars:
                    continue
                if not is_item and not items and HEADING_LIKE.match(text):
                    continue  # "How to combat algorithmic bias": a heading, not an answer
                if POINTER.match(text):
                    continue
                heading = passage.section.split(" > ")[-1]
                units.append(
                    Unit(n, position, text, items, is_item, lead_of.get(position), heading)
                )
                for k in range(len(items)):
                    lead_of[position + 1 + k] = len(units) - 1
        return units

    def _choose(self, units: list[Unit], scores: np.ndarray, budget: int) -> list[int]:
        """The best unit, its context, then supporting units; at most ``budget`` in all."""
        cfg = self.settings.extractive
        best = float(scores.max())
        chosen: list[int] = []
        context = 0  # the best unit's context rides along, outside the budget
        for i in (int(i) for i in np.argsort(-scores)):
            if len(chosen) - context >= max(1, budget) or scores[i] < cfg.keep_ratio * best:
                break
            parent = units[i].parent
            if parent is not None:
                i = parent  # the whole list
            if i in chosen or any(_near_duplicate(units[i], units[j]) for j in chosen):
                continue
            chosen.append(i)
            if context < cfg.max_context:
                extra = [j for j in _context_of(units, i) if j not in chosen][
                    : cfg.max_context - context
                ]
                chosen += extra
                context += len(extra)
        return chosen

    def _scores(self, question: str, units: list[Unit]) -> np.ndarray:
        cfg = self.settings.extractive
        terms = set(content_terms(question))
        lexical = np.array(
            [len(terms & set(content_terms(u.scored_text))) / max(1, len(terms)) for u in units]
        )
        prior = np.array([1.0 / (1.0 + cfg.rank_decay * (u.n - 1)) for u in units])
        cheap = cfg.cheap_lexical * lexical + cfg.cheap_prior * prior
        if self.embedder is None:
            return cheap
        # Embedding every sentence is the slowest step: score meaning only for the front-runners.
        shortlist = np.argsort(-cheap)[: cfg.semantic_shortlist]
        vectors = np.asarray(
            embed_for_scoring(self.embedder, [question, *[units[i].scored_text for i in shortlist]])
        )
        semantic = np.zeros(len(units))
        semantic[shortlist] = vectors[1:] @ vectors[0]
        scores = np.full(len(units), -1.0)
        scores[shortlist] = (
            cfg.semantic * semantic[shortlist]
            + cfg.lexical * lexical[shortlist]
            + cfg.prior * prior[shortlist]
        )
        return with_neighbours(with_ranker(question, units, scores, cfg), units, cfg.neighbour)


def with_ranker(
    question: str, units: list[Unit], scores: np.ndarray, cfg: ExtractiveSettings
) -> np.ndarray:
    """The trained sentence ranker's probability that a sentence states the answer, added
    (weighted) to the front-runners' scores: cosine ranks a sentence that restates the
    question above the one that answers it, the ranker reads the two together."""
    from index.ranker import shipped_ranker

    ranker = shipped_ranker() if cfg.ranker_weight > 0 else None
    if ranker is None:
        return scores
    front = [int(i) for i in np.argsort(-scores)[: cfg.ranker_shortlist] if scores[i] > -1.0]
    if not front:
        return scores
    probability = ranker.score(
        question, [units[i].scored_text for i in front], [units[i].heading for i in front]
    )
    ranked = scores.copy()
    ranked[front] = scores[front] + cfg.ranker_weight * probability
    return ranked


def with_neighbours(scores: np.ndarray, units: list[Unit], weight: float) -> np.ndarray:
    """A sentence right after a relevant one often holds the answer ("UPRN stands for ...
    It consists of up to 12 digits"): it gets a share of the score of the sentence before."""
    if not weight:
        return scores
    at = {(u.n, u.position): i for i, u in enumerate(units)}
    boosted = scores.copy()
    for i, unit in enumerate(units):
        before = at.get((unit.n, unit.position - 1))
        if before is not None and scores[before] > 0:
            boosted[i] = max(scores[i], 0.0) + weight * scores[before]
    return boosted


WHAT_IS = re.compile(r"^\s*what\s+(?:is|are)\s+(?:an?\s+|the\s+)?([^?]{2,60}?)\s*\??\s*$", re.I)
DEFINES = re.compile(r"^(?:an?\s+|the\s+)?(.{2,80}?)\s+(?:is|are|means|refers to)\b", re.I)


def definition_first(
    question: str, units: list[Unit], scores: np.ndarray, chosen: list[int], keep_ratio: float
) -> list[int]:
    """ "What is zero trust?" is answered first by the sentence that says what zero trust is
    ("Zero trust is an architectural approach ..."), when it scores among the kept ones."""
    asked = WHAT_IS.match(question)
    if not asked or not chosen:
        return chosen
    subject = content_terms(asked.group(1))
    best = float(scores.max())
    for i in sorted(range(len(units)), key=lambda i: -scores[i]):
        if scores[i] < keep_ratio * best:
            break
        defines = DEFINES.match(units[i].text)
        if defines and subject and content_terms(defines.group(1)) == subject:
            return [i] + [j for j in chosen if j != i][: max(0, len(chosen) - 1)]
    return chosen


def _starts_list(following: list[str]) -> bool:
    return bool(following) and bool(LIST_ITEM.match(following[0]))


def _list_after(following: list[str], max_items: int) -> tuple[str, ...]:
    """The list items right after a lead-in ("The main risks are:"), markers removed."""
    items = []
    for unit in following[:max_items]:
        if not LIST_ITEM.match(unit):
            break
        items.append(LIST_ITEM.sub("", unit).rstrip(" ;"))
    return tuple(items)


def _context_of(units: list[Unit], i: int) -> list[int]:
    """Units the best one needs beside it: the one its "This" refers to, the example after it."""
    unit = units[i]
    extra = []
    for j, other in enumerate(units):
        if other.n != unit.n:
            continue
        if other.position == unit.position - 1 and LEANS_BACK.match(unit.text):
            extra.append(j)
        if other.position == unit.position + 1 and ELABORATES.match(other.text):
            extra.append(j)
    return extra


def compose(chosen: list[int], units: list[Unit], shape: Shape, max_sentences: int) -> str:
    """The direct answer (with its context) first, then the supporting points in reading order."""
    if not chosen:
        return ""
    lead = sorted(
        [i for i in chosen if i == chosen[0] or i in _context_of(units, chosen[0])],
        key=lambda i: units[i].position,
    )
    rest = sorted(
        (i for i in chosen if i not in lead), key=lambda i: (units[i].n, units[i].position)
    )
    paragraphs = [" ".join(_render(units[i]) for i in lead)]
    if rest:
        as_list = shape.wants_list and len(rest) >= 2
        lines = [_render(units[i], bullet=as_list or units[i].is_item) for i in rest]
        paragraphs.append(_join_lines(lines))
    return "\n\n".join(paragraphs)


def _render(unit: Unit, bullet: bool = False) -> str:
    text = f"- {_cite(unit.text, unit.n)}" if bullet or unit.is_item else _cite(unit.text, unit.n)
    if unit.items:
        text += "\n" + "\n".join(f"- {_cite(item, unit.n)}" for item in unit.items)
    return text


def _join_lines(lines: list[str]) -> str:
    """Prose sentences run on; a bullet starts its own line."""
    out = ""
    for line in lines:
        if not out:
            out = line
        elif line.startswith("- ") or out.rsplit("\n", 1)[-1].startswith("- "):
            out += "\n" + line
        else:
            out += " " + line
    return out


def outline_answer(question: str, shape: Shape, passages: Sequence[Passage]) -> str:
    """From the outline chunks retrieved: the count and the items, or the item asked for."""
    parts = []
    for n, passage in enumerate(passages, start=1):
        lead = OUTLINE_LEAD.match(passage.text)
        if not lead or not _family_asked(lead.group(3), question, shape):
            continue
        items = [line[2:] for line in passage.text.splitlines()[1:] if line.startswith("- ")]
        if shape.item:
            items = [item for item in items if _ordinal_in(item, shape.item[1])]
            if not items:
                continue
        parts.append(_cite(lead.group(0), n) + "\n" + "\n".join(f"- {_cite(i, n)}" for i in items))
        if shape.item:
            break
    return "\n\n".join(parts)


def _family_asked(family: str, question: str, shape: Shape) -> bool:
    wanted = set(content_terms(question))
    if (
        set(content_terms(family)) - {"number", "section"} <= wanted
        and family != "numbered sections"
    ):
        return True
    if family == "numbered sections":
        return bool(wanted & set(content_terms("points principles sections steps numbered")))
    return False


def _ordinal_in(item: str, ordinal: str) -> bool:
    return bool(
        re.match(rf"^(?:\S+\s+){{0,3}}?(?:[A-Za-z]{{0,10}}\s?)?{re.escape(ordinal)}\b", item, re.I)
    )


def _near_duplicate(a: Unit, b: Unit) -> bool:
    ta, tb = set(content_terms(a.scored_text)), set(content_terms(b.scored_text))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.6


def _cite(sentence: str, n: int) -> str:
    return f"{sentence} [{n}]"
