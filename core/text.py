"""Small text tools shared by retrieval, the extractive backend and the citation checker."""

from __future__ import annotations

import re
from functools import lru_cache

import Stemmer

WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
CITATION = re.compile(r"\[(\d{1,3})\]")
# Sentence ends: ., ! or ? (optionally followed by quotes/brackets/citations), then space + capital.
SENTENCE_END = re.compile(r"((?<=[.!?])[\"'”’)\]]*(?:\s*\[\d{1,3}\])*)\s+(?=[\"'“‘(\[]?[A-Z0-9])")
ABBREVIATIONS = re.compile(r"\b(e\.g|i\.e|etc|vs|Dr|Mr|Mrs|Ms|No|St|Fig|cf|al)\.$", re.I)
ORDINAL_ONLY = re.compile(
    r"^(?:[-*•]\s+)?(?:\d{1,3}|[A-Z]\d{0,2})\.$"
)  # "1." of "1. Understand users"

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself yourselves
    tell say says said according please give explain describe list much many way ways use used
    using need needs needed get got make makes made thing things something anything kind sort
    shall must may might one two us let lets know want like""".split()
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    return [w.lower().strip("'’-") for w in WORD.findall(text)]


CONTRACTION = re.compile(r"['’](s|t|re|ve|ll|d|m)$")


def content_terms(text: str) -> list[str]:
    """Stemmed words that carry meaning (no stopwords, no contractions), in order, with repeats."""
    terms = []
    for word in words(text):
        if CONTRACTION.search(word):
            if not word.endswith(("'s", "’s")) or "n't" in word:
                continue  # we're, aren't, shouldn't: function words
            word = word[:-2]  # the council's -> council
        if word and word not in STOPWORDS and (len(word) > 1 or word.isdigit()):
            terms.append(word)
    return _stemmer().stemWords(terms)


def split_sentences(text: str) -> list[str]:
    """Sentences of a passage, keeping list items and table rows as their own units."""
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)|\n(?=.*\|)", text):
        block = " ".join(block.split())
        if not block:
            continue
        pieces = SENTENCE_END.sub("\\1\x00", block).split("\x00")
        merged: list[str] = []
        for piece in pieces:
            if merged and (ABBREVIATIONS.search(merged[-1]) or ORDINAL_ONLY.match(merged[-1])):
                merged[-1] = f"{merged[-1]} {piece}"
            else:
                merged.append(piece)
        sentences.extend(p.strip() for p in merged if p.strip())
    return sentences


def strip_citations(text: str) -> str:
    return " ".join(CITATION.sub(" ", text).split())
