import pytest

from assistant.answer_type import missing_fact

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "question, answer, missing",
    [
        ("When is the next meeting of the working group?", "The group meets councils.", "a date"),
        ("When is the next meeting of the working group?", "It meets in March 2023.", None),
        (
            "When is it acceptable to use private cloud?",
            "When public cloud is not value for money.",
            None,
        ),
        ("How many points does the standard have?", "It has 14 points.", None),
        ("How many points does the standard have?", "Points help teams.", "an amount"),
        ("How much money did the council put into it?", "It has 14 partners.", "a sum of money"),
        ("How much money did the council put into it?", "It invested £2 million.", None),
        ("How much does the permit cost?", "A permit costs forty pounds a year.", None),
        (
            "What's his direct phone number?",
            "He chairs the working group.",
            "the contact details asked for",
        ),
        ("What is zero trust?", "An approach to design.", None),
    ],
)
def test_missing_fact(question, answer, missing):
    assert missing_fact(question, answer) == missing
