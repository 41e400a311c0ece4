"""An ``Answer`` as plain text and as Markdown, with its sources grouped by document.

One source entry per document (title, year, publisher, the document's own link), its cited
passages ``[n]`` under it: the terminal, the web app's copy and export, and the
OpenAI-compatible API's source list all use these, so every reader sees the same sources.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from assistant.quotes import quoted_sentences
from core.types import Answer, Citation, DocumentMeta

# "github.com/owner/repo[/path/to/file.md] @ commit (notes)": how the corpora record provenance.
REPOSITORY_SOURCE = re.compile(
    r"^(?:https?://)?(?P<host>github\.com|gitlab\.com)/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+)"
    r"(?P<path>/[^\s@]*)?\s*(?:@\s*(?P<rev>[\w./-]+))?"
)
SCHEMELESS = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+\.?[a-z]*/[^\s]*$", re.I)
# Markdown that would turn document text into markup is escaped; citation markers [n] stay.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_<\[\]])")
MARKER = re.compile(r"\[\d{1,3}\](?!\()")
OPENING_WORDS = 8


def passage_place(section: Any, page: Any) -> list[str]:
    """Where in its document a passage is: ['Section > Subsection', 'page 4']."""
    return [str(section)] * bool(section) + [f"page {page}"] * bool(page)


def passage_label(c: Citation) -> str:
    """'[n] Section, page p' (the document is named above it); a passage with neither (a page
    with no headings) is named by its opening words, which find it in the document."""
    place = ", ".join(passage_place(c.section, c.page))
    return f"[{c.n}] " + (place or f"passage beginning “{opening_words(c.text)}”")


def opening_words(text: str, count: int = OPENING_WORDS) -> str:
    words = re.sub(r"[#*_`>|]+", " ", text).split()
    return " ".join(words[:count]) + ("…" if len(words) > count else "")


def document_label(doc: DocumentMeta) -> str:
    return (doc.title or doc.document_id) + (f" ({doc.year})" if doc.year else "")


def safe_url(url: str) -> str | None:
    """The URL when it is http(s); anything else (``javascript:``, ``data:``...) is not linked."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc:
        return url
    return None


def source_url(source: str) -> str | None:
    """The link an officer expects for a document's ``source``.

    An http(s) URL is used as it is. A repository reference ('github.com/owner/repo/file.md @
    commit', as the corpora record where a text was copied from) links to that file as the
    repository shows it (its readable page, at that commit: the very text that was indexed);
    a whole repository links to its front page, not to a commit. 'host.tld/path' gets https.
    """
    first = (source or "").strip().split(" ")[0]
    url = safe_url(first)
    repository = REPOSITORY_SOURCE.match((source or "").strip())
    if repository and (url is None or "@" in source):
        host, owner, repo = repository["host"], repository["owner"], repository["repo"]
        path = (repository["path"] or "").rstrip("/")
        if path:
            marker = "/-/blob/" if host == "gitlab.com" else "/blob/"
            return f"https://{host}/{owner}/{repo}{marker}{repository['rev'] or 'HEAD'}{path}"
        return f"https://{host}/{owner}/{repo}"
    if url:
        return url
    if SCHEMELESS.match(first):
        return safe_url("https://" + first)
    return None


def document_url(doc: DocumentMeta) -> str | None:
    return source_url(doc.source)


def url_label(url: str) -> str:
    """'www.gov.uk/service-manual/...': a link's text, short enough to read."""
    parts = urlsplit(url)
    path = re.sub(r"/(?:-/)?blob/[^/]+/", " › ", parts.path.rstrip("/"))  # no commit id to read
    text = parts.netloc + path
    return text if len(text) <= 90 else text[:89] + "…"


def group_by_document(citations: Iterable[Citation]) -> list[tuple[DocumentMeta, list[Citation]]]:
    """Citations under their document, documents in the order they are first cited."""
    groups: dict[str, tuple[DocumentMeta, list[Citation]]] = {}
    for c in citations:
        groups.setdefault(c.doc.document_id, (c.doc, []))[1].append(c)
    return list(groups.values())


def _document_facts(doc: DocumentMeta) -> str:
    return ". ".join(filter(None, [document_label(doc), doc.publisher])) + "."


def sources_as_text(citations: Sequence[Citation], indent: str = "  ") -> list[str]:
    """'Sources:' then each document (and its link, or its file) with its passages under it."""
    if not citations:
        return []
    lines = ["Sources:"]
    for doc, cited in group_by_document(citations):
        lines.append(f"{indent}{_document_facts(doc)}")
        lines.append(f"{indent}{document_url(doc) or doc.path or doc.document_id}")
        lines += [f"{indent * 2}{passage_label(c)}" for c in cited]
    return lines


def answer_as_text(answer: Answer, with_question: bool = False) -> str:
    """Plain text for a terminal, an email or a ticket: no markup at all."""
    lines = [f"Question: {answer.question}", ""] if with_question else []
    lines += [answer.answer, ""]
    if answer.refused:
        lines.append(f"(Refused: {answer.refusal_reason})")
    lines += sources_as_text(answer.citations)
    notes = [f"Note: {w}" for w in answer.warnings]
    if answer.removed_sentences:
        notes.append(f"({answer.removed_sentences} unsupported sentence(s) removed)")
    if notes and answer.citations:
        lines.append("")
    lines += notes
    return "\n".join(lines).rstrip()


def markdown_escape(text: str) -> str:
    """Document text as Markdown that shows it verbatim; citation markers [n] are kept."""
    pieces, position = [], 0
    for marker in MARKER.finditer(text):
        if _reference_definition(text, marker):
            continue  # "[3]: ..." opening a line would define a link: escaped with the rest
        pieces += [MARKDOWN_SPECIAL.sub(r"\\\1", text[position : marker.start()]), marker.group(0)]
        position = marker.end()
    return "".join(pieces) + MARKDOWN_SPECIAL.sub(r"\\\1", text[position:])


def _reference_definition(text: str, marker: re.Match[str]) -> bool:
    at_line_start = marker.start() == 0 or text[marker.start() - 1] == "\n"
    return at_line_start and text.startswith(":", marker.end())


def answer_as_markdown(answer: Answer) -> str:
    """Markdown to paste into a wiki, Teams or a briefing: numbered sources with their links,
    the quoted sentence of each passage, and nothing raw (no HTML, no escaped brackets)."""
    lines = [
        f"**Question:** {markdown_escape(answer.question)}",
        "",
        markdown_escape(answer.answer),
    ]
    if answer.refused and answer.refusal_reason:
        lines += ["", f"_Why: {markdown_escape(answer.refusal_reason)}_"]
    if answer.citations:
        lines += ["", "**Sources**", ""]
    for doc, cited in group_by_document(answer.citations):
        url = document_url(doc)
        title = markdown_escape(document_label(doc))
        heading = f"[{title}](<{url}>)" if url else title
        if doc.publisher:
            heading += f", {markdown_escape(doc.publisher)}"
        if not url:
            heading += f" (`{doc.path or doc.document_id}`)"
        lines.append(f"- {heading}")
        for c in cited:
            quotes = quoted_sentences(answer.answer, c.n, c.text)
            quote = (
                f': "{markdown_escape(" … ".join(" ".join(q.split()) for q in quotes))}"'
                if quotes
                else ""
            )
            lines.append(f"  - {markdown_escape(passage_label(c))}{quote}")
    notes = [markdown_escape(w) for w in answer.warnings]
    if notes:
        lines += [""] + [f"_Note: {n}_" for n in notes]
    return "\n".join(lines).rstrip() + "\n"
