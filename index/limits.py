"""Limits that stop one hostile or broken file from costing the ingest more than its share.

Checked in the parser worker (``index/isolation.py``), in two places: ``check_raw`` before a
parser sees the bytes (zip members' sizes, ratios and count, XML DTDs, HTML nesting, front
matter size) and ``check_text`` on the text a loader produced (line length, heading count,
a text that is mostly blank space or symbols). Each breach raises ``DocumentError`` with one
line that names the limit and its setting, so the file is skipped and the rest ingested.

The worker's time and memory limits catch whatever these miss. XML inside DOCX is parsed by
python-docx's lxml parser with ``resolve_entities=False`` and lxml's defaults (no network,
no huge trees: depth 256, text nodes 10 MB); a DTD is refused here before it gets there.
"""

from __future__ import annotations

import io
import re
import zipfile

import yaml

from core.errors import DocumentError
from core.settings import ParseLimits

MB = 1 << 20
ZIP_RATIO_FLOOR = MB  # members smaller than this may compress as well as they like
XML_MEMBER = re.compile(r"\.(xml|rels|vml)$", re.I)
XML_ELEMENT_START = re.compile(rb"<[A-Za-z_]")
XML_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.I)
PROLOG_CHUNK = 64 * 1024

# A tag, a comment, or a raw-text element whose content is not markup.
HTML_TOKEN = re.compile(rb"<!--|<(/?)([A-Za-z][A-Za-z0-9-]*)[^<>]*>")
VOID_ELEMENTS = frozenset(
    b"area base br col embed hr img input link meta param source track wbr".split()
)
# Elements whose end tag may be left out; counting them would make sloppy HTML look deep.
OPTIONAL_END = frozenset(
    b"p li dt dd tr td th thead tbody tfoot colgroup caption option optgroup rt rp html head body".split()
)
RAW_TEXT_END = {
    name: re.compile(b"</" + name, re.I) for name in (b"script", b"style", b"textarea", b"title")
}
HEADING = re.compile(r"^#{1,6}\s", re.M)


def check_raw(suffix: str, data: bytes, limits: ParseLimits) -> None:
    """Refuse bytes that would make a parser explode, before any parser sees them."""
    if suffix == ".docx":
        check_zip(data, limits)
    elif suffix in {".html", ".htm"}:
        check_html_nesting(data, limits)
    elif suffix in {".md", ".markdown", ".mdx"}:
        check_front_matter_size(data, limits)
        check_html_nesting(data, limits)  # HTML inside Markdown: its tables are parsed too


