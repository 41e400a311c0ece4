"""Turn a follow-up ("and what about procurement?") into a standalone question.

An LLM backend may rewrite it; otherwise these rules cover how officers phrase follow-ups:
a new topic for the previous question ("what about X?") or a pronoun pointing back ("who
wrote it?").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.types import Turn

NEW_TOPIC = re.compile(
    r"^\s*(?:and|but|also|so|ok(?:ay)?|then)?[\s,]*(?:what|how)\s+about\s+(?P<topic>.+?)\s*\??\s*$"
    r"|^\s*(?:and|also)\s+(?P<topic2>[^?]{2,60}?)\s*\??\s*$",
    re.I,
)
TOPIC_SLOT = re.compile(r"\b(about|on|regarding|for|of|with|concerning)\s+(?P<topic>[^?]+?)\s*\??\s*$", re.I)
BACK_REFERENCE = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she)\b", re.I)
OPENERS = re.compile(r"^\s*(and|but|also|so)\b[\s,]*", re.I)


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
        return f"{previous.rstrip(' ?')} and {topic}?"
    words = question.split()
    if BACK_REFERENCE.search(question) and len(words) <= 12 or OPENERS.match(question):
        return f"{OPENERS.sub('', question).rstrip(' ?')}? (about: {previous.rstrip(' ?')})"
    return question
