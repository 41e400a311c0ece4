import pytest

from assistant.citations import CitationChecker
from core.types import DocumentMeta, Passage

pytestmark = pytest.mark.unit

PASSAGES = [
    Passage(
        "c1",
        DocumentMeta("a.md", title="Zero trust principles"),
        "Zero trust removes inherent trust in the network. Every request is verified against an access policy.",
    ),
    Passage(
        "c2",
        DocumentMeta("b.md", title="Service Standard"),
        "The Service Standard has 14 points that help teams run great public services.",
    ),
]


def test_supported_sentences_are_kept_and_renumbered_in_order_of_use():
    checked = CitationChecker().check(
        "The Service Standard has 14 points [2]. Zero trust removes inherent trust in the network [1].",
        PASSAGES,
    )
    assert checked.removed_sentences == 0
    assert checked.text == (
        "The Service Standard has 14 points [1]. Zero trust removes inherent trust in the network [2]."
    )
    assert [c.doc.document_id for c in checked.citations] == ["b.md", "a.md"]
    assert [c.n for c in checked.citations] == [1, 2]


def test_invented_citation_numbers_never_reach_the_user():
    checked = CitationChecker().check(
        "Every request is verified against an access policy [7].", PASSAGES
    )
    # [7] names no passage: the sentence is re-cited to the passage that supports it.
    assert "[7]" not in checked.text
    assert checked.citations[0].doc.document_id == "a.md"
    assert checked.recited_sentences == 1


def test_unsupported_sentences_are_removed_and_counted():
    checked = CitationChecker().check(
        "Zero trust removes inherent trust in the network [1]. The city has 1.5 million people [1].",
        PASSAGES,
    )
    assert checked.removed_sentences == 1
    assert "1.5 million" not in checked.text
    assert checked.kept_sentences == 1


def test_a_number_missing_from_the_passage_is_not_supported():
    checker = CitationChecker()
    assert checker.lexical_support("The Service Standard has 14 points", PASSAGES[1]) == 1.0
    assert checker.lexical_support("The Service Standard has 15 points", PASSAGES[1]) == 0.0


def test_uncited_sentences_are_removed():
    checked = CitationChecker().check("I think the answer is obvious.", PASSAGES)
    assert checked.kept_sentences == 0
    assert checked.removed_sentences == 1


def test_semantic_support_needs_an_embedder(embedder):
    checker = CitationChecker(embedder)
    paraphrase = "Requests are always checked against a policy, since the network is not trusted"
    assert checker.lexical_support(paraphrase, PASSAGES[0]) < 0.8
    assert checker.supports(paraphrase, PASSAGES[0])
    assert not checker.supports(paraphrase, PASSAGES[1])
