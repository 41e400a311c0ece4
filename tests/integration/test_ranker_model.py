"""The shipped sentence ranker: weights load offline, match their checksum, and rank an answer
sentence above sentences that only share its topic; export and load round-trip."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from index import ranker as runtime
from training.common import (
    base_model_dir,
    export_weights,
    sha256_of,
    verify_checksum,
    write_checksum,
)

pytestmark = pytest.mark.integration

CASES = [
    (
        "In what year did the Normans conquer England?",
        [
            "The Normans were famed for their martial spirit and their Christian piety.",
            "In 1066 the Normans, led by William the Conqueror, invaded and conquered England.",
            "Norman architecture stands out as a new stage in the history of English architecture.",
        ],
        1,
    ),
    (
        "What does UPRN stand for?",
        [
            "Councils hold many lists of addresses, and keeping them in step is hard.",
            "Every addressable location in Great Britain has a UPRN, which never changes.",
            "UPRN stands for Unique Property Reference Number.",
        ],
        2,
    ),
]


@pytest.fixture(scope="module")
def shipped() -> runtime.SentenceRanker:
    return runtime.SentenceRanker.load()


def test_shipped_weights_match_their_checksum_and_base() -> None:
    config = json.loads((runtime.MODEL_DIR / runtime.CONFIG_NAME).read_text())
    weights = runtime.MODEL_DIR / config["weights"]
    assert verify_checksum(weights)
    assert weights.stat().st_size < 50e6
    assert config["base_weights_sha256"] == sha256_of(base_model_dir() / "model.safetensors")
    assert (runtime.MODEL_DIR / "MODEL_CARD.md").exists()


@pytest.mark.parametrize(("question", "sentences", "answer"), CASES)
def test_answer_sentence_ranked_first(
    shipped: runtime.SentenceRanker, question: str, sentences: list[str], answer: int
) -> None:
    scores = shipped.score(question, sentences)
    assert int(np.argmax(scores)) == answer
    assert ((scores >= 0) & (scores <= 1)).all()


def test_scores_are_cached_and_stable(shipped: runtime.SentenceRanker) -> None:
    question, sentences, _ = CASES[0]
    first = shipped.score(question, sentences)
    again = shipped.score(question, list(reversed(sentences)))
    assert np.allclose(first, again[::-1], atol=1e-6)


def test_export_then_load_round_trip(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = runtime.build(base_model_dir(), layers=1).eval()
    state = {k: v for k, v in model.state_dict().items() if k not in runtime.FROZEN}
    weights = export_weights(state, tmp_path / runtime.WEIGHTS_NAME)
    write_checksum(weights)
    config = {"layers": 1, "max_length": 64, "weights": runtime.WEIGHTS_NAME, "int8": False}
    (tmp_path / runtime.CONFIG_NAME).write_text(json.dumps(config))
    loaded = runtime.SentenceRanker.load(tmp_path)
    direct = runtime.SentenceRanker(model, runtime.tokenizer_for(base_model_dir(), 64), config)
    question, sentences, _ = CASES[1]
    assert np.allclose(
        loaded.logits(question, sentences), direct.logits(question, sentences), atol=0.05
    )
    assert verify_checksum(weights)
    data = weights.read_bytes()
    weights.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))
    assert not verify_checksum(weights)


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    from core.errors import ConfigError

    with pytest.raises(ConfigError, match="make train-ranker"):
        runtime.SentenceRanker.load(tmp_path)
    assert runtime.shipped_ranker(tmp_path) is None


def test_topic_without_the_fact_is_refused_in_plain_words(corpus_settings, embedder) -> None:
    """The answerability refusal, switched on (it ships off until a better-trained model earns
    it, README): the documents cover the topic, no sentence states the budget."""
    from assistant.pipeline import Assistant

    settings = corpus_settings.model_copy(deep=True)
    settings.answer.refusal.answerability = True
    answer = Assistant(settings, embedder=embedder).ask(
        "What is the budget for our smart city programme?"
    )
    assert answer.refused
    assert "score" not in answer.answer and "<" not in answer.answer
    assert "score" not in (answer.refusal_reason or "")
