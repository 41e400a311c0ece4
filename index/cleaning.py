"""Turn messy real-world Markdown (Jekyll, GitBook, HTML tables, link noise) into clean text.

Noise in chunks hurts twice: it wastes the embedder's 256 tokens and it leaks into answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

from index.debris import remove_debris, remove_pointer_lines
from index.limits import load_front_matter
from index.tables import markdown_tables, table_text

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
# Every pattern below runs in time linear in its input (a file built to make a regex backtrack
# must not stall the ingest): character classes in a repetition exclude the pattern's own
# opening character, so no start rescans what another start already scanned, and a construct
# that is never closed matches to the end of the text once (``_if_closed`` then keeps it).
HTML_COMMENT = re.compile(r"<!--.*?(?:(?P<end>-->)|\Z)", re.S)
INNER_FRONT_MATTER = re.compile(r"^---\s*\n(.*?)\n---\s*$", re.S | re.M)
LIQUID_TAG = re.compile(r"{%.*?(?:(?P<tag>%})|\Z)|{{.*?(?:(?P<var>}})|\Z)", re.S)
KRAMDOWN_ATTR = re.compile(r"{:[^{}]*}")
IMAGE = re.compile(r"!\[[^\[\]]*\]\((?:[^()]|\([^()]*\))*\)")
# A stray "[" inside link text is kept in it only when a link starts there ("[a [b](u)").
INLINE_LINK = re.compile(r"\[((?:[^\[\]]|\[(?=[^\[\]]*\]\())*)\]\((?:[^()]|\([^()]*\))*\)")
REFERENCE_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
LINK_DEFINITION = re.compile(r"^[ \t]*\[[^\[\]\n]+\]:[ \t]*\S.*$", re.M)
CITATION_MARKER = re.compile(r"\[(?:\d+|citation needed|note \d+|[a-z])\]", re.I)
NAV_LINK_LINE = re.compile(r"^\s*+(?:[-*+]|\d+\.)?\s*+\[[^\]]*\]\([^)]*\)\s*$")
BOILERPLATE_LINE = re.compile(
    r"^\s*(skip to (main )?content|back to top|table of contents|cookies? (settings|policy))\s*$",
    re.I,
)
TABLE_BLOCK = re.compile(r"<table.*?(?:(?P<end></table>)|\Z)", re.S | re.I)
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*(?:(?P<end>>)|\Z)")
LIST_ITEM_TAG = re.compile(r"<li\b[^<>]*>", re.I)
BLOCK_TAG = re.compile(r"</?(?:p|br|div|td|th|tr|ul|ol|li|h[1-6])\b[^<>]*>", re.I)
EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
BLANK_RUN = re.compile(r"\n{3,}")
STAR_HEADING = re.compile(r"^(\*{3,6})[ \t]*(\S(?:.*[^\s*])?)[ \t]*\*{3,6}[ \t]*$", re.M)
EDIT_LINK = re.compile(r"\[edit\]")
MOJIBAKE = re.compile(
    r"[\u00c2-\u00df][\u0080-\u00bf]|[\u00e0-\u00ef][\u0080-\u00bf]{2}|[\u00f0-\u00f4][\u0080-\u00bf]{3}"
)
YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def split_front_matter(text: str) -> tuple[dict, str]:
    """Return the YAML front matter (or {}) and the body after it."""
    match = FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        data = load_front_matter(match.group(1)) or {}
    except yaml.YAMLError:
        data = _loose_front_matter(match.group(1))
    if not isinstance(data, dict):
        return {}, text
    return data, text[match.end() :]


def _loose_front_matter(block: str) -> dict:
    """Front matter that is not valid YAML (colons in values): read it line by line."""
    data: dict[str, str] = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep and re.fullmatch(r"[A-Za-z_][\w-]*", key.strip()):
            data[key.strip()] = value.strip()
    return data


def parse_year(value: object) -> int | None:
    """The latest year named before any parenthesis: '2021-2023' -> 2023, '2019 revision' -> 2019."""
    if value is None:
        return None
    head = str(value).split("(")[0]
    years = [int(y) for y in YEAR.findall(head)] or [int(y) for y in YEAR.findall(str(value))]
    return max(years) if years else None


def html_table_to_text(html: str) -> str:
    """An HTML table as text whose cells keep their column headers (see ``index.tables``)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    header: list[str] | None = None
    rows: list[list[str]] = []
    for tr in soup.find_all("tr"):
        found = tr.find_all(["td", "th"])
        cells = [c.get_text(" ", strip=True) for c in found]
        if header is None and not rows and len(cells) > 1 and all(map(_header_cell, found)):
            header = cells
        elif any(cells):
            rows.append(cells)
    return "\n\n" + table_text(header, rows) + "\n\n"


