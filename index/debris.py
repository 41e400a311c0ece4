"""Debris: what is left of markup, navigation and print layout in text meant for reading.

One list of kinds, used twice: ``remove_debris`` cleans every document at load time (so no
chunk, passage or answer carries it) and ``debris_in`` finds what is left, which the evals
count in answers and passages and gate at zero. Every pattern is linear: no nested
quantifiers, bounded repeats, so hostile text cannot make them backtrack.
"""

from __future__ import annotations

import re

# ":bulb:", ":heavy_check_mark:" (GitHub/GitBook emoji). Not "MK:Smart" or "/:l:/" in a URL.
EMOJI_SHORTCODE = re.compile(r"(?<![\w:/]):[a-z][a-z0-9_+-]{1,40}:(?![\w/])[ \t]?")
# Markdown escapes ("won\'t", "1\.", "\*"): the backslash is markup.
BACKSLASH_ESCAPE = re.compile(r"\\(?=[\\`*_{}\[\]()#+\-.!'\"|<>~])")
# Lines that only point elsewhere: "Read more about the Cloud First policy."
POINTER_LINE = re.compile(
    r"^[ \t]*(?:[-*+][ \t]+)?(?:to[ \t]+)?(?:read more|find out more|learn more|more information)\b[^\n]*$",
    re.I | re.M,
)
# A line that was one link introduced by "Read how ..." or "See ...": navigation, not content.
LINK_POINTER_LINE = re.compile(
    r"^[ \t]*(?:read|see|visit|go to)\b[^\n\[]{0,80}\[[^\]\n]{1,300}\]\([^)\n]{1,500}\)[ .]{0,3}$",
    re.I | re.M,
)
ITALIC_STAR = re.compile(r"(?<![\w*\\])\*(?![\s*])([^*\n]{1,400}?)(?<![\s*\\])\*(?![\w*])")
STAR_BULLET = re.compile(r"^([ \t]*)[*+•▪◦·][ \t]+", re.M)
LOOSE_STAR = re.compile(r"\*+")
PRIVATE_USE = re.compile("[\ue000-\uf8ff\ufffd\u200b-\u200d\u2060\ufeff]")
# Wikipedia's inline maintenance tags: "Recent[when?] governmental[which?] activity".
WIKI_TAG = re.compile(
    r"\[(?:which|when|who|whom|where|why|how|by whom|according to whom|citation needed"
    r"|clarification needed|dubious|vague|failed verification|needs update)\??\]",
    re.I,
)
FOOTNOTE_DIGITS = re.compile(
    "(?<![\\w\u00b2\u00b3\u00b9\u2070-\u2079])[\u00b2\u00b3\u00b9\u2070\u2074-\u2079]+"
)
PICTOGRAPH = re.compile("[\U0001f000-\U0001faff\ufe0f]")  # decorative emoji ("🏗Specification")
# A sentence broken by a blank line ("... because\n\nthey try to ..."): one paragraph again.
BROKEN_PARAGRAPH = re.compile(r"(?<=[a-z,])[ \t]*\n[ \t]*\n[ \t]*(?=[a-z])")
# Words joined by underscores in prose ("climate_change", "Milton_Keynes": wiki link targets).
# Not identifiers: a token in a URL, a path, code or a "key:" line is left alone.
UNDERSCORE_WORDS = re.compile(
    r"(?<![\w/.@`=-])[A-Za-z][A-Za-z0-9]{0,30}(?:_[A-Za-z0-9]{1,30}){1,6}(?![\w/@`=(-])"
)
FILE_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}\b")  # "design_history.md", "my_data.csv"
# A footnote number glued after a sentence's end ("city-regions.12 The EU"): the "[12]" of a
# reference whose brackets were read as a link.
GLUED_FOOTNOTE = re.compile(
    r"(?<=[a-z)][.,;:])\d{1,3}(?:,\d{1,3}){0,4}(?=[ \t]+[A-Z]|[ \t]*$)", re.M
)
SPACE_RUN = re.compile(r"[ \t]{2,}")
SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+(?=[.,;:](?:\s|$))", re.M)

# What ``debris_in`` looks for in text that should already be clean.
TABLE_PIPE = re.compile(r"(?:^|[ \t])\|(?:[ \t]|$)", re.M)
# A list marker after the end of a sentence on the same line: "... two ways. - Use a key".
INLINE_LIST_DASH = re.compile(r"(?<!etc)[.:;!?\]][ \t]*[-*•][ \t]+[A-Z]")
# A list written on one line ("factors:- What is the use case? - Cost"): each item on its own.
INLINE_LIST_ITEM = re.compile(r"(?<=[.:;!?])[ \t]*[-•][ \t]+(?=[A-Z])")
STAR = re.compile(r"(?<![A-Za-z0-9)])\*|\*(?![A-Za-z0-9(])")
SENTENCE_THEN_LOWER = re.compile(r"(\S{1,40})\.[\"'”’)\]]*[ \t]+([a-z][a-z]+)\b")
CODE_LIKE = re.compile(r"[{}]|\":")
FIRST_WORD_LOWER = re.compile(r"^[ \t]*([a-z][a-z]+)\b")
ABBREVIATIONS = frozenset(
    "eg ie etc vs ex cf al approx incl fig figs no nos vol pp ed eds esp resp viz ca"
    " jan feb mar apr jun jul aug sep sept oct nov dec mr mrs ms dr st".split()
)
NOT_FRAGMENTS = frozenset({"http", "https", "www", "and", "or"})


