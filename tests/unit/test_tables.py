"""Table cells keep their column headers (Markdown, HTML and DOCX share ``table_text``)."""

from __future__ import annotations

import pytest

from index.cleaning import clean_markdown, html_table_to_text
from index.tables import markdown_tables, split_row, table_text

pytestmark = pytest.mark.unit

NOT_ACHIEVED = "The security of network and information systems is not discussed at board level."
ACHIEVED = "Your organisation's approach and policy are agreed by the board and reviewed regularly."


def test_a_caf_indicator_says_which_column_it_is_from():
    text = clean_markdown(
        "| Not Achieved | Achieved |\n|---|---|\n"
        f"| {NOT_ACHIEVED} | {ACHIEVED} |\n|  | Security is recognised as an important enabler of resilience. |"
    )
    paragraphs = text.split("\n\n")
    assert f"Not Achieved: {NOT_ACHIEVED}" in paragraphs
    assert f"Achieved: {ACHIEVED}" in paragraphs
    # read column by column: each column's statements stay together
    assert paragraphs.index(f"Not Achieved: {NOT_ACHIEVED}") < paragraphs.index(
        f"Achieved: {ACHIEVED}"
    )
    assert "|" not in text


def test_a_data_table_reads_row_by_row_with_headers():
    html = (
        "<table><thead><tr><th>Your data</th><th>Public tool</th><th>Enterprise tool</th></tr></thead>"
        "<tr><th>Personal data</th><td><strong>No</strong></td><td>DPIA required</td></tr></table>"
    )
    assert html_table_to_text(html).strip() == (
        "Your data: Personal data; Public tool: No; Enterprise tool: DPIA required."
    )


def test_a_bold_first_row_with_an_empty_corner_is_a_header():
    html = (
        "<table><tr><td></td><td><strong>API</strong></td></tr>"
        "<tr><td><strong>Level 3</strong></td><td>Your APIs are published</td></tr></table>"
    )
    assert html_table_to_text(html).strip() == "Level 3; API: Your APIs are published."


def test_single_column_tables_become_paragraphs():
    assert table_text(["Privacy"], [["Issues."], ["Data governance implicates privacy."]]) == (
        "Privacy\n\nIssues.\n\nData governance implicates privacy."
    )


def test_escaped_pipes_stay_in_their_cell_and_rules_go():
    assert split_row("| a \\| b | c |") == ["a | b", "c"]
    assert markdown_tables("Text\n---\n| A | B |\n|:-:|--|\n| 1 | 2 |\nEnd") == (
        "Text\n\nA: 1; B: 2.\n\nEnd"
    )
