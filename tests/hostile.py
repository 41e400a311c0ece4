"""A corpus of hostile and broken files, generated at test time (never committed).

``write_corpus(folder)`` writes every file below into ``folder`` (plus a few good ones, and a
sibling folder that symlinks point out to) and returns what it wrote. Each ``Hostile`` names
what it attacks and whether the ingest must skip it (``must_skip``) or may index it (a file
that is odd but harmless, such as Markdown named ``.txt``). Bombs are built from repeated,
independently flushed deflate blocks, so a 1 GB member takes well under a second to make.

Used by tests/integration/test_hostile.py and benchmarks/bench_reliability.py.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from docgen import make_docx, make_html, make_pdf, pdf_bytes

MB = 1 << 20


@dataclass(frozen=True)
class Hostile:
    name: str  # the file's name inside the corpus folder
    attack: str  # what it does, in a few words
    make: Callable[[Path, Path], None]  # (path to write, the sibling "outside" folder)
    must_skip: bool = True


@dataclass(frozen=True)
class Good:
    name: str
    fact: str  # a sentence only this file holds: retrieval must find it after the run
    question: str


HOSTILE: list[Hostile] = []


def hostile(name: str, attack: str, must_skip: bool = True):
    def register(make: Callable[[Path, Path], None]) -> Callable[[Path, Path], None]:
        HOSTILE.append(Hostile(name, attack, make, must_skip))
        return make

    return register


def _bytes(maker: Callable[[], bytes]) -> Callable[[Path, Path], None]:
    return lambda path, _outside: path.write_bytes(maker())


def _add(name: str, attack: str, maker: Callable[[], bytes], must_skip: bool = True) -> None:
    HOSTILE.append(Hostile(name, attack, _bytes(maker), must_skip))


# -- building blocks -------------------------------------------------------------------------


def deflate_repeated(
    block: bytes, times: int, wrapper: str = "raw", start_crc: int = 0
) -> tuple[bytes, int, int]:
    """(compressed, crc32, size) of ``block * times``, compressed once and repeated.

    A full flush ends each copy on a byte boundary with a fresh dictionary, so copies of the
    compressed block concatenate into one valid deflate stream. ``wrapper="zlib"`` adds the
    zlib header and Adler-32 trailer (what a PDF FlateDecode stream holds).
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    crc, adler = start_crc, 1
    for _ in range(times):  # checksums over the whole output (about 1 s per GB)
        if wrapper == "zlib":
            adler = zlib.adler32(block, adler)
        else:
            crc = zlib.crc32(block, crc)
    body = piece * times + final
    if wrapper == "zlib":
        body = b"\x78\xda" + body + struct.pack(">I", adler)
    return body, crc, len(block) * times


def zip_archive(members: list[tuple[str, bytes | tuple[bytes, int, int]]]) -> bytes:
    """A zip file; a member given as (raw deflate data, crc32, size) is stored as given."""
    out = io.BytesIO()
    central = []
    for name, content in members:
        if isinstance(content, bytes):
            compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
            data = compressor.compress(content) + compressor.flush()
            crc, size = zlib.crc32(content), len(content)
        else:
            data, crc, size = content
        encoded = name.encode()
        offset = out.tell()
        fields = struct.pack("<HHHHHIII", 20, 0, 8, 0, 0x21, crc, len(data), size)
        out.write(b"PK\x03\x04" + fields + struct.pack("<HH", len(encoded), 0) + encoded + data)
        central.append(
            b"PK\x01\x02"
            + struct.pack("<H", 20)
            + fields
            + struct.pack("<HHHHHII", len(encoded), 0, 0, 0, 0, 0, offset)
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    size = out.tell() - start
    out.write(
        b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)


def docx_with(document: bytes | tuple[bytes, int, int], extra: list | None = None) -> bytes:
    """A minimal DOCX package around a given ``word/document.xml``."""
    members: list = [
        ("[Content_Types].xml", CONTENT_TYPES.encode()),
        ("_rels/.rels", PACKAGE_RELS.encode()),
        ("word/document.xml", document),
    ]
    return zip_archive(members + (extra or []))


def document_xml(body: str, doctype: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
        f"<w:document {W}><w:body>{body}</w:body></w:document>"
    ).encode()


def paragraph(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def pdf_pages(contents: list[bytes], filters: str = "/FlateDecode") -> bytes:
    """A PDF whose pages have the given (already encoded) content streams."""
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(contents)))
    objects = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: f"<< /Type /Pages /Kids [{kids}] /Count {len(contents)} >>".encode(),
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    }
    for i, stream in enumerate(contents):
        page = 4 + 2 * i
        objects[page] = (
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]"
            f" /Resources << /Font << /F1 3 0 R >> >> /Contents {page + 1} 0 R >>"
        ).encode()
        header = (
            f"<< /Length {len(stream)} /Filter {filters} >>"
            if filters
            else f"<< /Length {len(stream)} >>"
        )
        objects[page + 1] = header.encode() + b"\nstream\n" + stream + b"\nendstream"
    return pdf_bytes(objects)