def remove_pointer_lines(markdown: str) -> str:
    """Drop 'Read more about [X](url)' lines while their links still show what they are."""
    return POINTER_LINE.sub("", LINK_POINTER_LINE.sub("", markdown))


# PDFs set in the Symbol font map Greek letters to private-use code points U+F020-U+F07F.
SYMBOL_FONT = dict(
    zip(
        map(
            ord,
            "\uf020"
            + "".join(
                chr(0xF000 + ord(c)) for c in "abcdefghiklmnopqrstuwxyzABDEFGHIKLMNOPQRSTUWXYZ"
            ),
        ),
        " αβχδεφγηικλμνοπθρστυωξψζΑΒΔΕΦΓΗΙΚΛΜΝΟΠΘΡΣΤΥΩΞΨΖ",
    )
)


def remove_debris(text: str) -> str:
    """Clean text of the kinds ``debris_in`` reports (tables are handled by ``index.tables``)."""
    text = PICTOGRAPH.sub("", PRIVATE_USE.sub("", text.translate(SYMBOL_FONT)))
    text = WIKI_TAG.sub("", BACKSLASH_ESCAPE.sub("", text))
    text = EMOJI_SHORTCODE.sub("", text)
    text = POINTER_LINE.sub("", text)
    text = ITALIC_STAR.sub(r"\1", text)
    text = STAR_BULLET.sub(r"\1- ", text)
    text = INLINE_LIST_ITEM.sub("\n- ", text)
    text = "\n".join(_unstar(line) for line in text.split("\n"))
    text = GLUED_FOOTNOTE.sub("", UNDERSCORE_WORDS.sub(_unjoin, text))
    text = BROKEN_PARAGRAPH.sub(" ", SPACE_BEFORE_PUNCT.sub("", FOOTNOTE_DIGITS.sub("", text)))
    text = SENTENCE_THEN_LOWER.sub(_capitalise, text)
    return "\n".join(_squeeze(line) for line in text.split("\n"))


def _unjoin(match: re.Match) -> str:
    """'climate_change' -> 'climate change'; 'maintainer_id: x' (a key) and 'design_history.md'
    (a file name) stay."""
    after = match.string[match.end() : match.end() + 8]
    if after[:1] == ":" or any(c.isdigit() for c in match.group(0).split("_")[0][:1]):
        return match.group(0)
    if FILE_EXTENSION.match(after):
        return match.group(0)
    return match.group(0).replace("_", " ")


def _capitalise(match: re.Match) -> str:
    """'... is implemented. an earlier discussion': the lost capital back, abbreviations aside."""
    if _abbreviation(match.group(1)) or match.group(2) in NOT_FRAGMENTS:
        return match.group(0)
    start = match.start(2) - match.start(0)
    text = match.group(0)
    return text[:start] + text[start].upper() + text[start + 1 :]


def _abbreviation(before: str) -> bool:
    token = re.sub(r"[^A-Za-z.]", "", before)
    return "." in token or len(token) < 3 or token.lower() in ABBREVIATIONS


def _unstar(line: str) -> str:
    """Footnote stars ('implementation*') go; multiplication ('7*7') stays."""
    if "*" not in line:
        return line
    return STAR.sub("", line)


def _squeeze(line: str) -> str:
    """Runs of spaces inside a line become one (indentation is kept)."""
    stripped = line.lstrip(" \t")
    return line[: len(line) - len(stripped)] + SPACE_RUN.sub(" ", stripped).rstrip()


def debris_in(text: str) -> list[str]:
    """The kinds of debris in ``text`` (empty when clean): what an officer should never see."""
    found = []
    checks = (
        ("emoji shortcode", EMOJI_SHORTCODE),
        ("backslash escape", BACKSLASH_ESCAPE),
        ("table pipe", TABLE_PIPE),
        ("list dash inside a sentence", INLINE_LIST_DASH),
        ("navigation line", POINTER_LINE),
        ("stray star", STAR),
        ("private-use glyph", PRIVATE_USE),
        ("footnote marker", FOOTNOTE_DIGITS),
        ("footnote number glued to a word", GLUED_FOOTNOTE),
    )
    for kind, pattern in checks:
        if pattern.search(text):
            found.append(kind)
    if any(m.string[m.end() : m.end() + 1] != ":" for m in UNDERSCORE_WORDS.finditer(text)):
        found.append("words joined by underscores")
    if lower_case_fragment(text):
        found.append("lower-case fragment")
    return found


def lower_case_fragment(text: str) -> str | None:
    """The first sentence that starts in lower case (a cut, or a lost capital), or None."""
    for line in text.split("\n"):
        if CODE_LIKE.search(line):
            continue  # JSON and code examples are not prose
        first = FIRST_WORD_LOWER.match(line)
        if first and first.group(1) not in NOT_FRAGMENTS and _starts_block(text, line):
            return line.strip()[:80]
        for match in SENTENCE_THEN_LOWER.finditer(line):
            if _abbreviation(match.group(1)) or match.group(2) in NOT_FRAGMENTS:
                continue  # "e.g. the", "etc. and", "No. 5"
            return line[match.start(2) : match.start(2) + 80]
    return None


def _starts_block(text: str, line: str) -> bool:
    """A line starting in lower case is a fragment when it opens the text or a paragraph."""
    position = text.find(line)
    if position <= 0:
        return True
    return text[:position].endswith("\n\n") or text[:position].rstrip(" \t").endswith(("\n\n",))
