"""What kind of fact a question asks for, and whether an answer states one.

"When is the next meeting?" wants a date; "how much did they spend?" wants an amount. If the
checked answer has none, the passages are about the topic but do not answer the question, and
saying so beats quoting a nearby sentence.
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
DATE = re.compile(rf"\b(1[89]\d\d|20\d\d|{MONTHS}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b", re.I)
AMOUNT = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty"
    r"|hundred|thousand|million|billion|dozen|half|all|none|every)\b",
    re.I,
)


def missing_fact(question: str, answer: str) -> str | None:
    """'a date' or 'an amount' when the question asks for one and the answer has none."""
    if ASKS_FOR_DATE.search(question) and not DATE.search(answer):
        return "a date"
    if ASKS_FOR_AMOUNT.search(question) and not AMOUNT.search(answer):
        return "an amount"
    return None
