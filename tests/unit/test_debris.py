"""Debris: what cleaning removes from every document, and what the eval counts if it is left."""

from __future__ import annotations

import time

import pytest

from index.cleaning import clean_markdown
from index.debris import debris_in, lower_case_fragment, remove_debris

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        (":bulb: Use a key vault. :woman_judge: Ask legal.", "Use a key vault. Ask legal."),
        ("If you\\'re new, you won\\'t need it.", "If you're new, you won't need it."),
        ("See the *Privacy Guide* for more.", "See the Privacy Guide for more."),
        ("Working towards better implementation*", "Working towards better implementation"),
        ("Here \uf067 is a constant.", "Here γ is a constant."),
        ("A private glyph \ue000 here.", "A private glyph here."),
        ("* first item\n+ second item", "- first item\n- second item"),
        (
            "It depends on factors:- What is the use case? - Cost.",
            "It depends on factors:\n- What is the use case?\n- Cost.",
        ),
        ("Recent[when?] activity in ITS.", "Recent activity in ITS."),
        ("It is implemented. an earlier discussion.", "It is implemented. An earlier discussion."),
        ("Shared by MK:Smart and 7*7 grids.", "Shared by MK:Smart and 7*7 grids."),
        ("Use it, e.g. the portal, etc. and more.", "Use it, e.g. the portal, etc. and more."),
    ],
)
def test_debris_is_removed_and_content_kept(dirty, clean):
    assert remove_debris(dirty) == clean
    assert debris_in(clean) == []


def test_read_more_lines_are_navigation_not_content():
    text = clean_markdown(
        "Use the cloud first.\n\nRead more about the [Cloud First policy.](https://x.gov.uk/a)\n\n"
        "Read how the [Department for Transport uses cloud](https://blog.gov.uk/b).\n\nKeep costs down."
    )
    assert text == "Use the cloud first.\n\nKeep costs down."


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("Use it :warning: now.", "emoji shortcode"),
        ("You won\\'t.", "backslash escape"),
        ("Green | Monday", "table pipe"),
        ("Two ways. - Use a key", "list dash inside a sentence"),
        ("Read more about the policy", "navigation line"),
        ("the report*", "stray star"),
        ("a \ue001 glyph", "private-use glyph"),
        ("by patching) promptly. More text.", "lower-case fragment"),
        ("It works. an earlier idea.", "lower-case fragment"),
    ],
)
def test_each_kind_of_debris_is_reported(text, kind):
    assert kind in debris_in(text)


def test_a_continuation_line_inside_a_paragraph_is_not_a_fragment():
    assert lower_case_fragment("A sentence that wraps\nonto the next line.") is None
    assert lower_case_fragment('{ "person": {\n  "married": false } }') is None


def test_patterns_do_not_backtrack_on_hostile_text():
    hostile = (
        ("*" * 50_000) + (":a" * 50_000) + ("\\" * 50_000) + ("x. " * 30_000) + ("| " * 30_000)
    )
    started = time.perf_counter()
    remove_debris(hostile)
    debris_in(hostile)
    assert time.perf_counter() - started < 5  # linear: well under a second normally
