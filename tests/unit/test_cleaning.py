"""Cleaning of messy Markdown: what must go (site noise) and what must stay (the content)."""

from __future__ import annotations

import pytest

from index.cleaning import (
    clean_markdown,
    fix_mojibake,
    html_table_to_text,
    parse_year,
    split_front_matter,
)

pytestmark = pytest.mark.unit


# -- front matter ---------------------------------------------------------------------------
def test_front_matter_becomes_a_dict_and_is_removed_from_the_body() -> None:
    meta, body = split_front_matter(
        "---\ntitle: Waste strategy\npublisher: Exampleshire Council\nyear: 2021\n---\n# Intro\nText"
    )
    assert meta == {"title": "Waste strategy", "publisher": "Exampleshire Council", "year": 2021}
    assert body == "# Intro\nText"


def test_front_matter_that_is_not_valid_yaml_is_read_line_by_line() -> None:
    meta, body = split_front_matter(
        "---\ntitle: Parking: a review: 2020\nsource: https://example.org/x\n---\nBody"
    )
    assert meta["title"] == "Parking: a review: 2020"
    assert meta["source"] == "https://example.org/x"
    assert body == "Body"


@pytest.mark.parametrize(
    "text",
    ["No front matter here\n---\nx: 1\n---", "---\n- a list\n- not a mapping\n---\nbody"],
)
def test_text_without_a_front_matter_mapping_is_left_alone(text: str) -> None:
    assert split_front_matter(text) == ({}, text)


@pytest.mark.parametrize(
    ("value", "year"),
    [
        ("2021-2023", 2023),
        ("2019 revision", 2019),
        ("2022 (reviewed 2024)", 2022),
        ("updated 2024 (first published 1999)", 2024),
        (2020, 2020),
        ("n.d.", None),
        (None, None),
        ("(1998)", 1998),
    ],
)
def test_parse_year(value: object, year: int | None) -> None:
    assert parse_year(value) == year


# -- noise that must not reach a chunk -----------------------------------------------------------
def test_jekyll_and_gitbook_tags_are_removed_but_their_content_kept() -> None:
    text = clean_markdown(
        '{% include header.html %}\n{% hint style="info" %}\nCouncils must publish data.\n'
        "{% endhint %}\n{: .lead }\nTitle is {{ page.title }} here."
    )
    assert "Councils must publish data." in text
    assert "{%" not in text and "{{" not in text and "{:" not in text
    assert "Title is here." in text


def test_links_images_and_reference_markers() -> None:
    text = clean_markdown(
        "Read the [parking guide](https://example.org/park_(2020)) now.[1] ![logo](logo.png)\n"
        'See [the code][toc] too.[citation needed]\n\n[toc]: https://example.org/toc "TOC"\n'
    )
    assert "Read the parking guide now." in text
    assert "See the code too." in text
    for noise in ("https://", "logo.png", "[1]", "citation needed", "[toc]", "]("):
        assert noise not in text


def test_navigation_link_lists_are_dropped_but_a_link_in_prose_is_kept() -> None:
    text = clean_markdown(
        "* [Home](/)\n* [About us](/about)\n\n* [Contact](/contact)\n\n"
        "Bins are emptied weekly.\n\n[One useful form](/form)\n\nMore prose."
    )
    assert "Home" not in text and "About us" not in text and "Contact" not in text
    assert "Bins are emptied weekly." in text
    assert "One useful form" in text


def test_boilerplate_lines_and_html_comments_are_dropped() -> None:
    text = clean_markdown(
        "Skip to main content\n<!-- editor note:\nremove later -->\nReal text.\nBack to top\n"
    )
    assert text == "Real text."


def test_markdown_and_html_table_rows_keep_their_column_headers() -> None:
    text = clean_markdown(
        "| Service    |   Day     |\n|:-----------|----------:|\n| Green bin  | Monday    |\n\n"
        "<table><tr><th>Fee</th><th>Amount</th></tr><tr><td>Permit</td><td>£40</td></tr></table>"
    )
    lines = text.splitlines()
    assert "Service: Green bin; Day: Monday." in lines
    assert "Fee: Permit; Amount: £40." in lines
    assert "---" not in text and "<t" not in text and "|" not in text


def test_html_table_to_text_skips_empty_cells() -> None:
    assert (
        html_table_to_text(
            "<table><tr><td>a</td><td></td><td>b</td></tr><tr><td> </td></tr></table>"
        ).strip()
        == "a\n\nb"
    )


def test_emphasis_and_inline_html_are_stripped() -> None:
    assert clean_markdown("Some **bold**, __strong__ and <span class='x'>html</span> text.") == (
        "Some bold, strong and html text."
    )


def test_blank_runs_collapse() -> None:
    assert clean_markdown("one\n\n\n\n\ntwo") == "one\n\ntwo"


def test_pages_concatenated_with_their_own_front_matter_keep_their_titles_as_headings() -> None:
    text = clean_markdown("First page text.\n---\ntitle: Second page\nlayout: x\n---\nMore text.")
    assert "# Second page" in text.splitlines()
    assert "layout" not in text


def test_wikipedia_star_headings_and_edit_links() -> None:
    text = clean_markdown("***** History[edit] *****\nText.\n**** Early years ****\nMore.")
    assert text.splitlines()[0] == "## History"
    assert "### Early years" in text.splitlines()
    assert "[edit]" not in text


def test_mojibake_is_repaired_and_good_text_untouched() -> None:
    broken = "Caf\u00c3\u00a9 costs \u00c2\u00a35 \u00e2\u0080\u0093 cheap"
    assert fix_mojibake(broken) == "Café costs £5 – cheap"
    assert (
        fix_mojibake("Café costs £5 – cheap, naïve façade") == "Café costs £5 – cheap, naïve façade"
    )