def good_pdf() -> bytes:
    return make_pdf(
        [["Permit renewals are handled by the parking office."] * 5] * 3, title="Parking"
    )


def good_docx() -> bytes:
    return make_docx("Allotments", [(1, "Plots", ["Allotment plots are let each October."])])


# -- PDF -------------------------------------------------------------------------------------

_add(
    "pdf-flate-bomb.pdf",
    "one FlateDecode stream that inflates to 1 GB",
    lambda: pdf_pages([deflate_repeated(b"(bomb) Tj " * 1600, 65536, "zlib")[0]]),
)
_add(
    "pdf-flate-bomb-pages.pdf",
    "40 pages of 60 MB streams, each under pypdf's own limit",
    lambda: pdf_pages([deflate_repeated(b"(AAAAAAAA) Tj " * 4681, 960, "zlib")[0]] * 40),
)
_add(
    "pdf-truncated.pdf",
    "a good PDF cut off at 60%",
    lambda: good_pdf()[: len(good_pdf()) * 6 // 10],
)
_add("pdf-no-header.pdf", "random bytes named .pdf", lambda: os.urandom(20_000))
_add(
    "pdf-nested-arrays.pdf",
    "a content array nested 100,000 deep",
    lambda: pdf_bytes(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
            + b"[" * 100_000
            + b"]" * 100_000
            + b" >>",
        }
    ),
)
_add(
    "pdf-page-tree-cycle.pdf",
    "a page tree whose /Kids contains itself",
    lambda: pdf_bytes(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< /Type /Pages /Kids [2 0 R 3 0 R] /Count 2 >>",
            3: b"<< /Type /Pages /Kids [2 0 R] /Parent 2 0 R /Count 1 >>",
        }
    ),
)
_add(
    "pdf-bad-xref.pdf",
    "a PDF header over garbage with a lying xref",
    lambda: b"%PDF-1.7\n" + os.urandom(5000) + b"\nxref\n0 9999999\nstartxref\n12\n%%EOF\n",
)
_add(
    "pdf-huge-length.pdf",
    "a stream that declares a 100 GB /Length",
    lambda: pdf_pages([b"BT (x) Tj ET"], filters="").replace(b"/Length 11", b"/Length 99999999999"),
)
_add(
    "pdf-dict-bomb.pdf",
    "one object with 200,000 dictionary keys and no pages",
    lambda: pdf_bytes(
        {
            1: b"<< /Type /Catalog /Pages 2 0 R >>",
            2: b"<< " + b"".join(b"/K%d %d " % (i, i) for i in range(200_000)) + b">>",
        }
    ),
)
_add(
    "pdf-empty-pages.pdf",
    "a valid PDF whose pages have no text",
    lambda: pdf_pages([b""] * 5, filters=""),
)


# -- DOCX ------------------------------------------------------------------------------------