def check_zip(data: bytes, limits: ParseLimits) -> None:
    """Zip bombs and XML entity tricks: sizes and ratios as declared, then each XML prolog.

    zipfile never inflates a member past its declared size (a lying header fails its CRC), so
    checking the declared sizes bounds what python-docx can read.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a zip: the loader says so in its own words
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_zip_members:
            raise DocumentError(
                f"the package holds {len(members)} files, over the limit of"
                f" {limits.max_zip_members} (ASSISTANT_INGEST__LIMITS__MAX_ZIP_MEMBERS)"
            )
        total = sum(m.file_size for m in members)
        if total > limits.max_unzipped_mb * MB:
            raise DocumentError(
                f"unzips to {total / MB:.0f} MB, over the {limits.max_unzipped_mb:g} MB limit"
                " (ASSISTANT_INGEST__LIMITS__MAX_UNZIPPED_MB): a zip bomb?"
            )
        for member in members:
            ratio = member.file_size / max(1, member.compress_size)
            if member.file_size > ZIP_RATIO_FLOOR and ratio > limits.max_zip_ratio:
                raise DocumentError(
                    f"'{member.filename}' inflates {ratio:.0f} times, over the limit of"
                    f" {limits.max_zip_ratio:g} (ASSISTANT_INGEST__LIMITS__MAX_ZIP_RATIO): a zip bomb?"
                )
        for member in members:
            if XML_MEMBER.search(member.filename) and _has_dtd(archive, member):
                raise DocumentError(
                    f"'{member.filename}' declares a DTD or entities, which Word never writes"
                    " (an entity-expansion or external-entity attack?)"
                )


def _has_dtd(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    """Whether the XML prolog (everything before the root element) holds a DOCTYPE or ENTITY."""
    prolog = b""
    try:
        with archive.open(member) as handle:
            while chunk := handle.read(PROLOG_CHUNK):
                prolog += chunk
                start = XML_ELEMENT_START.search(prolog)
                if start is not None:
                    return XML_DTD.search(prolog, 0, start.start()) is not None
                if len(prolog) > 4 * PROLOG_CHUNK:
                    return XML_DTD.search(prolog) is not None
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return False  # unreadable member: python-docx reports it
    return XML_DTD.search(prolog) is not None


def check_html_nesting(data: bytes, limits: ParseLimits) -> None:
    """Elements (and tables) nested deeper than any real page, before BeautifulSoup builds a
    tree of them; one linear scan of the tags, as a parser would match them."""
    stack: list[bytes] = []
    tables = 0
    position = 0
    while match := HTML_TOKEN.search(data, position):
        position = match.end()
        if match.group(0) == b"<!--":
            end = data.find(b"-->", position)
            position = len(data) if end < 0 else end + 3
            continue
        closing, name = match.group(1), match.group(2).lower()
        if name in VOID_ELEMENTS or name in OPTIONAL_END or match.group(0).endswith(b"/>"):
            continue
        if closing:
            if name in stack:
                while stack:
                    popped = stack.pop()
                    tables -= popped == b"table"
                    if popped == name:
                        break
            continue
        if name in RAW_TEXT_END:  # script or style: its text is not markup, skip to its end tag
            end_tag = RAW_TEXT_END[name].search(data, position)
            position = end_tag.start() if end_tag else len(data)
            continue
        stack.append(name)
        tables += name == b"table"
        if len(stack) > limits.max_nesting_depth:
            raise DocumentError(
                f"HTML elements nested more than {limits.max_nesting_depth} deep"
                " (ASSISTANT_INGEST__LIMITS__MAX_NESTING_DEPTH)"
            )
        if tables > limits.max_table_nesting:
            raise DocumentError(
                f"tables nested more than {limits.max_table_nesting} deep"
                " (ASSISTANT_INGEST__LIMITS__MAX_TABLE_NESTING)"
            )


def check_front_matter_size(data: bytes, limits: ParseLimits) -> None:
    if not data.startswith(b"---"):
        return
    budget = int(limits.max_front_matter_kb * 1024)
    end = data.find(b"\n---", 3, budget + 8)
    if end < 0 and data.find(b"\n---", budget) >= 0:
        raise DocumentError(
            f"front matter larger than {limits.max_front_matter_kb:g} KB"
            " (ASSISTANT_INGEST__LIMITS__MAX_FRONT_MATTER_KB)"
        )


def check_text(text: str, limits: ParseLimits) -> None:
    """Text a loader produced that no reader could use, or that would stall the chunker."""
    longest = max(map(len, text.splitlines()), default=0)
    if longest > limits.max_line_chars:
        raise DocumentError(
            f"a line of {longest} characters, over the limit of {limits.max_line_chars}"
            " (ASSISTANT_INGEST__LIMITS__MAX_LINE_CHARS)"
        )
    headings = len(HEADING.findall(text))
    if headings > limits.max_headings:
        raise DocumentError(
            f"{headings} headings, over the limit of {limits.max_headings}"
            " (ASSISTANT_INGEST__LIMITS__MAX_HEADINGS)"
        )
    blank = sum(map(len, re.findall(r"\s+", text)))
    if len(text) > 1000 and blank > limits.max_blank_share * len(text):
        raise DocumentError(
            f"{100 * blank / len(text):.0f}% of the text is blank space"
            f" (limit {100 * limits.max_blank_share:.0f}%, ASSISTANT_INGEST__LIMITS__MAX_BLANK_SHARE)"
        )
    visible = len(text) - blank
    readable = sum(map(len, re.findall(r"\w+", text)))
    if visible > 1000 and readable < limits.min_word_share * visible:
        raise DocumentError(
            f"only {100 * readable / visible:.0f}% of the characters are letters or digits"
            f" (limit {100 * limits.min_word_share:.0f}%, ASSISTANT_INGEST__LIMITS__MIN_WORD_SHARE):"
            " symbols, not text"
        )


class AliasError(yaml.YAMLError):
    """Front matter with YAML anchors or aliases (read line by line instead, as plain text)."""


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without anchors and aliases: nine lines of aliases expand to a
    billion items ("billion laughs"), and front matter never needs them. The error is a
    ``YAMLError``, so ``split_front_matter`` falls back to reading ``key: value`` lines, where
    ``title: *i`` is just the text "*i"."""

    def fetch_alias(self) -> None:
        raise AliasError("YAML aliases (*name) are not allowed in front matter")

    def fetch_anchor(self) -> None:
        raise AliasError("YAML anchors (&name) are not allowed in front matter")


def load_front_matter(block: str) -> object:
    """YAML front matter, loaded safely (no tags that run code, no aliases)."""
    return yaml.load(block, Loader=_NoAliasLoader)  # a SafeLoader subclass
