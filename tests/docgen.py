"""Small test documents made at test time: PDF (written by hand), DOCX (python-docx), HTML.

A hand-written PDF keeps the tests free of a PDF-generator dependency; it is a real PDF 1.4
file (catalog, page tree, Helvetica, one content stream per page, a correct xref table).
"""

from __future__ import annotations

import io


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]], title: str | None = None, author: str | None = None) -> bytes:
    """A text PDF with one page per item of ``pages`` (each a list of lines)."""
    count = len(pages)
    page_ids = [4 + 2 * i for i in range(count)]
    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: (
            f"<< /Type /Pages /Kids [{' '.join(f'{p} 0 R' for p in page_ids)}] /Count {count} >>"
        ).encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    for page_id, lines in zip(page_ids, pages):
        shown = " ".join(f"({_pdf_string(line)}) Tj T*" for line in lines)
        stream = f"BT /F1 11 Tf 14 TL 72 770 Td {shown} ET".encode("latin-1")
        objects[page_id] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>"
        ).encode()
        objects[page_id + 1] = (
            f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream"
        )
    info_id = None
    if title or author:
        info_id = 4 + 2 * count
        fields = []
        if title:
            fields.append(f"/Title ({_pdf_string(title)})")
        if author:
            fields.append(f"/Author ({_pdf_string(author)})")
        fields.append("/CreationDate (D:20210304120000Z)")
        objects[info_id] = f"<< {' '.join(fields)} >>".encode()

    return pdf_bytes(objects, f" /Info {info_id} 0 R" if info_id else "")


def pdf_bytes(objects: dict[int, bytes], trailer: str = "") -> bytes:
    """A PDF file from numbered objects (1 is the catalog), with a correct xref table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = out.tell()
        out.write(f"{number} 0 obj\n".encode() + objects[number] + b"\nendobj\n")
    xref = out.tell()
    size = max(objects) + 1
    out.write(f"xref\n0 {size}\n0000000000 65535 f \n".encode())
    for number in range(1, size):
        out.write(f"{offsets.get(number, 0):010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {size} /Root 1 0 R{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def make_docx(
    title: str,
    sections: list[tuple[int, str, list[str]]],
    table: list[list[str]] | None = None,
    author: str | None = None,
) -> bytes:
    """A DOCX: a Title paragraph, then (heading level, heading, paragraphs) per section."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for level, heading, paragraphs in sections:
        document.add_heading(heading, level=level)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for row, values in zip(grid.rows, table):
            for cell, value in zip(row.cells, values):
                cell.text = value
    if author:
        document.core_properties.author = author
    document.core_properties.title = title
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_html(title: str, body: str, author: str | None = None) -> str:
    """A page with the usual site chrome around ``body``: the loader must drop the chrome."""
    meta = f'<meta name="author" content="{author}">' if author else ""
    return f"""<!doctype html>
<html lang="en"><head><title>{title}</title>{meta}
<style>body {{ font-family: sans-serif; }}</style>
<script>window.trackingId = "UA-HIDDEN-SCRIPT";</script></head>
<body>
<header><a href="/">Council home</a> <a href="/login">Sign in to your account</a></header>
<nav><ul><li><a href="/bins">Bins and recycling</a></li><li><a href="/tax">Council tax</a></li></ul></nav>
<main>{body}</main>
<aside>Related: parking permits sidebar</aside>
<footer>Copyright footer text, cookies banner</footer>
</body></html>"""
