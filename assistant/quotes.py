"""Which sentence of a cited passage an answer's sentence rests on, so it can be marked.

An extractive answer quotes its passage word for word; a generated one paraphrases it. Each
answer sentence citing ``[n]`` is found in passage ``n`` verbatim when it can be, otherwise the
passage sentence sharing most of its content words is taken (if it shares at least half).
"""

from __future__ import annotations

import re

from core.text import CITATION, content_terms, split_sentences, strip_citations

MIN_SHARE = 0.5
MIN_VERBATIM_CHARS = 12
BULLET = re.compile(r"[-*•]\s+|\d+[.)]\s+")
LIST_BREAK = re.compile(r"[;:]\s+|\s+-\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Where each of ``split_sentences(text)`` lies in ``text`` (character offsets)."""
    spans = []
    position = 0
    for sentence in split_sentences(text):
        match = _loose(sentence).search(text, position)
        if match:
            bullet = BULLET.match(text, match.start())
            spans.append((bullet.end() if bullet else match.start(), match.end()))
            position = match.end()
    return spans


def quoted_spans(answer_text: str, n: int, passage_text: str) -> list[tuple[int, int]]:
    """The stretches of the passage that the answer's sentences citing ``[n]`` state."""
    claims = [
        strip_citations(s) for s in split_sentences(answer_text) if str(n) in CITATION.findall(s)
    ]
    if not claims or not passage_text:
        return []
    sentences = sentence_spans(passage_text)
    found: list[tuple[int, int]] = []
    for claim in claims:
        claim = claim.strip()
        bullet = BULLET.match(claim)
        claim = claim[bullet.end() if bullet else 0 :].rstrip(".;:")
        if not claim:
            continue
        exact = _verbatim(claim, passage_text)
        if exact:
            found.append(exact)
            continue
        # a list answered as one sentence ("Teams should: meet ...; avoid ... - provide ...")
        for piece in LIST_BREAK.split(claim):
            span = _verbatim(piece, passage_text) or _best_sentence(piece, passage_text, sentences)
            if span:
                found.append(span)
    return _merge(found)


def quoted_sentences(answer_text: str, n: int, passage_text: str) -> list[str]:
    return [passage_text[a:b] for a, b in quoted_spans(answer_text, n, passage_text)]


def _verbatim(piece: str, text: str) -> tuple[int, int] | None:
    piece = piece.strip().rstrip(".;:,")
    if len(piece) < MIN_VERBATIM_CHARS:
        return None
    match = _loose(piece).search(text)
    return match.span() if match else None


def _best_sentence(
    claim: str, text: str, sentences: list[tuple[int, int]]
) -> tuple[int, int] | None:
    terms = set(content_terms(claim))
    if not terms:
        return None
    scored = []
    for start, end in sentences:
        own = set(content_terms(text[start:end]))
        if own:
            shared = len(terms & own)
            scored.append((shared / len(terms), shared / len(own), start, end))
    if not scored:
        return None
    share, _, start, end = max(scored)
    return (start, end) if share >= MIN_SHARE else None


def _loose(sentence: str) -> re.Pattern[str]:
    """The sentence, matching any run of whitespace where it has one."""
    return re.compile(r"\s+".join(re.escape(word) for word in sentence.split()))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
