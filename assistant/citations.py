"""Citation checking: every sentence shown to a user must be supported by the passage it cites.

Support is lexical (the claim's content words and every number in it appear in the cited
passage) and, where wording differs, semantic (the claim is close in meaning to a sentence of
the passage). Sentences that fail, and citation numbers that name no passage, never reach the
user; a sentence citing the wrong passage is re-cited to the one that supports it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.embedder import Embedder
from core.settings import CitationSettings
from core.text import CITATION, content_terms, split_sentences, strip_citations
from core.types import Citation, Passage

NUMBER = re.compile(r"\d[\d,.]*\d|\d")


@dataclass(frozen=True)
class CheckedAnswer:
    text: str
    citations: tuple[Citation, ...]
    removed_sentences: int
    recited_sentences: int
    kept_sentences: int


@dataclass(frozen=True)
class _Claim:
    sentence: str
    claim: str
    cited: tuple[int, ...]


def _claims(draft: str) -> list[_Claim]:
    claims = []
    for sentence in split_sentences(draft):
        cited = tuple(dict.fromkeys(int(n) for n in CITATION.findall(sentence)))
        claims.append(_Claim(sentence, strip_citations(sentence), cited))
    return claims


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "").rstrip(".") for n in NUMBER.findall(text)}


class CitationChecker:
    def __init__(
        self, embedder: Embedder | None = None, settings: CitationSettings | None = None
    ) -> None:
        self.embedder = embedder
        self.settings = settings or CitationSettings()

    def lexical_support(self, claim: str, passage: Passage) -> float:
        terms = set(content_terms(claim))
        if not terms:
            return 0.0
        haystack = f"{passage.doc.title} {passage.section} {passage.text}"
        if not _numbers(claim) <= _numbers(haystack):
            return 0.0  # a number the passage does not contain is an invented fact
        return len(terms & set(content_terms(haystack))) / len(terms)

    def semantic_support(self, claim: str, passage: Passage) -> float:
        if self.embedder is None:
            return 0.0
        sentences = split_sentences(passage.text)[:40] or [passage.text]
        vectors = np.asarray(self.embedder.get_text_embedding_batch([claim, *sentences]))
        return float(np.max(vectors[1:] @ vectors[0]))

    def supports(self, claim: str, passage: Passage) -> bool:
        cfg = self.settings
        lexical = self.lexical_support(claim, passage)
        if lexical >= cfg.lexical_enough:
            return True
        if lexical < cfg.lexical_floor:
            return False
        return self.semantic_support(claim, passage) >= cfg.semantic_enough

    def check(self, draft: str, passages: Sequence[Passage]) -> CheckedAnswer:
        """Keep supported sentences, renumber their citations 1..k in order of first use."""
        session = self.session(passages)
        session.feed(draft)
        session.feed(None)
        return session.result()

    def session(self, passages: Sequence[Passage]) -> CheckingSession:
        """Check a draft that arrives in pieces (a streaming LLM), sentence by sentence."""
        return CheckingSession(self, passages)

    def _cite(self, claim: _Claim, passages: Sequence[Passage]) -> tuple[list[int], bool]:
        """The passages that support a claim, and whether they differ from those it cited."""
        valid = [n for n in claim.cited if 1 <= n <= len(passages)]
        supported = [n for n in valid if self.supports(claim.claim, passages[n - 1])]
        if supported:
            return supported, False
        for n in range(1, len(passages) + 1):
            lexical = self.lexical_support(claim.claim, passages[n - 1])
            if n not in valid and lexical >= self.settings.lexical_enough:
                return [n], True
        return [], False


class CheckingSession:
    """Feed draft text as it comes; get back each checked sentence as soon as it is complete."""

    def __init__(self, checker: CitationChecker, passages: Sequence[Passage]) -> None:
        self.checker = checker
        self.passages = passages
        self.draft = ""
        self._emitted = 0
        self._numbering: dict[int, int] = {}
        self._parts: list[str] = []
        self.removed = self.recited = 0

    def feed(self, piece: str | None) -> list[str]:
        """Add text (None at the end); return the newly checked sentences, ready to show."""
        if piece is not None:
            self.draft += piece
        claims = _claims(self.draft)
        # Until the end, the last sentence may still be growing: hold it back.
        ready = claims[self._emitted :] if piece is None else claims[self._emitted : -1]
        self._emitted += len(ready)
        return [text for claim in ready if (text := self._accept(claim))]

    def _accept(self, claim: _Claim) -> str | None:
        if not content_terms(claim.claim):
            return None  # a bare "[1]" or an empty fragment: nothing to show
        supported, recited = self.checker._cite(claim, self.passages)
        if not supported:
            self.removed += 1
            return None
        self.recited += recited
        for n in supported:
            self._numbering.setdefault(n, len(self._numbering) + 1)
        text = _attach(claim.claim, "".join(f"[{self._numbering[n]}]" for n in supported))
        self._parts.append(text)
        return text

    def result(self) -> CheckedAnswer:
        citations = tuple(
            Citation.from_passage(new, self.passages[old - 1])
            for old, new in self._numbering.items()
        )
        return CheckedAnswer(
            join_sentences(self._parts), citations, self.removed, self.recited, len(self._parts)
        )


def join_sentences(parts: Sequence[str]) -> str:
    """Checked sentences as one text: prose runs on, each list item ("- ...") on its own line,
    and a paragraph break where prose follows a list (or a list a sentence)."""
    out = ""
    for part in parts:
        out += joiner(out, part) + part
    return out


def joiner(before: str, part: str) -> str:
    """What goes between the text so far and the next checked sentence (streams send it with
    the sentence, so the joined stream is exactly the final answer, line breaks included)."""
    if not before:
        return ""
    last_line = before.rsplit("\n", 1)[-1]
    if part.startswith("- "):
        return "\n" if last_line.startswith("- ") or before.endswith(":") else "\n\n"
    return "\n\n" if last_line.startswith("- ") else " "


def _attach(claim: str, markers: str) -> str:
    """Put citation markers before the sentence's final punctuation: 'text [1].'"""
    match = re.match(r"^(.*?)([.!?:;]+[\"'”’)]*)?$", claim, re.S)
    body, end = (match.group(1).rstrip(), match.group(2) or "") if match else (claim, "")
    if not end:
        return f"{body} {markers}"
    return f"{body} {markers}{end}"
