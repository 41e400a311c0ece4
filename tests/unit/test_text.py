import pytest

from core.text import content_terms, split_sentences, strip_citations

pytestmark = pytest.mark.unit


def test_sentences_keep_their_citations_and_abbreviations():
    text = "Hello world. [1] This is e.g. a test [2]. Another one! [2][3] Done? Yes."
    assert split_sentences(text) == [
        "Hello world. [1]",
        "This is e.g. a test [2].",
        "Another one! [2][3]",
        "Done?",
        "Yes.",
    ]


def test_list_items_and_table_rows_are_their_own_units():
    text = "Steps:\n- plan the work\n- buy the kit\n\nA | B | C\nD | E | F"
    assert split_sentences(text) == [
        "Steps:",
        "- plan the work",
        "- buy the kit",
        "A | B | C",
        "D | E | F",
    ]


def test_content_terms_drop_stopwords_and_stem():
    assert content_terms("What does the techUK report say about procurement?") == [
        "techuk",
        "report",
        "procur",
    ]


def test_strip_citations():
    assert strip_citations("A claim [1][12] here [3].") == "A claim here ."


def test_a_numbered_heading_is_not_split_at_its_number():
    from core.text import split_sentences

    assert split_sentences("- 1. Understand users [1]\n- 2. Solve a whole problem [1]") == [
        "- 1. Understand users [1]",
        "- 2. Solve a whole problem [1]",
    ]
