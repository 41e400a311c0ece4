"""What kind of fact a question asks for, and whether an answer states one.

"When is the next meeting?" wants a date; "how much did they spend?" wants a sum of money. If
the checked answer has none, the passages are about the topic but do not answer the question,
and saying so beats quoting a nearby sentence.
"""

from __future__ import annotations

import re

MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"

ASKS_FOR_DATE = re.compile(
    r"^\s*(what (year|date|day|month)\b|(since|by|until) when\b"
    r"|when (is|was|will|did|does|do|are|were)\b.*\b(next|last|first|due|deadline|start|end|held"
    r"|publish(ed)?|launch(ed)?|happen(ed)?|introduced|take place|took place|come into force)\b)",
    re.I,
)
ASKS_FOR_AMOUNT = re.compile(
    r"\b(how (much|many)|what (percentage|proportion|share|amount|number|budget)|what did .* cost"
    r"|how long|how big|what size)\b",
    re.I,
)
ASKS_FOR_MONEY = re.compile(
    r"\b(how much (money|funding)|how much did .* (spend|pay|invest|put|cost|charge)"
    r"|what (did|does|will) .* cost|how much .* (cost|charge|pay|spend|budget|fund|invest))",
    re.I,
)
ASKS_FOR_CONTACT = re.compile(
    r"\b((phone|telephone|mobile) number|e-?mail address|contact details)\b", re.I
)

DATE = re.compile(rf"\b(1[89]\d\d|20\d\d|{MONTHS}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b", re.I)
AMOUNT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty"
    r"|hundred|thousand|million|billion|dozen|half|all|none|every)\b",
    re.I,
)
NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty"
    r"|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|half|a"
)
MONEY = re.compile(
    r"[£$€]\s?\d|\d[\d,.]*\s?(k|m|bn|million|billion|thousand|pounds|pence|euros|dollars)\b"
    rf"|\b({NUMBER_WORDS})[\s-]+(\w+[\s-]+)?(pounds|pence|euros|dollars)\b",
    re.I,
)
CONTACT = re.compile(r"\d{3,}[\d\s-]{4,}|\S+@\S+\.\w+")

STRUCTURE_WORDS = frozenset(
    {"point", "section", "principl", "step", "part", "stage", "chapter", "item"}
)
COUNT_OF = re.compile(r"\bhow many\s+((?:[A-Za-z][\w-]{1,40}\s+){0,2}[A-Za-z][\w-]{1,40})", re.I)
ASKS_FOR_NAME = re.compile(
    r"\b(what (is|was|are|were) the (title|name)s? of|what (is|was) (it|that|this) called"
    r"|what (is|was) the .{1,40} called)\b",
    re.I,
)
# A name stated: quoted words, or two or more capitalised words in a row (not opening a sentence).
NAME_STATED = re.compile(
    r"[‘“\"'][^‘’“”\"']{3,200}[’”\"']|(?<![.!?]\s)(?<!^)\b[A-Z][\w-]+(?:\s+(?:of|and|the|for|in|on)?\s*[A-Z][\w-]+)+"
)


CHECKS = (
    (ASKS_FOR_CONTACT, CONTACT, "the contact details asked for"),
    (ASKS_FOR_NAME, NAME_STATED, "the name or title asked for"),
    (ASKS_FOR_MONEY, MONEY, "a sum of money"),
    (ASKS_FOR_DATE, DATE, "a date"),
    (ASKS_FOR_AMOUNT, AMOUNT, "an amount"),
)


def missing_fact(question: str, answer: str) -> str | None:
    """What kind of fact the question asks for and the answer lacks ('a date', ...), or None."""
    for asks, states, what in CHECKS:
        if asks.search(question):
            if not states.search(answer):
                return what
            return _missing_count(question, answer) if what == "an amount" else None
    return None


def _missing_count(question: str, answer: str) -> str | None:
    """ "How many UPRNs ...?" is answered by a sentence with a number *and* UPRNs in it."""
    from core.text import STOPWORDS, content_terms, split_sentences, strip_citations

    match = COUNT_OF.search(question)
    words: list[str] = []
    for word in match.group(1).split() if match else []:
        if word.lower() in STOPWORDS:
            break
        words.append(word)
    counted = set(content_terms(" ".join(words)))
    if not counted:
        return None
    if counted & STRUCTURE_WORDS:
        counted |= STRUCTURE_WORDS  # "how many points": an outline lists "14 numbered sections"
    for sentence in split_sentences(strip_citations(answer)):
        if AMOUNT.search(sentence) and counted & set(content_terms(sentence)):
            return None
    return f"a count of {' '.join(words)}"
