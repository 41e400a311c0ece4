"""Refusal signals that mean the same on any corpus."""

from __future__ import annotations

import pytest

from assistant.answer_type import missing_fact
from assistant.refusal import (
    OFF_TOPIC_PROBES,
    CalibrationCache,
    calibrate,
    declines_only,
    heading_probes,
    missing_constraints,
    question_constraints,
)
from core.settings import RefusalSettings
from core.types import Citation, DocumentMeta

pytestmark = pytest.mark.unit


def cited(
    text: str,
    title: str = "Intelligent transportation system",
    section: str = "",
    publisher: str = "",
) -> Citation:
    doc = DocumentMeta("its.md", title=title, publisher=publisher, year=2019)
    return Citation("its.md::x::00001", doc, text, section, n=1)


def test_constraints_are_names_and_numbers_not_sentence_openings():
    assert question_constraints("What's the weather forecast for Manchester this weekend?") == [
        "Manchester"
    ]
    assert question_constraints("In the DSA's maturity model, what does level 3 look like?") == [
        "DSA's",
        "3",
    ]
    assert question_constraints("So what does it say? Is it GDS?") == ["GDS"]


def test_a_name_in_the_passage_but_not_in_the_cited_sentence_is_missing():
    passage = (
        "Manchester runs a smart city pilot.\n\nAir quality forecasts use weather data and sensors."
    )
    answer = "Air quality forecasts use weather data and sensors [1]."
    assert (
        missing_constraints(
            "What is the weather forecast for Manchester?", answer, [cited(passage)]
        )
        == []
    )  # next sentence
    far = "Manchester runs a smart city pilot.\n\nIt has parks.\n\nAir quality forecasts use weather data and sensors."
    assert missing_constraints(
        "What is the weather forecast for Manchester?", answer, [cited(far)]
    ) == ["Manchester"]


def test_the_source_named_by_initials_title_or_section_is_not_a_missing_fact():
    answer = "Teams should publish code in the open [1]."
    citation = cited(
        "Teams should publish code in the open.",
        "Service Standard",
        "12. Make new source code open",
        "Government Digital Service",
    )
    assert (
        missing_constraints("Does GDS expect point 12 code to be open?", answer, [citation]) == []
    )
    assert missing_constraints(
        "Does the Service Standard say so for 2031?", answer, [citation]
    ) == ["2031"]


def test_places_and_acronyms_stated_another_way():
    answer = "One example is on Britain's M25 motorway [1]. Buying artificial intelligence needs care [1]."
    citation = cited(answer.replace(" [1]", ""))
    assert (
        missing_constraints("Where in the UK are AI speed limits used?", answer, [citation]) == []
    )


def test_a_count_must_name_what_is_counted_and_a_title_question_needs_a_name():
    assert (
        missing_fact(
            "How many UPRNs are in our gazetteer?",
            "UPRN means X [1]. It covers 33 million addresses [1].",
        )
        == "a count of UPRNs"
    )
    assert (
        missing_fact(
            "How many outcomes does the CAF produce?", "The CAF gives 41 contributing outcomes [1]."
        )
        is None
    )
    assert (
        missing_fact(
            "What was the title of the other report?", "techUK published a separate report [1]."
        )
        == "the name or title asked for"
    )
    assert (
        missing_fact(
            "What was the title of the other report?",
            "It was called ‘Local Public Services Innovation’ [1].",
        )
        is None
    )


def test_a_model_declining_in_its_own_words_is_a_refusal():
    assert declines_only("I don't know.")
    assert declines_only(
        "The passages do not mention the budget [1]. This is not stated in the documents."
    )
    assert not declines_only(
        "The passages do not say who; the CAF has 4 objectives [1]. It lists 14 principles [1]."
    )


def test_the_threshold_sits_between_off_topic_and_on_topic_scores_of_this_collection():
    cfg = RefusalSettings(calibrated_share=0.25)
    headings = [f"Guide > Section about topic {w} and more" for w in "abcdefghijklmnopqrstuv"]

    def score_of(question: str) -> tuple[float, float]:
        return (0.2, 0.1) if question in OFF_TOPIC_PROBES else (0.8, 0.6)

    calibration = calibrate(score_of, headings, cfg)
    assert calibration.floor == pytest.approx(0.2) and calibration.typical == pytest.approx(0.8)
    assert calibration.threshold == pytest.approx(
        0.35
    ) and calibration.dense_floor == pytest.approx(0.1)
    low = calibrate(lambda q: (0.1, 0.1) if q in OFF_TOPIC_PROBES else (0.5, 0.5), headings, cfg)
    assert low.threshold == pytest.approx(0.2)  # a corpus whose scores run lower gets a lower bar


def test_heading_probes_are_stable_and_skip_headings_too_short_to_ask_about():
    headings = ["Doc > Backups and restores", "Doc > A", "Doc > Backups and restores"]
    assert heading_probes(headings, 5) == ["What does the guidance say about Backups and restores?"]


def test_calibrations_are_cached_per_key():
    cache, calls = CalibrationCache(), []

    def compute():
        calls.append(1)
        return calibrate(lambda q: (0.3, 0.3), [], RefusalSettings())

    cache.get(("store", 1), compute)
    cache.get(("store", 1), compute)
    cache.get(("store", 2), compute)
    assert len(calls) == 2


def test_a_count_of_points_is_stated_by_an_outline_of_numbered_sections():
    outline = (
        "The headings of Service Standard list 14 numbered sections [1]:\n- 1. Understand users [1]"
    )
    assert missing_fact("How many points are in the Service Standard?", outline) is None


def test_references_into_the_document_and_citation_markers_are_not_constraints():
    assert question_constraints("What does Figure 3 show about the CNN?") == ["3", "CNN"]
    assert question_constraints("Which topics are covered in Section 8?") == ["8"]
    assert question_constraints("How do ReLUs help, as discussed in [58]?") == ["ReLUs"]
    assert question_constraints("What does the Table say?") == ["Table"]  # no number: a name


def test_an_acronym_the_question_spells_out_may_be_stated_either_way():
    question = "How does the Gated Recurrent Unit (GRU) differ from Long Short-Term Memory (LSTM)?"
    answer = "The GRU has fewer gates than the LSTM [1]."
    assert missing_constraints(question, answer, [cited(answer.replace(" [1]", ""))]) == []
    spelled = "A gated recurrent unit is simpler than long short-term memory [1]."
    assert missing_constraints(question, spelled, [cited(spelled.replace(" [1]", ""))]) == []
    other = "Transformers replaced both [1]."
    assert missing_constraints(question, other, [cited(other.replace(" [1]", ""))]) == [
        "Gated",
        "Recurrent",
        "Unit",
        "GRU",
        "Long",
        "Short-Term",
        "Memory",
        "LSTM",
    ]


def test_a_plural_acronym_and_one_named_by_the_section_heading_are_stated():
    answer = "Sub-sampling layers reduce the resolution of feature maps [1]."
    citation = cited(
        answer.replace(" [1]", ""), section="Convolutional Neural Network > Sub-sampling"
    )
    assert missing_constraints("What do sub-sampling layers do in CNNs?", answer, [citation]) == []
    assert missing_constraints("What do sub-sampling layers do in RNNs?", answer, [citation]) == [
        "RNNs"
    ]
