"""Answers, citations and the document list as safe markup for the web app.

Everything that comes from a document or a user is escaped here, once: text shown through the
chat's Markdown renderer is HTML-escaped *and* Markdown-escaped (so ``[x](javascript:...)`` stays
text), text inside our own HTML is HTML-escaped, and links are only ever http(s). The chat's own
sanitiser stays on as a second line of defence (it keeps ids and classes, drops ``data-*``).

An answer's ``[n]`` markers are links to its passage (``ui/static/chat.js`` opens and scrolls to
it); passages sit under their document, the sentence the answer quotes marked; the answer's
clean text and Markdown ride along, hidden, for the Copy, Download and Print buttons.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from typing import Any

from assistant.pipeline import NO_ANSWER_TEXT
from assistant.quotes import quoted_spans
from assistant.render import (
    answer_as_markdown,
    answer_as_text,
    document_label,
    document_url,
    group_by_document,
    passage_label,
    safe_url,
    source_url,
    sources_as_text,
    url_label,
)
from core.text import CITATION
from core.types import Answer, Citation, DocumentMeta

MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")
REFUSAL_HEADING = "Not answered from the documents."
PENDING_TEXT = "Searching the documents…"
# Marks a message the server has not finished (searching, or sentences still streaming): the
# page's outage watch (chat.js) and a retry after an outage (``without_interrupted``) look for it.
PENDING_MARK = '<span class="answer-pending" hidden></span>'
SOURCES_HEADING = "Sources"
ACTIONS = (
    ("copy-text", "Copy"),
    ("copy-markdown", "Copy as Markdown"),
    ("download", "Download"),
    ("print", "Print"),
)


def markdown_text(text: str) -> str:
    """Plain text that a Markdown renderer shows verbatim and never turns into markup."""
    return html.escape(MARKDOWN_SPECIAL.sub(r"\\\1", text), quote=False)


def html_text(text: str) -> str:
    """Plain text inside an HTML element (one line, so it never ends a Markdown HTML block)."""
    return html.escape(text, quote=True).replace("\r", "").replace("\n", "<br>")


def link(url: str, label: str) -> str:
    href = safe_url(url)
    if href is None:
        return html_text(label)
    return (
        f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer">'
        f"{html_text(label)}</a>"
    )


def source_id(key: str, n: int) -> str:
    return f"{key}-source-{n}"


def answer_text_markup(text: str, key: str, cited: Iterable[int]) -> str:
    """The answer's sentences as inert Markdown, each ``[n]`` a link that opens its passage."""
    known = set(cited)
    pieces, position = [], 0
    for marker in CITATION.finditer(text):
        pieces.append(markdown_text(text[position : marker.start()]))
        n = int(marker.group(1))
        if n in known:
            pieces.append(
                f'<a href="#{source_id(key, n)}" class="cite-ref" title="Open source {n}">[{n}]</a>'
            )
        else:
            pieces.append(markdown_text(marker.group(0)))
        position = marker.end()
    pieces.append(markdown_text(text[position:]))
    return "".join(pieces)


def passage_markup(answer_text: str, c: Citation) -> str:
    """The passage, the stretches the answer quotes marked (``<mark>``)."""
    pieces, position = [], 0
    for start, end in quoted_spans(answer_text, c.n, c.text):
        pieces += [
            html_text(c.text[position:start]),
            f"<mark>{html_text(c.text[start:end])}</mark>",
        ]
        position = end
    pieces.append(html_text(c.text[position:]))
    return "".join(pieces)


def document_heading(doc: DocumentMeta) -> str:
    """Title (year), publisher, licence and the document's own link, on one line."""
    title = f'<strong class="source-title">{html_text(document_label(doc))}</strong>'
    if doc.superseded:
        title += " <strong>(superseded)</strong>"
    facts = [title] + [html_text(f) for f in (doc.publisher, doc.licence) if f]
    url = document_url(doc)
    if url:
        facts.append("Source: " + link(url, url_label(url)))
    elif doc.source or doc.path:
        facts.append(html_text(f"Source: {doc.source or doc.path}"))
    return " · ".join(facts)


def citation_details(c: Citation, key: str = "a", answer_text: str = "") -> str:
    """A native, keyboard-operable disclosure: the passage, its quoted sentence marked."""
    return (
        f'<details class="citation" id="{source_id(key, c.n)}">'
        f"<summary>{html_text(passage_label(c))}</summary>"
        f'<blockquote class="passage">{passage_markup(answer_text, c)}</blockquote></details>'
    )


def sources_markup(answer: Answer, key: str) -> str:
    """One entry per document, its cited passages under it (one line of HTML)."""
    documents = []
    for doc, cited in group_by_document(answer.citations):
        passages = "".join(citation_details(c, key, answer.answer) for c in cited)
        documents.append(
            f'<li class="source-doc"><p class="source-meta">{document_heading(doc)}</p>{passages}</li>'
        )
    return f'<ol class="sources">{"".join(documents)}</ol>'


