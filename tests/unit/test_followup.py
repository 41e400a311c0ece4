import pytest

from assistant.followup import standalone_question
from core.types import Turn

pytestmark = pytest.mark.unit
HISTORY = [Turn("What does the techUK report say about stakeholder engagement?", "...")]


@pytest.mark.parametrize(
    "follow_up, expected",
    [
        ("and what about procurement?", "What does the techUK report say about procurement?"),
        ("What about funding", "What does the techUK report say about funding?"),
        ("and financing?", "What does the techUK report say about financing?"),
    ],
)
def test_a_new_topic_replaces_the_previous_one(follow_up, expected):
    assert standalone_question(follow_up, HISTORY) == expected


def test_a_back_reference_carries_the_previous_question():
    rewritten = standalone_question("Who wrote it?", HISTORY)
    assert rewritten.startswith("Who wrote it?")
    assert "techUK report" in rewritten


def test_a_standalone_question_is_left_alone():
    assert standalone_question("What is zero trust?", HISTORY) == "What is zero trust?"
    assert standalone_question("and what about procurement?", []) == "and what about procurement?"
