"""Training pairs made from the structure of our own corpora (no golden-set question used).

A section heading asked as a question is answered by its own section's opening sentences and
not by other sections' sentences. Near misses teach that a sentence on the topic is not an
answer: "What is the budget for <heading>?" against the same section's sentences that state no
sum of money, "When did ... ?" against those stating no date, "How many ... ?" against those
stating no number. Markdown headings only: every corpus here is Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from core.text import split_sentences
from training.common import stable_fraction

HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
MONEY = re.compile(r"[£$€]\s?\d|\b\d[\d,.]*\s?(?:million|billion|bn|m|k)\b|\bpounds?\b", re.I)
DATE = re.compile(
    r"\b(?:1[89]|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september"
    r"|october|november|december)\b",
    re.I,
)
NUMBER = re.compile(
    r"\b\d+\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve)\b", re.I
)
NEAR_MISSES = (
    ("What is the budget for {}?", MONEY),
    ("How much does {} cost?", MONEY),
    ("When did {} start?", DATE),
    ("In what year was {} introduced?", DATE),
    ("How many people work on {}?", NUMBER),
)
LINK = re.compile(r"!?\[([^\]]{0,200})\]\([^)]{0,400}\)")
TAG = re.compile(r"<[^>]{0,400}>")
SKIP_HEADINGS = re.compile(
    r"^(contents|references|notes|footnotes|see also|sources|bibliography)\b", re.I
)


def sections(text: str) -> Iterator[tuple[str, list[str]]]:
    """(leaf heading, sentences) of each Markdown section with prose under it."""
    text = FRONT_MATTER.sub("", text)
    heading, lines = "", []
    for line in text.splitlines() + ["# end"]:
        match = HEADING.match(line)
        if not match:
            lines.append(line)
            continue
        prose = " ".join(
            x.strip() for x in lines if x.strip() and not x.lstrip().startswith(("|", "!"))
        )
        prose = TAG.sub("", LINK.sub(r"\1", prose))
        sentences = [s for s in split_sentences(prose) if 30 <= len(s) <= 400]
        if heading and sentences and not SKIP_HEADINGS.match(heading):
            yield heading, sentences
        heading, lines = match.group(2).strip(" *"), []


def heading_question(heading: str) -> str | None:
    """The heading as a question ("Why data sharing matters" -> itself plus "?"), or None."""
    words = heading.split()
    if not 2 <= len(words) <= 12:
        return None
    if heading.endswith("?"):
        return heading
    lowered = heading[0].lower() + heading[1:]
    if re.match(r"^(how|why|what|when|where|who|which)\b", lowered):
        return heading.rstrip(".:") + "?"
    return f"What does the guidance say about {lowered.rstrip('.:')}?"


def corpus_files(roots: list[Path]) -> list[Path]:
    found = []
    for root in roots:
        if root.is_dir():
            found += sorted(p for p in root.rglob("*.md") if p.name.lower() != "readme.md")
    return found


def pairs_from_corpora(roots: list[Path], seed: int) -> list[dict]:
    """Question-sentence rows in the training schema (``source`` = corpus)."""
    docs = []
    for path in corpus_files(roots):
        found = list(sections(path.read_text(encoding="utf-8", errors="replace")))
        if found:
            docs.append((path, found))
    rows: list[dict] = []
    for d, (path, found) in enumerate(docs):
        for s, (heading, sentences) in enumerate(found):
            question = heading_question(heading)
            if question is None:
                continue
            group = f"corpus-{path.stem}-{s}"

            def row(
                q: str, sentence: str, head: str, label: int, kind: str, g: str = group
            ) -> dict:
                return {
                    "question": q,
                    "sentence": sentence,
                    "heading": head,
                    "label": label,
                    "group": g,
                    "source": "corpus",
                    "kind": kind,
                }

            for sentence in sentences[:2]:
                rows.append(row(question, sentence, heading, 1, "own-section"))
            others = [(h, x) for t, (h, xs) in enumerate(found) if t != s for x in xs[:3]]
            if others:
                pick = int(stable_fraction(group, seed) * len(others))
                for h, x in (others[pick], others[(pick + 7) % len(others)]):
                    rows.append(row(question, x, h, 0, "other-section"))
            other_doc = docs[(d + 1 + s) % len(docs)][1]
            if other_doc is not found:
                h, xs = other_doc[s % len(other_doc)]
                rows.append(row(question, xs[0], h, 0, "other-document"))
            if re.match(r"^(how|why|what|when|where|who|which)\b", heading, re.I):
                continue  # "What data you can use with it": no near miss reads naturally
            template, states = NEAR_MISSES[
                int(stable_fraction(group + "near", seed) * len(NEAR_MISSES))
            ]
            lowered = heading[0].lower() + heading[1:]
            near = template.format(lowered.rstrip(".:?"))
            for sentence in sentences[:3]:
                if not states.search(sentence):
                    rows.append(row(near, sentence, heading, 0, "near-miss", group + "-near"))
    return rows
