"""Headings are data: a document's numbered headings as a chunk of their own.

"What are the four objectives of the CAF?" or "how many points are in the Service Standard?"
are answered by the document's structure, which no single passage states: the objectives sit
in four headings pages apart. So at chunking time each family of numbered headings
("Objective A ... Objective D", "1. Understand users ... 14. Operate a reliable service",
"Principle A1 ... D2") becomes one outline chunk that lists them in order, under its own
section, so retrieval can find it and an answer can quote it with a real citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING = re.compile(r"^(#{1,6})[ \t]+(.{1,300})$", re.M)
LINK = re.compile(r"\[([^\]]{0,300})\]\([^)]{0,500}\)")
# "1. Understand users", "7  Don't trust any network", "10) Define success"
NUMBERED = re.compile(r"^(\d{1,2})(?:[.):]|\s)\s*(\S.{0,200})$")
# "CAF - Objective A - Managing security risk", "Principle A1 Governance", "Point 3: ...",
# "MIM7 - Places"
NAMED = re.compile(
    r"^(?:[^-–:]{0,30}[-–:]\s*)?([A-Z][A-Za-z]{1,20}?)\s?([A-Z]\d{0,2}|\d{1,2}|[IVX]{1,4})"
    r"(?![\w.])\s*[-–:.]?\s*(.{0,200})$"
)
ACRONYM_NUMBERED = re.compile(
    r"^([A-Z]{2,10})(\d{1,2})(?![\w.])\s*[-–:.]?\s*(.{0,200})$"
)  # "MIM7 - Places"
MIN_MEMBERS = 3
MAX_LISTED = 30
OUTLINE_LEAD = re.compile(r"^The headings of (.{1,300}) list (\d{1,3}) (.{1,60}):$", re.M)


@dataclass(frozen=True)
class Family:
    """Headings that share a name and are told apart by an ordinal (1, 2, 3 or A, B, C)."""

    name: str  # "numbered sections", "objectives", "principles"
    members: tuple[tuple[str, str], ...]  # (ordinal, heading text) in document order


def tidy(heading: str) -> str:
    heading = LINK.sub(r"\1", heading)
    heading = re.sub(r"[#*_`\\]+", "", heading)
    return " ".join(heading.split()).rstrip(" .")


def heading_families(markdown: str) -> list[Family]:
    """Families of at least three numbered headings, in order of their first heading."""
    found: dict[tuple, list[tuple[str, str]]] = {}
    words: dict[tuple, str] = {}
    for level, raw in HEADING.findall(markdown):
        text = tidy(raw)
        key, ordinal, word = _family_key(text, len(level))
        if key is None:
            continue
        words.setdefault(key, word)
        members = found.setdefault(key, [])
        if all(o != ordinal for o, _ in members):  # an overview repeating the list: first wins
            members.append((ordinal, text))
    families = []
    for key, members in found.items():
        ordinals = [o for o, _ in members]
        if len(members) < MIN_MEMBERS or not any(o in {"1", "A", "I", "A1"} for o in ordinals):
            continue
        name = "numbered sections" if key[0] == "#" else _plural(words[key])
        families.append(Family(name, tuple(sorted(members, key=_ordinal_order))))
    # The same list twice (an overview, then the sections): keep the fuller one.
    return [
        f
        for f in families
        if not any(
            g is not f
            and g.name == f.name
            and len(g.members) >= len(f.members)
            and {o for o, _ in f.members} <= {o for o, _ in g.members}
            and (len(g.members) > len(f.members) or families.index(g) < families.index(f))
            for g in families
        )
    ]


def _ordinal_order(member: tuple[str, str]) -> tuple:
    ordinal = member[0]
    letters = "".join(c for c in ordinal if c.isalpha())
    digits = "".join(c for c in ordinal if c.isdigit())
    return (letters, int(digits) if digits else 0)


def _family_key(text: str, level: int) -> tuple[tuple | None, str, str]:
    """(family key, ordinal, the family's word) of a heading, or (None, '', '')."""
    numbered = NUMBERED.match(text)
    if numbered and numbered.group(2)[:1].isalpha():
        return ("#", level), numbered.group(1), ""
    named = ACRONYM_NUMBERED.match(text) or NAMED.match(text)
    if named and named.group(3):
        ordinal = named.group(2)
        kind = (
            "n"
            if ordinal.isdigit()
            else "r"
            if set(ordinal) <= set("IVX") and len(ordinal) > 1
            else "a"
        )
        kind += "n" if ordinal[1:].isdigit() else ""
        word = named.group(1)
        return (word.lower(), kind), ordinal, word if word.isupper() else word.lower()
    return None, "", ""


def _plural(word: str) -> str:
    if word.isupper():
        return word + "s"
    return word + ("es" if word.endswith(("s", "x", "ch", "sh")) else "s")


def outline_sections(title: str, markdown: str) -> list[tuple[str, str]]:
    """(section, text) of one outline chunk per heading family of the document."""
    result = []
    for family in heading_families(markdown):
        members = family.members[:MAX_LISTED]
        lines = [f"The headings of {title} list {len(family.members)} {family.name}:"]
        lines += [f"- {text}" for _, text in members]
        section = f"{title} > Outline: {family.name}"
        result.append((section, "\n".join(lines)))
    return result
