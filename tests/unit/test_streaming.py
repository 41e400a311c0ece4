"""What a streamed answer shows: checked sentences joined exactly as the final answer, none
before the answer is known to stand; and the small renderings issue 18 asked for."""

from __future__ import annotations

from assistant.citations import join_sentences
from assistant.render import markdown_escape, passage_label
from assistant.streaming import ShownAnswer, sentence_pieces
from core.types import Citation, DocumentMeta
from ui.render import PENDING_MARK, partial_markdown, pending_markdown, without_interrupted

PARTS = [
    "The principles are [1]:",
    "- know your architecture [1]",
    "- know your users [2]",
    "Then check each request [2].",
]


def test_shown_deltas_join_to_the_final_answer_text() -> None:
    shown = ShownAnswer(lambda: True)
    deltas = [d for part in PARTS for d in shown.offer([part])]
    assert "".join(deltas) == shown.text == join_sentences(PARTS)
    assert deltas[1] == "\n- know your architecture [1]" and deltas[3].startswith("\n\nThen")


def test_sentences_wait_until_the_answer_stands_and_never_show_for_a_refusal() -> None:
    stands = {"now": False}
    shown = ShownAnswer(lambda: stands["now"])
    assert list(shown.offer(PARTS[:1])) == []  # held: the answer so far would be refused
    stands["now"] = True
    assert "".join(shown.offer(PARTS[1:2])) == join_sentences(PARTS[:2])  # both go out together
    assert list(shown.finish(PARTS[2:], stands=True))[-1].endswith("request [2].")

    refused = ShownAnswer(lambda: False)
    assert list(refused.offer(PARTS)) == [] and list(refused.finish([], stands=False)) == []
    assert refused.text == ""


def test_sentence_pieces_join_back_to_the_text() -> None:
    text = "First sentence here [1]. Second one [2]:\n- an item [2]\n- another [3]\n\nLast [1]."
    pieces = list(sentence_pieces(text))
    assert "".join(pieces) == text and len(pieces) >= 4


def test_markdown_export_keeps_a_citation_before_a_colon() -> None:
    assert markdown_escape("The steps are [3]:\n- one [3]") == "The steps are [3]:\n- one [3]"
    assert (
        markdown_escape("[3]: https://evil.example") == "\\[3\\]: https://evil.example"
    )  # no link definition
    assert markdown_escape("see [x](javascript:alert(1))").startswith("see \\[x\\]")


def test_a_passage_without_section_or_page_is_named_by_its_opening_words() -> None:
    doc = DocumentMeta("news.md", title="News")
    bare = Citation(
        n=2,
        chunk_id="c",
        doc=doc,
        text="# Smart cities need **good data** and clear rules to work.",
    )
    assert (
        passage_label(bare)
        == "[2] passage beginning “Smart cities need good data and clear rules…”"
    )
    placed = Citation(n=1, chunk_id="c", doc=doc, text="text", section="Budgets", page=4)
    assert passage_label(placed) == "[1] Budgets, page 4"


def test_a_retry_drops_the_answer_the_server_never_finished() -> None:
    done = [{"role": "user", "content": "q1"}, {"role": "assistant", "content": "answer [1]"}]
    assert (
        without_interrupted(
            [
                *done,
                {"role": "user", "content": "q2"},
                {"role": "assistant", "content": pending_markdown()},
            ]
        )
        == done
    )
    parts = [{"type": "text", "text": partial_markdown("Half an answer [1].")}]
    assert (
        without_interrupted(
            [*done, {"role": "user", "content": "q2"}, {"role": "assistant", "content": parts}]
        )
        == done
    )
    assert without_interrupted(done) == done and PENDING_MARK not in done[1]["content"]


def test_a_refusal_names_each_closest_document_with_its_publisher() -> None:
    from core.types import Answer
    from ui.render import answer_markdown

    doc = DocumentMeta(
        "uploads/permits.docx",
        title="Parking permits",
        publisher="Example Borough Council",
        year=2024,
    )
    source = Citation(n=1, chunk_id="c", doc=doc, text="Permits cost £40 a year.")
    refused = Answer(
        "q",
        "The documents don't answer this.",
        True,
        "weak evidence",
        (),
        (source,),
        closest_documents=(doc.document_id,),
    )
    assert "- Parking permits (2024) · Example Borough Council" in answer_markdown(refused)