_add(
    "docx-malformed-xml.docx",
    "document.xml that is not well-formed",
    lambda: docx_with(b'<?xml version="1.0"?><w:document ' + W.encode() + b"><w:body><w:p><w:r>"),
)
_add(
    "docx-billion-laughs.docx",
    "nested XML entities (billion laughs)",
    lambda: docx_with(
        document_xml(
            paragraph("&lol9;"),
            '<!DOCTYPE lolz [<!ENTITY lol "lol">'
            + "".join(
                f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                for i in range(1, 10)
            )
            + "]>",
        )
    ),
)
_add(
    "docx-xxe.docx",
    "an external entity that reads /etc/passwd",
    lambda: docx_with(
        document_xml(paragraph("&xxe;"), '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>')
    ),
)
_add(
    "docx-external-dtd.docx",
    "a DOCTYPE that fetches a DTD from the network",
    lambda: docx_with(
        document_xml(paragraph("text"), '<!DOCTYPE d SYSTEM "http://203.0.113.9/evil.dtd">')
    ),
)
_add(
    "docx-zip-bomb.docx",
    "document.xml that inflates to 1 GB",
    lambda: docx_with(bomb_document_xml()),
)
_add("docx-huge-text-node.docx", "one text node of 40 MB", lambda: docx_with(_huge_text_xml()))
_add(
    "docx-deep-xml.docx",
    "elements nested 100,000 deep",
    lambda: docx_with(document_xml("<w:p>" + "<w:r>" * 100_000 + "</w:r>" * 100_000 + "</w:p>")),
)
_add(
    "docx-nested-tables.docx",
    "tables nested 400 deep",
    lambda: docx_with(
        document_xml(
            "<w:tbl><w:tr><w:tc>" * 400 + paragraph("deep") + "</w:tc></w:tr></w:tbl>" * 400
        )
    ),
)
_add(
    "docx-not-a-zip.docx",
    "plain text named .docx",
    lambda: b"This is not a Word document at all.\n" * 50,
)
_add("docx-truncated.docx", "a good DOCX cut in half", lambda: good_docx()[: len(good_docx()) // 2])
_add(
    "docx-no-document.docx",
    "a zip without word/document.xml",
    lambda: zip_archive(
        [("[Content_Types].xml", CONTENT_TYPES.encode()), ("readme.txt", b"hello")]
    ),
)
_add(
    "docx-many-members.docx",
    "a package of 30,000 members",
    lambda: docx_with(
        document_xml(paragraph("many")), [(f"junk/{i}.xml", b"<a/>") for i in range(30_000)]
    ),
)
_add("docx-bad-crc.docx", "document.xml whose CRC does not match", lambda: _bad_crc())


def bomb_document_xml() -> tuple[bytes, int, int]:
    """An opening ``<w:t>`` followed by 1 GB of 'A': deflated to about 1 MB."""
    head = b'<?xml version="1.0"?><w:document ' + W.encode() + b"><w:body><w:p><w:r><w:t>"
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    prefix = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    data, crc, size = deflate_repeated(b"A" * MB, 1024, start_crc=zlib.crc32(head))
    return prefix + data, crc, len(head) + size


def _bad_crc() -> bytes:
    xml = document_xml(paragraph("crc"))
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    return docx_with((compressor.compress(xml) + compressor.flush(), 1234, len(xml)))


def _huge_text_xml() -> bytes:
    return document_xml(paragraph("word " * (8 * MB)))


# -- HTML ------------------------------------------------------------------------------------

_add(
    "html-deep-100k.html",
    "divs nested 100,000 deep",
    lambda: (
        "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>"
    ).encode(),
)
_add(
    "html-deep-unclosed.html",
    "100,000 unclosed divs",
    lambda: ("<html><body>" + "<div>x" * 100_000).encode(),
)
_add(
    "html-nested-tables.html",
    "tables nested 2,000 deep",
    lambda: (
        "<html><body>"
        + "<table><tr><td>" * 2000
        + "cell"
        + "</td></tr></table>" * 2000
        + "</body></html>"
    ).encode(),
)
_add(
    "html-huge-text-node.html",
    "one paragraph of 3 MB without a space",
    lambda: ("<html><body><p>" + "x" * (3 * MB) + "</p></body></html>").encode(),
)
_add(
    "html-unclosed-comments.html",
    "100,000 comment openers never closed",
    lambda: (
        "<html><body><p>Intro text for the page.</p>" + "<!--\n" * 100_000 + "</body></html>"
    ).encode(),
)
_add(
    "html-latin1.html",
    "bytes that are not UTF-8",
    lambda: "<html><body><p>Caf\xe9 opening times: 9am \xa3 5</p></body></html>".encode("latin-1"),
)
_add("html-binary.html", "a PNG named .html", lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(4000))


# -- Markdown --------------------------------------------------------------------------------

BILLION_LAUGHS = "a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n" + "".join(
    f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi")
)
_add(
    "md-yaml-billion-laughs.md",
    "YAML aliases that expand to 9^9 items (read as plain text)",
    lambda: (
        f"---\n{BILLION_LAUGHS}title: *i\n---\n# Laughs\n\nThe tip opens at nine on Sundays.\n".encode()
    ),
    must_skip=False,
)
_add(
    "md-huge-front-matter.md",
    "5 MB of front matter",
    lambda: (
        "---\ntitle: Big\n"
        + "".join(f"key{i}: {'v' * 40}\n" for i in range(110_000))
        + "---\n# Big\n\nBody.\n"
    ).encode(),
)
_add(
    "md-yaml-python-tag.md",
    "a YAML tag that would run a command if loaded unsafely",
    lambda: (
        b"---\ntitle: !!python/object/apply:os.system ['touch /tmp/hostile-yaml-ran']\n---\n"
        b"# Tagged\n\nThe recycling centre opens at eight on Saturdays.\n"
    ),
    must_skip=False,
)
_add(
    "md-regex-brackets.md",
    "400 lines of '[': link regexes rescan to the end from each",
    lambda: ("# Brackets\n\n" + ("[" * 500 + "\n") * 400).encode(),
)
_add(
    "md-regex-image.md",
    "'![' and '](' without closers",
    lambda: ("# Images\n\n" + ("![a](" * 100 + "\n") * 1000).encode(),
)
_add(
    "md-regex-comments.md",
    "50,000 unclosed '<!--' lines",
    lambda: ("# Comments\n\nSome text here for the page.\n" + "<!--\n" * 50_000).encode(),
)
_add(
    "md-regex-liquid.md",
    "'{%' and '{{' never closed",
    lambda: ("# Liquid\n\n" + "{% {{ {: <!-- ![ \n" * 40_000).encode(),
)
_add(
    "md-regex-emphasis.md",
    "lines of '** ' without a closing pair",
    lambda: ("# Emphasis\n\n" + ("** " * 1500 + "\n") * 100).encode(),
)
_add(
    "md-regex-whitespace.md",
    "200,000 lines of spaces (anchored \\s* rescans)",
    lambda: ("# Blank\n\n" + "    \n" * 200_000 + "The end of the page.").encode(),
    must_skip=False,
)
_add(
    "md-regex-table-rule.md",
    "table-rule look-alike lines of 6,000 characters",
    lambda: ("# Rules\n\n" + ("| " + "- " * 3000 + "x\n") * 50).encode(),
)
_add(
    "md-regex-star-heading.md",
    "'***' lines padded with spaces",
    lambda: ("# Stars\n\n" + ("*** " + " " * 5000 + "x\n") * 50).encode(),
)
_add(
    "md-many-headings.md",
    "50,000 headings",
    lambda: "".join(f"## Heading {i}\n\nLine {i}.\n\n" for i in range(50_000)).encode(),
)
_add("md-one-line.md", "2 MB on one line", lambda: ("word " * (400_000)).encode())
_add("md-nul-bytes.md", "NUL bytes in text", lambda: b"# Nul\n\n" + b"\x00" * 1000 + b"text\n")
_add("md-invalid-utf8.md", "bytes that are not UTF-8", lambda: b"# Bad\n\nCaf\xe9 \xff\xfe text\n")
_add(
    "md-deep-blockquote.md",
    "a blockquote nested 100,000 deep",
    lambda: ("# Quote\n\n" + ">" * 100_000 + " deep\n").encode(),
)
_add(
    "md-deep-lists.md",
    "a list nested 1,500 deep",
    lambda: ("# Lists\n\n" + "".join("  " * i + "- item\n" for i in range(1_500))).encode(),
)
_add(
    "md-deep-html.md",
    "HTML nested 100,000 deep inside Markdown",
    lambda: ("# Deep\n\n" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "\n").encode(),
)
_add(
    "md-nested-tables.md",
    "HTML tables nested 2,000 deep inside Markdown",
    lambda: (
        "# Tables\n\n" + "<table><tr><td>" * 2000 + "cell" + "</td></tr></table>" * 2000
    ).encode(),
)
_add("md-empty.md", "an empty file", lambda: b"")
_add("md-whitespace-only.md", "only spaces and newlines", lambda: b" \n\t\n" * 1000)


# -- plain text ------------------------------------------------------------------------------

_add(
    "txt-one-line-2mb.txt",
    "2 MB of words on one line",
    lambda: ("council " * (2 * MB // 8)).encode(),
)
_add("txt-no-spaces-2mb.txt", "2 MB without a space or newline", lambda: b"x" * (2 * MB))
_add(
    "txt-utf16.txt",
    "UTF-16 text (NUL bytes)",
    lambda: "Library opening hours\n".encode("utf-16") * 100,
)
_add("txt-newlines.txt", "5 MB of newlines", lambda: b"\n" * (5 * MB))
_add("txt-random.txt", "random bytes named .txt", lambda: os.urandom(50_000))


# -- wrong or unknown types ------------------------------------------------------------------

_add("wrong-docx-named.pdf", "a DOCX named .pdf", good_docx)
_add("wrong-pdf-named.docx", "a PDF named .docx", good_pdf)
_add("wrong-zip-named.html", "a zip named .html", lambda: zip_archive([("a.txt", b"hello")]))
_add(
    "wrong-markdown-named.txt",
    "Markdown named .txt",
    lambda: b"# Street lighting\n\nFaulty street lights are repaired within five working days.\n",
    must_skip=False,
)
_add("unsupported.exe", "a file type the assistant does not read", lambda: b"MZ" + os.urandom(1000))


# -- the file system -------------------------------------------------------------------------


@hostile("link-etc-passwd.md", "a symlink to /etc/passwd")
def _link_passwd(path: Path, outside: Path) -> None:
    path.symlink_to("/etc/passwd")


@hostile("link-outside.md", "a symlink to a file outside the folder")
def _link_outside(path: Path, outside: Path) -> None:
    path.symlink_to(outside / "secret.md")


@hostile("link-dev-zero.txt", "a symlink to /dev/zero (a device that never ends)")
def _link_zero(path: Path, outside: Path) -> None:
    path.symlink_to("/dev/zero")


@hostile("link-loop-a.md", "two symlinks pointing at each other")
def _link_loop(path: Path, outside: Path) -> None:
    path.symlink_to(path.with_name("link-loop-b.md"))
    path.with_name("link-loop-b.md").symlink_to(path)


@hostile("link-dangling.md", "a symlink to nothing")
def _link_dangling(path: Path, outside: Path) -> None:
    path.symlink_to(outside / "no-such-file.md")


@hostile("link-folder-outside", "a symlink to a folder outside")
def _link_folder(path: Path, outside: Path) -> None:
    path.symlink_to(outside, target_is_directory=True)


@hostile("link-inside.md", "a symlink to a good file inside the folder", must_skip=False)
def _link_inside(path: Path, outside: Path) -> None:
    path.symlink_to(path.with_name("good-garden.md"))


@hostile("fifo.md", "a named pipe: reading it blocks forever")
def _fifo(path: Path, outside: Path) -> None:
    os.mkfifo(path)


@hostile("oversize.txt", "a 30 MB file (sparse), over the size limit")
def _oversize(path: Path, outside: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(30 * MB)


# -- good files ------------------------------------------------------------------------------

GOOD = [
    Good(
        "good-garden.md",
        "The garden waste subscription costs 52 pounds a year.",
        "How much is the garden waste subscription?",
    ),
    Good(
        "good-parking.html",
        "Resident parking permits are renewed every twelve months online.",
        "How often are resident parking permits renewed?",
    ),
    Good(
        "good-allotments.docx",
        "Allotment plots are let each October from the waiting list.",
        "When are allotment plots let?",
    ),
    Good(
        "good-libraries.pdf",
        "Mobile library vans visit each village every third Thursday.",
        "How often do mobile library vans visit villages?",
    ),
    Good(
        "good-potholes.txt",
        "Potholes deeper than forty millimetres are repaired within a week.",
        "How quickly are deep potholes repaired?",
    ),
    Good(
        "sub/good-burials.md",
        "Burial plots in the town cemetery can be reserved for 50 years.",
        "How long can burial plots be reserved?",
    ),
]


def _write_good(folder: Path, good: Good) -> None:
    path = folder / good.name
    path.parent.mkdir(parents=True, exist_ok=True)
    title = Path(good.name).stem.replace("good-", "").title()
    if path.suffix == ".md":
        path.write_text(
            f"---\ntitle: {title}\npublisher: Exampleshire Council\nyear: 2024\n---\n"
            f"# {title}\n\n## Service\n\n{good.fact}\n"
        )
    elif path.suffix == ".html":
        path.write_text(make_html(title, f"<h1>{title}</h1><p>{good.fact}</p>"))
    elif path.suffix == ".docx":
        path.write_bytes(make_docx(title, [(1, "Service", [good.fact])]))
    elif path.suffix == ".pdf":
        path.write_bytes(make_pdf([[good.fact]], title=title))
    else:
        path.write_text(f"{title}\n\n{good.fact}\n")


def write_corpus(folder: Path, outside: Path) -> tuple[list[Hostile], list[Good]]:
    """Write the good files and every hostile file; ``outside`` gets what symlinks aim at."""
    folder.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    (outside / "secret.md").write_text(
        "# Secret\n\nThe outside folder's secret must never be indexed.\n"
    )
    for good in GOOD:
        _write_good(folder, good)
    for item in HOSTILE:
        item.make(folder / item.name, outside)
    return list(HOSTILE), list(GOOD)


def hostile_paths(folder: Path) -> list[Path]:
    """Every path the corpus holds that the ingest must not read as a document."""
    return [folder / h.name for h in HOSTILE if h.must_skip]
