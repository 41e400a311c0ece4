"""What shape of answer a question wants: one fact, several things, a count, or item N.

"What are the main risks ...?" wants a short list; "how many points ...?" a count; "what is
principle 7?" one numbered item. Answers are composed to that shape, and questions about
structure are answered from the document's outline (see ``index.outline``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLURAL_THINGS = (
    r"steps|stages|phases|risks|ways|functions|principles|objectives|points|examples|options"
    r"|requirements|capabilities|types|kinds|categories|factors|questions|measures|criteria"
    r"|benefits|challenges|components|elements|areas|roles|responsibilities|actions|methods"
    r"|tools|technologies|organisations|organizations|standards|mechanisms|things|approaches"
    r"|skills|functions|services|issues|controls|checks|rules|tips|practices|sections|parts"
    r"|characteristics|features|uses|applications|considerations|recommendations|mims"
)
ASKS_FOR_LIST = re.compile(
    rf"^\s*(list|name|outline|summari[sz]e|what are|which are|what were)\b|\b({PLURAL_THINGS})\b",
    re.I,
)
ASKS_FOR_COUNT = re.compile(r"\bhow many\b|\bnumber of\b", re.I)
ITEM_WORDS = r"point|principle|objective|section|step|part|stage|mim|standard|requirement|chapter"
ASKS_FOR_ITEM = re.compile(rf"\b({ITEM_WORDS})\s+([A-Z]?\d{{1,2}}|[A-D])\b(?![.\d])", re.I)
ASKS_FOR_STRUCTURE = re.compile(
    rf"\b({ITEM_WORDS}|objectives|principles|points|sections|mims)\b", re.I
)


@dataclass(frozen=True)
class Shape:
    wants_list: bool = False
    wants_count: bool = False
    item: tuple[str, str] | None = None  # ("principle", "7")
    about_structure: bool = False

    @property
    def structural(self) -> bool:
        """Answerable from a document's numbered headings."""
        return self.about_structure and (
            self.wants_count or self.wants_list or self.item is not None
        )


def shape_of(question: str) -> Shape:
    item = ASKS_FOR_ITEM.search(question)
    return Shape(
        wants_list=bool(ASKS_FOR_LIST.search(question)),
        wants_count=bool(ASKS_FOR_COUNT.search(question)),
        item=(item.group(1).lower(), item.group(2).upper()) if item else None,
        about_structure=bool(ASKS_FOR_STRUCTURE.search(question)),
    )
