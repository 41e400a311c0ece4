"""The shape of answer a question wants."""

from __future__ import annotations

import pytest

from assistant.question import shape_of

pytestmark = pytest.mark.unit


def test_list_count_and_item_questions():
    assert shape_of("What are the main risks of procuring smart city technology?").wants_list
    assert not shape_of("Who chairs the working group?").wants_list
    count = shape_of("How many points are in the Service Standard and what is point 1?")
    assert count.wants_count and count.item == ("point", "1") and count.structural
    assert shape_of("What does principle 7 say?").item == ("principle", "7")
    assert shape_of("What are the four objectives of the CAF?").structural
    assert not shape_of("What is a UPRN?").structural
    assert shape_of("Is 10.5 the point 3.2 figure?").item is None