def _header_cell(cell: object) -> bool:
    """A <th>, an empty corner cell, or a cell that is nothing but bold text."""
    if cell.name == "th" or not cell.get_text(strip=True):  # type: ignore[attr-defined]
        return True
    bold = cell.find(["strong", "b"])  # type: ignore[attr-defined]
    return bold is not None and bold.get_text(strip=True) == cell.get_text(strip=True)  # type: ignore[attr-defined]


FRONT_MATTER_LINE = re.compile(r"^([A-Za-z_][\w-]*:(\s.*)?|\s*-\s.*|\s+\S.*|)$")


def _inner_front_matter_to_heading(match: re.Match) -> str:
    """Concatenated pages keep their own front matter: its title becomes a heading.

    Two horizontal rules (``---``) around ordinary text look the same to the regex; only a
    block made of ``key: value`` lines is front matter.
    """
    lines = match.group(1).splitlines()
    if len(lines) > 40 or not all(FRONT_MATTER_LINE.match(line) for line in lines):
        return match.group(0)
    data, _ = split_front_matter(match.group(0) + "\n")
    title = data.get("title") if isinstance(data, dict) else None
    return f"\n# {title}\n" if title else "\n"


def _drop_navigation(lines: list[str]) -> list[str]:
    """Runs of three or more lines that are nothing but links are navigation, not content."""
    keep = [True] * len(lines)
    i = 0
    while i < len(lines):
        if NAV_LINK_LINE.match(lines[i]):
            j = i
            while j < len(lines) and (NAV_LINK_LINE.match(lines[j]) or not lines[j].strip()):
                j += 1
            links = sum(1 for k in range(i, j) if lines[k].strip())
            if links >= 3:
                for k in range(i, j):
                    keep[k] = False
            i = max(j, i + 1)
        else:
            i += 1
    return [line for line, k in zip(lines, keep) if k and not BOILERPLATE_LINE.match(line)]


def _if_closed(replacement: str | Callable[[re.Match], str]) -> Callable[[re.Match], str]:
    """Replace a match whose closing group matched; keep one that ran to the end unclosed."""

    def replace(match: re.Match) -> str:
        if match.lastgroup is None:
            return match.group(0)
        return replacement if isinstance(replacement, str) else replacement(match)

    return replace


def fix_mojibake(text: str) -> str:
    """UTF-8 read as Latin-1 ('Â£', 'â\x80\x93') back to what was meant ('£', '–')."""

    def repair(match: re.Match) -> str:
        try:
            return match.group(0).encode("latin-1").decode("utf-8")
        except UnicodeError:
            return match.group(0)

    return MOJIBAKE.sub(repair, text)


def clean_markdown(body: str) -> str:
    """Clean a Markdown body (front matter already removed)."""
    text = fix_mojibake(HTML_COMMENT.sub(_if_closed(""), body))
    # Plain-text Wikipedia dumps mark headings as "***** Title[edit] *****".
    text = STAR_HEADING.sub(lambda m: f"{'#' * (7 - len(m.group(1)))} {m.group(2)}", text)
    text = EDIT_LINK.sub("", text)
    text = INNER_FRONT_MATTER.sub(_inner_front_matter_to_heading, text)
    text = LIQUID_TAG.sub(_if_closed(""), text)
    text = KRAMDOWN_ATTR.sub("", text)
    text = TABLE_BLOCK.sub(_if_closed(lambda m: html_table_to_text(m.group(0))), text)
    text = remove_pointer_lines("\n".join(_drop_navigation(text.splitlines())))
    text = LINK_DEFINITION.sub("", text)
    text = IMAGE.sub("", text)
    text = INLINE_LINK.sub(r"\1", text)
    text = REFERENCE_LINK.sub(r"\1", text)
    text = CITATION_MARKER.sub("", text)
    text = HTML_TAG.sub(_if_closed(""), BLOCK_TAG.sub(" ", LIST_ITEM_TAG.sub("\n- ", text)))
    text = EMPHASIS.sub(r"\2", text)
    text = remove_debris(markdown_tables(text))
    return BLANK_RUN.sub("\n\n", text).strip()
