"""Tables as text that keeps its column headers.

A cell quoted without its header misleads: a CAF indicator from the "Not achieved" column
reads like advice. So every cell is written with its header ("Not Achieved: ..."), for
Markdown, HTML and DOCX tables alike, and no pipe reaches a chunk.

Two shapes: tables whose first column labels the row (a data table: "Personal data | No |
DPIA required") become one line per row, "Your data: Personal data; Public consumer tool: No;
...". Tables whose columns are independent lists of prose (the CAF's achieved / not achieved
indicators side by side) are read column by column, one paragraph per cell, so each column's
statements stay together and each says which column it is from.
"""

from __future__ import annotations

import re

RULE_LINE = re.compile(r"^[ \t]*(?=[ \t:|-]*-)[ \t:|-]+$")  # "|---|:--:|", "---"; linear
PROSE_CELL_CHARS = 60  # average cell length above which a column is prose, not labels


def table_text(header: list[str] | None, rows: list[list[str]]) -> str:
    """One table as plain text (paragraphs separated by blank lines)."""
    rows = [[" ".join(c.split()) for c in row] for row in rows]
    rows = [row for row in rows if any(row)]
    header = [" ".join(h.split()) for h in header] if header else None
    if header and not any(header):
        header = None
    width = max([len(header or [])] + [len(r) for r in rows] + [0])
    if width == 0:
        return ""
    if width == 1 or not header:
        cells = ([header[0]] if header else []) + [c for row in rows for c in row if c]
        return "\n\n".join(cells)
    header = header + [""] * (width - len(header))
    rows = [row + [""] * (width - len(row)) for row in rows]
    if _columns_are_prose(rows):
        paragraphs = [_labelled(header[j], row[j]) for j in range(width) for row in rows if row[j]]
        return "\n\n".join(paragraphs)
    lines = []
    for row in rows:
        parts = [_labelled(h, c).rstrip(" .;") for h, c in zip(header, row) if c]
        if parts:
            lines.append("; ".join(parts) + ".")
    return "\n\n".join(lines)


def _labelled(header: str, cell: str) -> str:
    return f"{header}: {cell}" if header and header.lower() != cell.lower() else cell


def _columns_are_prose(rows: list[list[str]]) -> bool:
    def average(j: int) -> float:
        cells = [r[j] for r in rows if r[j]]
        return sum(map(len, cells)) / len(cells) if cells else 0.0

    return all(average(j) > PROSE_CELL_CHARS for j in range(len(rows[0])))


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row ('| a | b |' -> ['a', 'b']); escaped pipes stay."""
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", body)]


def markdown_tables(text: str) -> str:
    """Every Markdown table in ``text`` as header-labelled text; stray rule lines dropped."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not lines[i].lstrip().startswith("|"):
            if not RULE_LINE.match(lines[i]) or not lines[i].strip():
                out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and lines[j].lstrip().startswith("|"):
            j += 1
        block = [line for line in lines[i:j]]
        header = None
        if len(block) > 1 and RULE_LINE.match(block[1]):
            header, block = split_row(block[0]), block[2:]
        rows = [split_row(line) for line in block if not RULE_LINE.match(line)]
        out += ["", table_text(header, rows), ""]
        i = j
    return "\n".join(out)
