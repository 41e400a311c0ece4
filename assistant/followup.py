"""Turn a follow-up ("and what about procurement?") into a standalone question.

An LLM backend may rewrite it; otherwise these rules cover how officers phrase follow-ups:
a new topic for the previous question ("what about X?"), a pronoun pointing back ("who
wrote it?"), or a short question with no subject of its own ("what are the exceptions?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from core.text import content_terms
from core.types import Turn

NEW_TOPIC = re.compile(
    r"^\s*(?:and|but|also|so|ok(?:ay)?|then)?[\s,]*(?:what|how)\s+about\s+(?P<topic>.+?)\s*\??\s*$"
    r"|^\s*(?:and|also)\s+(?P<topic2>(?!(?:what|how|why|who|when|where|which|is|are|do|does|can|should)\b)"
    r"[^?\s]+(?:\s+[^?\s]+){0,3})\s*\??\s*$",
    re.I,
)
TOPIC_SLOT = re.compile(
    r"\b(about|on|regarding|for|of|with|concerning)\s+(?P<topic>[^?]+?)\s*\??\s*$", re.I
)
BACK_REFERENCE = re.compile(
    r"\b(it|its|they|them|their|this|that|these|those|there|he|him|his|she|her|hers)\b", re.I
)
OPENERS = re.compile(r"^\s*(and|but|also|so)\b[\s,]*", re.I)
NAME = re.compile(
    r"(?<!^)\b([a-z]+[A-Z][A-Za-z]*|[A-Z][A-Za-z]*[A-Z][A-Za-z]*|[A-Z]{2,}|[A-Z][a-z]+(?:\s[A-Z][a-z]+)*)\b"
)


def _names(question: str) -> list[str]:
    """Proper names and acronyms, the subject an officer keeps talking about."""
    return list(dict.fromkeys(NAME.findall(question.strip())))


def standalone_question(question: str, history: Sequence[Turn]) -> str:
    """The question to retrieve with: unchanged unless it leans on the conversation."""
    previous = next((t.question for t in reversed(history) if t.question.strip()), None)
    if not previous:
        return question
    match = NEW_TOPIC.match(question)
    if match:
        topic = (match.group("topic") or match.group("topic2") or "").strip()
        slot = TOPIC_SLOT.search(previous)
        if slot:
            return f"{previous[: slot.start('topic')]}{topic}?"
        names = _names(previous)
        if names:
            return f"What does {' '.join(names)} say about {topic}?"
        return f"{previous.rstrip(' ?')} and {topic}?"
    own = OPENERS.sub("", question)
    leans_back = bool(BACK_REFERENCE.search(own)) and len(own.split()) <= 14
    no_subject = len(content_terms(own)) <= 1 and not _names(own)
    if leans_back or no_subject:
        return f"{own.rstrip(' ?')}? (about: {previous.rstrip(' ?')})"
    return own[:1].upper() + own[1:]
