"""Plain-text rendering of an ``Answer``: the terminal, and headings the web app reuses."""

from __future__ import annotations

from typing import Any

from core.types import Answer, Citation


def citation_heading(c: Citation | dict[str, Any]) -> str:
    """'[n] Title (year), section, page p' as plain text."""
    get = (c if isinstance(c, dict) else c.to_dict()).get
    parts = [f"[{get('n')}] {get('title') or get('document_id')}"]
    if get("year"):
        parts[0] += f" ({get('year')})"
    if get("section"):
        parts.append(str(get("section")))
    if get("page"):
        parts.append(f"page {get('page')}")
    return ", ".join(parts)


def answer_as_text(answer: Answer) -> str:
    lines = [answer.answer, ""]
    if answer.refused:
        lines.append(f"(Refused: {answer.refusal_reason})")
    for c in answer.citations:
        lines.append(f"{citation_heading(c)} — {c.doc.path}")
    for warning in answer.warnings:
        lines.append(f"Note: {warning}")
    if answer.removed_sentences:
        lines.append(f"({answer.removed_sentences} unsupported sentence(s) removed)")
    return "\n".join(lines).rstrip()
