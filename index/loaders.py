"""Read one file into a ``LoadedDocument``: clean Markdown-like text plus metadata.

Each format keeps the structure it has: Markdown and HTML headings, DOCX heading styles,
PDF page numbers. Any failure raises ``DocumentError`` with a reason a person can act on.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import DocumentError
from core.types import DocumentMeta
from index.cleaning import clean_markdown, html_table_to_text, parse_year, split_front_matter
from index.debris import remove_debris
from index.tables import table_text

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx"}
TEXT_SUFFIXES = {".txt", ".text"}
HTML_SUFFIXES = {".html", ".htm"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | {".pdf", ".docx"}
# Files that describe a folder rather than belong to it.
FOLDER_NOTES = re.compile(r"^(readme|licen[cs]e|copying|changelog)(\.[a-z]+)?$", re.I)


@dataclass(frozen=True)
class Page:
    """Markdown-like text of one page (or the whole document when it has no pages)."""

    text: str
    number: int | None = None


@dataclass(frozen=True)
class LoadedDocument:
    meta: DocumentMeta
    pages: tuple[Page, ...]
    format: str
    year_label: str = ""
    extra: dict = field(default_factory=dict)


def decode_utf8(data: bytes, path: Path) -> str:
    if not data.strip():
        raise DocumentError("the file is empty")
    if b"\x00" in data[:4096]:
        raise DocumentError("binary data, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start});"
            " save the file as UTF-8 and ingest it again"
        ) from None


def load_document(path: Path, relative_path: str, data: bytes) -> LoadedDocument:
    """Parse ``data`` (the bytes of ``path``) by its file type."""
    suffix = path.suffix.lower()
    if not data:
        raise DocumentError("the file is empty")
    if suffix in MARKDOWN_SUFFIXES:
        meta, pages, fmt = _markdown(decode_utf8(data, path))
    elif suffix in TEXT_SUFFIXES:
        meta, pages, fmt = {}, [Page(decode_utf8(data, path).strip())], "text"
    elif suffix in HTML_SUFFIXES:
        meta, pages, fmt = _html(decode_utf8(data, path))
    elif suffix == ".pdf":
        meta, pages, fmt = _pdf(data)
    elif suffix == ".docx":
        meta, pages, fmt = _docx(data)
    else:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(
            f"unsupported file type '{suffix or path.name}' (supported: {supported})"
        )
    # Every format ends clean of the same debris (Markdown is cleaned already; this is cheap).
    pages = [Page(remove_debris(p.text), p.number) for p in pages]
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        hint = {
            ".pdf": " (a scanned PDF needs OCR first)",
            ".md": " (only front matter: a form or navigation page?)",
        }.get(suffix, "")
        raise DocumentError(f"no readable text found{hint}")
    title = str(meta.get("title") or _first_heading(pages) or path.stem.replace("-", " ")).strip()
    status = str(meta.get("status", "")).lower()
    document = DocumentMeta(
        document_id=relative_path,
        path=relative_path,
        title=title,
        publisher=str(meta.get("publisher") or meta.get("author") or ""),
        year=parse_year(meta.get("year") or meta.get("date")),
        licence=str(meta.get("licence") or meta.get("license") or ""),
        source=_source(meta),
        superseded=bool(meta.get("superseded_by") or meta.get("superseded") is True)
        or status in {"superseded", "withdrawn", "archived"},
        groups=parse_groups(meta.get("groups") or meta.get("access")),
    )
    return LoadedDocument(
        meta=document,
        pages=tuple(pages),
        format=fmt,
        year_label=str(meta.get("year") or meta.get("date") or ""),
    )


def _source(meta: dict) -> str:
    """Where the document is published: its own web address (front matter ``url``, an HTML page's
    canonical link) over a provenance note that is not one ('github.com/x/y @ commit')."""
    source = str(meta.get("source") or "").strip()
    url = str(meta.get("url") or "").strip()
    if url.lower().startswith(("http://", "https://")) and not source.lower().startswith(
        ("http://", "https://")
    ):
        return url
    return source or url


def parse_groups(value: object) -> tuple[str, ...]:
    """Access groups from front matter or a ``.groups`` file: a list, or names split by commas,
    spaces or lines. Names are case-insensitive."""
    if value is None or value == "":
        return ()
    items = value if isinstance(value, list | tuple) else re.split(r"[,\s]+", str(value))
    return tuple(sorted({str(g).strip().lower() for g in items if str(g).strip()}))


def _first_heading(pages: list[Page]) -> str | None:
    for line in pages[0].text.splitlines()[:40]:
        match = re.match(r"^#{1,3}\s+(.+)", line)
        if match:
            return match.group(1).strip()
    return None


def _markdown(text: str) -> tuple[dict, list[Page], str]:
    meta, body = split_front_matter(text)
    cleaned = clean_markdown(body)
    if not cleaned.strip() and isinstance(meta.get("description"), str):
        cleaned = meta["description"]  # a landing page whose only prose is its description
    return meta, [Page(cleaned)], "markdown"


def _html(text: str) -> tuple[dict, list[Page], str]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(text, "html.parser")
    meta: dict = {}
    if soup.title and soup.title.string:
        meta["title"] = soup.title.string.strip()
    for tag in soup.find_all("meta"):
        # str(): bs4 types any attribute as possibly multi-valued; "name" and "property" are not
        name = str(tag.get("name") or tag.get("property") or "").lower()
        if name in {"author", "publisher", "dc.publisher", "og:site_name"} and tag.get("content"):
            meta.setdefault("publisher", tag["content"])
        if name in {"dc.date", "article:published_time", "date"} and tag.get("content"):
            meta.setdefault("year", tag["content"])
        if name in {"og:url", "dc.identifier"} and tag.get("content"):
            meta.setdefault("url", tag["content"])
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta["url"] = canonical["href"]
    for tag in soup(["script", "style", "nav", "header", "footer", "aside", "form", "noscript"]):
        tag.decompose()
    for table in soup.find_all("table"):
        table.replace_with(html_table_to_text(str(table)))
    for level in range(1, 7):
        for heading in soup.find_all(f"h{level}"):
            heading.replace_with(f"\n\n{'#' * level} {heading.get_text(' ', strip=True)}\n\n")
    for item in soup.find_all("li"):
        item.insert(0, "\n- ")
    for block in soup.find_all(["p", "li", "div", "br", "tr"]):
        block.insert_after("\n")
    body = soup.body or soup
    text = re.sub(r"[ \t]+", " ", body.get_text())
    text = re.sub(r"\n\s*\n\s*", "\n\n", text)
    return meta, [Page(text.strip())], "html"


def _pdf(data: bytes) -> tuple[dict, list[Page], str]:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs repairs ("EOF marker not found") to stderr; the skip reason already says it.
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    if not data.lstrip().startswith(b"%PDF"):
        raise DocumentError("not a PDF file (no %PDF header): the data is something else")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentError("the PDF is encrypted; save an unprotected copy")
        pages = [
            Page(_tidy_pdf_text(p.extract_text() or ""), i + 1) for i, p in enumerate(reader.pages)
        ]
        pages = _sentences_across_pages(_drop_running_lines(pages))
        info: dict[Any, Any] = reader.metadata or {}
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"corrupt or unreadable PDF ({type(exc).__name__}: {exc})") from None
    meta = {}
    if info.get("/Title") and len(str(info["/Title"]).strip()) > 3:
        meta["title"] = str(info["/Title"]).strip()
    if re.search(r"[^\W\d_]", str(info.get("/Author") or "")):  # not "-" or blank
        meta["author"] = str(info["/Author"])
    if info.get("/CreationDate"):
        meta["year"] = str(info["/CreationDate"])[2:6]
    return meta, pages, "pdf"


def _drop_running_lines(pages: list[Page]) -> list[Page]:
    """Page headers, footers and bare page numbers are print furniture: in every chunk otherwise."""
    if len(pages) < 3:
        return pages
    seen = Counter(line for p in pages for line in {s.strip() for s in p.text.splitlines()} if line)
    running = {line for line, n in seen.items() if n >= max(3, len(pages) // 2)}
    return [
        Page(
            "\n".join(
                line
                for line in p.text.splitlines()
                if line.strip() not in running and line.strip() != str(p.number)
            ).strip(),
            p.number,
        )
        for p in pages
    ]


PAGE_OPENING_FRAGMENT = re.compile(r"^[a-z][^\n]{0,400}?[.!?](?=\s|$)")


def _sentences_across_pages(pages: list[Page]) -> list[Page]:
    """A sentence that runs over a page break is kept whole on the page where it starts."""
    result = list(pages)
    for i in range(1, len(result)):
        match = PAGE_OPENING_FRAGMENT.match(result[i].text)
        if match and result[i - 1].text:
            result[i - 1] = Page(f"{result[i - 1].text} {match.group(0)}", result[i - 1].number)
            result[i] = Page(result[i].text[match.end() :].strip(), result[i].number)
    return result


def _tidy_pdf_text(text: str) -> str:
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)  # words hyphenated across lines
    text = re.sub(r"(?<=[^\s.!?:])[ \t]*\n(?=[a-z(])", " ", text)  # lines wrapped mid-sentence
    text = re.sub(r"[ \t]+", " ", text)
    return text.strip()


def _docx(data: bytes) -> tuple[dict, list[Page], str]:
    import io
    import zipfile

    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - a core dependency
        from core.errors import missing_extra

        raise missing_extra("python-docx", "docx") from None
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise DocumentError(f"corrupt or unreadable DOCX ({type(exc).__name__}: {exc})") from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            text = paragraph.text.strip()
            if not text:
                continue
            style = (paragraph.style.name or "").lower() if paragraph.style is not None else ""
            match = re.match(r"heading (\d)", style)
            if style == "title":
                lines.append(f"# {text}")
            elif match:
                lines.append(f"{'#' * min(int(match.group(1)) + 1, 6)} {text}")
            else:
                lines.append(text)
        elif tag == "tbl":
            lines.append(_docx_table(Table(block, document)))
    props = document.core_properties
    meta = {"title": props.title, "author": props.author}
    if props.created:
        meta["year"] = str(props.created.year)
    return {k: v for k, v in meta.items() if v}, [Page("\n\n".join(lines))], "docx"


def _docx_table(table: object) -> str:
    """A DOCX table as header-labelled text; a merged cell (repeated by python-docx) once."""
    rows = []
    for row in table.rows:  # type: ignore[attr-defined]
        cells: list[str] = []
        for cell in row.cells:
            text = cell.text.strip()
            if not cells or text != cells[-1] or not text:
                cells.append(text)
        rows.append(cells)
    head = rows[0] if rows else []
    if len(rows) > 1 and len(head) > 1 and all(0 < len(c) <= 60 for c in head):
        return table_text(head, rows[1:])
    return table_text(None, rows)
