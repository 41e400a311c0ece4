"""Plain-text rendering of an ``Answer`` for the terminal."""

from __future__ import annotations

from assistant.types import Answer, Citation


def citation_label(c: Citation) -> str:
    where = " > ".join(x for x in [c.section] if x)
    page = f", page {c.page}" if c.page else ""
    year = f" ({c.year})" if c.year else ""
    return f"{c.title}{year}{': ' + where if where else ''}{page}"


def answer_as_text(answer: Answer) -> str:
    lines = [answer.answer, ""]
    if answer.refused:
        lines.append(f"(Refused: {answer.refusal_reason})")
    for c in answer.citations:
        lines.append(f"[{c.n}] {citation_label(c)} — {c.path}")
    for warning in answer.warnings:
        lines.append(f"Note: {warning}")
    if answer.removed_sentences:
        lines.append(f"({answer.removed_sentences} unsupported sentence(s) removed)")
    return "\n".join(lines).rstrip()
