"""Answers, citations and the document list as safe markup for the web app.

Everything that comes from a document or a user is escaped here, once: text shown through the
chat's Markdown renderer is HTML-escaped *and* Markdown-escaped (so ``[x](javascript:...)`` stays
text), text inside our own HTML is HTML-escaped, and links are only ever http(s). The chat's own
sanitiser stays on as a second line of defence.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

from assistant.render import citation_heading
from core.types import Answer, Citation

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
REFUSAL_HEADING = "Not answered from the documents."
PENDING_TEXT = "Searching the documents…"
SCHEMELESS = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+\.?[a-z]*/[^\s]*$", re.I)


def markdown_text(text: str) -> str:
    """Plain text that a Markdown renderer shows verbatim and never turns into markup."""
    return html.escape(MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)


def html_text(text: str) -> str:
    """Plain text inside an HTML element (one line, so it never ends a Markdown HTML block)."""
    return html.escape(text, quote=True).replace("\r", "").replace("\n", "<br>")


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
    """A link for a document's source: an http(s) URL, or 'host.tld/path' (optionally '@ rev')."""
    url = safe_url(source)
    if url:
        return url
    first = (source or "").strip().split(" ")[0]
    if SCHEMELESS.match(first):
        return safe_url("https://" + first)
    return None


def link(url: str, label: str) -> str:
    href = safe_url(url)
    if href is None:
        return html_text(label)
    return (
        f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{html_text(label)}</a>"
    )




def citation_details(c: Citation) -> str:
    """A native, keyboard-operable disclosure that opens the quoted passage and where it is from."""
    facts = [f"Document: {c.doc.title or c.doc.document_id}"]
    if c.section:
        facts.append(f"Section: {c.section}")
    if c.page:
        facts.append(f"Page: {c.page}")
    if c.doc.year:
        facts.append(f"Year: {c.doc.year}")
    if c.doc.publisher:
        facts.append(f"Publisher: {c.doc.publisher}")
    if c.doc.licence:
        facts.append(f"Licence: {c.doc.licence}")
    meta = " · ".join(html_text(f) for f in facts)
    url = source_url(c.doc.source)
    if url:
        source = "Source: " + link(url, c.doc.source)
    else:
        source = html_text(f"Source: {c.doc.source or c.doc.path or c.doc.document_id}")
    superseded = " <strong>(superseded)</strong>" if c.doc.superseded else ""
    return (
        f'<details class="citation"><summary>{html_text(citation_heading(c))}{superseded}</summary>'
        f'<blockquote class="passage">{html_text(c.text)}</blockquote>'
        f'<p class="citation-meta">{meta} · {source}</p></details>'
    )


def closest_documents(sources: Sequence[Citation], limit: int = 3) -> list[Citation]:
    seen: dict[str, Citation] = {}
    for s in sources:
        seen.setdefault(s.doc.document_id, s)
    return list(seen.values())[:limit]


def answer_markdown(answer: Answer) -> str:
    """The assistant's chat message: the answer, then numbered citations that open their passage."""
    lines: list[str] = []
    if answer.refused:
        lines.append(f"**{markdown_text(REFUSAL_HEADING)}** {markdown_text(answer.answer)}")
        if answer.refusal_reason:
            lines += ["", f"_Why: {markdown_text(answer.refusal_reason)}_"]
        closest = closest_documents(answer.sources)
        if closest:
            lines += ["", "**Closest documents:**", ""]
            for c in closest:
                year = f" ({c.doc.year})" if c.doc.year else ""
                url = source_url(c.doc.source)
                target = link(url, c.doc.title + year) if url else html_text(c.doc.title + year)
                lines.append(f"- {target}")
        return "\n".join(lines)
    lines.append(markdown_text(answer.answer))
    if answer.citations:
        lines += ["", "**Sources** (open one to read the quoted passage):", ""]
        lines += [citation_details(c) for c in answer.citations]
    for warning in answer.warnings:
        lines += ["", f"_Note: {markdown_text(warning)}_"]
    if answer.removed_sentences:
        lines += ["", f"_{answer.removed_sentences} unsupported sentence(s) were removed from the draft._"]
    return "\n".join(lines)


def sources_text(citations: Iterable[Citation | dict[str, Any]]) -> str:
    """The plain-text 'Sources:' list that OpenAI-compatible clients show under the answer."""
    rows = []
    for c in citations:
        data = c if isinstance(c, dict) else c.to_dict()
        source = data.get("source") or data.get("path")
        rows.append(f"{citation_heading(c)}" + (f" - {source}" if source else ""))
    return "Sources:\n" + "\n".join(rows) if rows else ""


def documents_table(documents: Sequence[dict[str, Any]]) -> str:
    """What is indexed, as an accessible HTML table."""
    if not documents:
        return '<p class="documents-empty">No documents are indexed yet.</p>'
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in ("Title", "Publisher", "Year", "Licence", "Chunks", "Withheld", "Ingested", "Document id")
    )
    rows = []
    for d in documents:
        url = source_url(d.get("source") or "")
        name = d.get("title") or d["document_id"]
        title = link(url, name) if url else html_text(name)
        superseded = " <strong>(superseded)</strong>" if d.get("superseded") else ""
        cells = [
            f'<th scope="row">{title}{superseded}</th>',
            f"<td>{html_text(d.get('publisher') or '')}</td>",
            f"<td>{html_text(str(d.get('year') or ''))}</td>",
            f"<td>{html_text(d.get('licence') or '')}</td>",
            f"<td>{int(d.get('chunks') or 0)}</td>",
            f"<td>{int(d.get('withheld') or 0)}</td>",
            f"<td>{html_text(str(d.get('ingested_at') or ''))}</td>",
            f"<td><code>{html_text(d['document_id'])}</code></td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    total = sum(int(d.get("chunks") or 0) for d in documents)
    caption = f"{len(documents)} document(s), {total} chunks"
    return (
        f'<div class="documents-wrap" role="region" aria-label="Indexed documents" tabindex="0">'
        f'<table class="documents"><caption>{caption}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def withheld_table(flagged: Sequence[dict[str, Any]]) -> str:
    """Sentences withheld at ingest (admin only): where each was, why, and its text."""
    if not flagged:
        return '<p class="withheld-empty">No sentence was withheld from any document.</p>'
    head = "".join(f'<th scope="col">{h}</th>' for h in ("Document", "Where", "Why", "Withheld text"))
    rows = []
    for f in flagged:
        where = ", ".join(x for x in (f.get("section") or "", f"page {f['page']}" if f.get("page") else "") if x)
        cells = [
            f'<th scope="row"><code>{html_text(f.get("document_id") or "")}</code></th>',
            f"<td>{html_text(where)}</td>",
            f"<td>{html_text(f.get('reason') or '')}</td>",
            f"<td>{html_text(f.get('text') or '')}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="documents-wrap" role="region" aria-label="Withheld sentences" tabindex="0">'
        f'<table class="documents"><caption>{len(flagged)} sentence(s) withheld at ingest:'
        " never shown as answers</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )
