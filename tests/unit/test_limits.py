"""Parse limits refuse bombs and pathological files before a parser sees them, and the cleaning
regexes stay linear on inputs built to make them backtrack."""

from __future__ import annotations

import time

import pytest
from docgen import make_docx, make_html
from hostile import (
    BILLION_LAUGHS,
    bomb_document_xml,
    deflate_repeated,
    document_xml,
    docx_with,
    paragraph,
    zip_archive,
)

from core.errors import DocumentError
from core.settings import ParseLimits
from index.cleaning import clean_markdown, split_front_matter
from index.limits import check_html_nesting, check_raw, check_text, check_zip

pytestmark = pytest.mark.unit

LIMITS = ParseLimits()


def refused(call, *args) -> str:
    with pytest.raises(DocumentError) as caught:
        call(*args)
    reason = str(caught.value)
    assert reason and "\n" not in reason
    return reason


def test_real_documents_pass_every_check() -> None:
    check_zip(
        make_docx("Bins", [(1, "Days", ["Bins are emptied on Mondays."])], table=[["a", "b"]]),
        LIMITS,
    )
    check_html_nesting(
        make_html("Bins", "<div><table><tr><td>x</td></tr></table><p>one<p>two</div>").encode(),
        LIMITS,
    )
    check_text(
        "# Bins\n\nBins are emptied on Mondays.\n\n| Day | Street |\n| Monday | High Street |",
        LIMITS,
    )


def test_zip_bombs_are_refused_from_their_declared_sizes() -> None:
    assert "unzips to 1024 MB" in refused(check_zip, docx_with(bomb_document_xml()), LIMITS)
    ratio = docx_with(deflate_repeated(b"<w:p/>" * 100_000, 20))  # 12 MB from about 12 KB
    assert "inflates" in refused(check_zip, ratio, LIMITS)
    many = zip_archive([(f"m/{i}.xml", b"<a/>") for i in range(LIMITS.max_zip_members + 1)])
    assert "holds" in refused(check_zip, many, LIMITS)


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE d [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>',
        '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE d SYSTEM "http://203.0.113.9/evil.dtd">',
    ],
)
def test_xml_with_a_dtd_is_refused(doctype: str) -> None:
    package = docx_with(document_xml(paragraph("text"), doctype))
    assert "DTD" in refused(check_zip, package, LIMITS)


def test_not_a_zip_is_left_to_the_loader() -> None:
    check_zip(b"plain text", LIMITS)  # the DOCX loader says "not a zip file" in its own words


@pytest.mark.parametrize(
    "html, what",
    [
        ("<div>" * 300 + "x" + "</div>" * 300, "nested more than 256"),
        ("<div>x" * 300, "nested more than 256"),
        ("<table><tr><td>" * 20 + "x" + "</td></tr></table>" * 20, "tables nested"),
    ],
)
def test_deep_html_is_refused(html: str, what: str) -> None:
    assert what in refused(check_html_nesting, html.encode(), LIMITS)
    assert what in refused(
        check_raw, ".md", f"# Page\n\n{html}\n".encode(), LIMITS
    )  # inside Markdown too


def test_sloppy_but_shallow_html_passes() -> None:
    # Unclosed <p> and <li>, void elements, markup inside comments and scripts: not depth.
    page = "<ul>" + "<li>item" * 2000 + "</ul>" + "<p>para" * 2000 + "<br><img src=x>" * 500
    page += "<!--" + "<div>" * 1000 + "-->" + "<script>" + "'<div>'+" * 1000 + "</script>"
    check_html_nesting(page.encode(), LIMITS)


def test_front_matter_over_the_limit_is_refused() -> None:
    big = b"---\n" + b"k: v\n" * 20_000 + b"---\n# Body\n"
    assert "front matter" in refused(check_raw, ".md", big, LIMITS)
    check_raw(".md", b"---\ntitle: Small\n---\n# Body\n", LIMITS)
    check_raw(".md", b"---\n" + b"no closing rule " * 10_000, LIMITS)  # not front matter at all


@pytest.mark.parametrize(
    "text, what",
    [
        ("x" * 60_000, "a line of 60000 characters"),
        ("".join(f"## H{i}\n\ntext\n\n" for i in range(5_001)), "5001 headings"),
        ("word" + " " * 5000 + "word", "blank space"),
        ("[[[[ ]]]] {{ }} <!-- -->\n" * 100, "symbols, not text"),
    ],
)
def test_text_no_reader_could_use_is_refused(text: str, what: str) -> None:
    assert what in refused(check_text, text, LIMITS)


def test_yaml_aliases_are_read_as_plain_text_not_expanded() -> None:
    started = time.monotonic()
    meta, body = split_front_matter(f"---\n{BILLION_LAUGHS}title: *i\n---\nBody.\n")
    assert meta["title"] == "*i" and body == "Body.\n"
    assert time.monotonic() - started < 5  # expanded, these nine lines hold 9^9 items
    meta, _ = split_front_matter("---\ntitle: !!python/object/apply:os.system ['true']\n---\nx")
    assert "python/object" in str(meta.get("title"))  # never constructed, never run


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    [
        ("[" * 500 + "\n") * 400,  # link regexes: each '[' scanned to the end
        ("![a](" * 100 + "\n") * 1000,
        "<!--\n" * 50_000,
        "{% {{ {: <table <a \n" * 40_000,
        "    \n" * 200_000 + "end",  # anchored \s* rescanned from every line
        ("| " + "- " * 3000 + "x\n") * 50,  # table-rule look-alikes
        ("*** " + " " * 5000 + "x\n") * 50,  # star headings padded with spaces
        ("| " + " " * 20_000 + "x\n") * 20,  # table cells padded with spaces
    ],
)
def test_cleaning_is_linear_on_inputs_built_to_backtrack(text: str) -> None:
    """Each took minutes before (quadratic backtracking); a hang fails on the timeout."""
    clean_markdown(text)


def test_unclosed_constructs_are_kept_and_closed_ones_removed() -> None:
    text = "Intro <!-- hidden --> text {% tag %} and <b>bold</b>. Then <!-- never closed"
    assert (
        clean_markdown(text) == "Intro text and bold. Then <!-- never closed"
    )  # runs of spaces squeezed
    # A stray '[' before a link stays part of the link text, as before.
    assert (
        clean_markdown("Is it on? [Is security](https://x.example/a) or not")
        == "Is it on? Is security or not"
    )
    assert clean_markdown("a [b [c](https://x.example) d") == "a b [c d"


def test_limits_are_settings() -> None:
    tight = ParseLimits(max_line_chars=10)
    assert "limit of 10" in refused(check_text, "a line longer than ten", tight)