def closest_documents(answer: Answer) -> list[Citation]:
    """A passage of each of the refusal's closest documents (for its title and link)."""
    first: dict[str, Citation] = {}
    for c in answer.sources:
        first.setdefault(c.doc.document_id, c)
    return [first[d] for d in answer.closest_documents if d in first]


def exports_markup(answer: Answer) -> str:
    """The action buttons, and the clean text and Markdown they copy, download or print."""
    buttons = "".join(
        f'<button type="button" class="answer-action action-{action}">{label}</button>'
        for action, label in ACTIONS
    )
    return (
        f'<div class="answer-actions">{buttons}</div>\n\n'
        f'<pre hidden class="export-text">{html.escape(answer_as_text(answer, with_question=True))}</pre>\n\n'
        f'<pre hidden class="export-markdown">{html.escape(answer_as_markdown(answer))}</pre>'
    )


def pending_markdown() -> str:
    return PENDING_TEXT + PENDING_MARK


def partial_markdown(text: str) -> str:
    """The checked sentences streamed so far, as inert text, marked unfinished."""
    return markdown_text(text) + PENDING_MARK


def message_text(message: Any) -> str:
    """A chat message's text, whether Gradio hands it back as a string or as parts."""
    content = message.get("content") if isinstance(message, dict) else message
    if isinstance(content, str):
        return content
    if isinstance(content, list | tuple):
        return "".join(
            message_text(part) if isinstance(part, str) else str(part.get("text", ""))
            for part in content
            if part
        )
    return ""


def without_interrupted(chat: Sequence[Any] | None) -> list[Any]:
    """The conversation without a last question whose answer never finished (the server went
    away mid-answer): the officer is asking it again."""
    chat = list(chat or [])
    if chat and isinstance(chat[-1], dict) and chat[-1].get("role") == "assistant":
        if PENDING_MARK in message_text(chat[-1]) or message_text(chat[-1]) == PENDING_TEXT:
            chat = chat[:-1]
            if chat and isinstance(chat[-1], dict) and chat[-1].get("role") == "user":
                chat = chat[:-1]
    return chat


def searched_for_markup(answer: Answer) -> list[str]:
    """'Searched for: ...' when a follow-up was rewritten for the search (typed, not guessed)."""
    if not answer.question_rewritten or not answer.standalone_question:
        return []
    return [
        f'<p class="searched-for">Searched for: “{html_text(answer.standalone_question)}”</p>',
        "",
    ]


def answer_markdown(answer: Answer, key: str = "a") -> str:
    """The assistant's chat message: the answer, then its sources grouped by document.

    ``key`` makes the ids of this message's passages unique in the page (the message's index).
    """
    lines: list[str] = searched_for_markup(answer)
    if answer.refused:
        # The list below names the closest documents, linked: the sentence does not repeat them.
        sentence = NO_ANSWER_TEXT if answer.closest_documents else answer.answer
        lines.append(f"**{markdown_text(REFUSAL_HEADING)}** {markdown_text(sentence)}")
        if answer.refusal_reason:
            lines += ["", f"_Why: {markdown_text(answer.refusal_reason)}_"]
        closest = closest_documents(answer)
        if closest:
            lines += ["", "**Closest documents:**", ""]
            for c in closest:
                url = document_url(c.doc)
                label = document_label(c.doc)
                named = link(url, label) if url else html_text(label)
                lines.append(
                    f"- {named}" + (f" · {html_text(c.doc.publisher)}" if c.doc.publisher else "")
                )
        return "\n".join(lines)
    lines.append(answer_text_markup(answer.answer, key, (c.n for c in answer.citations)))
    if answer.citations:
        lines += [
            "",
            f'**{SOURCES_HEADING}** <span class="sources-hint">(select a number to read the quoted passage)</span>',
            "",
        ]
        lines.append(sources_markup(answer, key))
    for warning in answer.warnings:
        lines += ["", f"_Note: {markdown_text(warning)}_"]
    if answer.removed_sentences:
        lines += [
            "",
            f"_{answer.removed_sentences} unsupported sentence(s) were removed from the draft._",
        ]
    lines += ["", exports_markup(answer)]
    return "\n".join(lines)


def sources_text(citations: Iterable[Citation | dict[str, Any]]) -> str:
    """The plain-text source list that OpenAI-compatible clients show under the answer."""
    cited = [c if isinstance(c, Citation) else Citation.from_dict(c) for c in citations]
    return "\n".join(sources_as_text(cited))


def documents_table(documents: Sequence[dict[str, Any]]) -> str:
    """What is indexed, as an accessible HTML table."""
    if not documents:
        return '<p class="documents-empty">No documents are indexed yet.</p>'
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in (
            "Title",
            "Publisher",
            "Year",
            "Licence",
            "Chunks",
            "Withheld",
            "Ingested",
            "Document id",
        )
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
    head = "".join(
        f'<th scope="col">{h}</th>' for h in ("Document", "Where", "Why", "Withheld text")
    )
    rows = []
    for f in flagged:
        where = ", ".join(
            x for x in (f.get("section") or "", f"page {f['page']}" if f.get("page") else "") if x
        )
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
