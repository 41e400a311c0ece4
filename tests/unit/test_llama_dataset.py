"""LlamaIndex's dataset formats round-trip through evals/dataset.py, checked against the real
classes in ``llama_index.core.llama_dataset`` (llama-index-core is pinned to a release that
still ships them), not against our reading of their JSON."""

from __future__ import annotations

from pathlib import Path

import pytest
from llama_index.core.llama_dataset import (
    CreatedBy,
    CreatedByType,
    LabelledRagDataExample,
    LabelledRagDataset,
    RagPredictionDataset,
)

from evals.dataset import load_dataset, write_predictions

pytestmark = pytest.mark.unit

ALEXNET = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "corpora"
    / "history-of-alexnet"
    / "rag_dataset.json"
)


def labelled(
    query: str, answer: str, contexts: list[str], by: CreatedByType
) -> LabelledRagDataExample:
    return LabelledRagDataExample(
        query=query,
        query_by=CreatedBy(type=by, model_name="gpt-4" if by == CreatedByType.AI else ""),
        reference_answer=answer,
        reference_answer_by=CreatedBy(type=CreatedByType.HUMAN),
        reference_contexts=contexts,
    )


def test_a_labelled_rag_dataset_saved_by_llama_index_loads_as_eval_items(tmp_path) -> None:
    examples = [
        labelled(
            "When are grey bins collected?",
            "Every Tuesday.",
            ["Grey bins are collected every Tuesday."],
            CreatedByType.HUMAN,
        ),
        labelled(
            "What does a permit cost?",
            "£40 a year.",
            ["A permit costs £40 a year.", "Renew in April."],
            CreatedByType.AI,
        ),
    ]
    path = tmp_path / "rag_dataset.json"
    LabelledRagDataset(examples=examples).save_json(str(path))

    dataset = load_dataset(path, None, tmp_path / "elsewhere")
    assert dataset.kind == "rag" and dataset.corpus == tmp_path
    assert [i.question for i in dataset.items] == [e.query for e in examples]
    assert [i.reference_answer for i in dataset.items] == [e.reference_answer for e in examples]
    assert [list(i.reference_contexts) for i in dataset.items] == [
        e.reference_contexts for e in examples
    ]
    assert all(i.type == "answerable" for i in dataset.items)


def test_predictions_we_write_load_in_llama_index(tmp_path) -> None:
    predictions = [
        ("Every Tuesday [1].", ["Grey bins are collected every Tuesday."]),
        ("The documents don't answer this.", []),
    ]
    path = tmp_path / "predictions.json"
    write_predictions(path, predictions)
    loaded = RagPredictionDataset.from_json(str(path))
    assert [(p.response, list(p.contexts or [])) for p in loaded.predictions] == predictions


def test_the_shared_alexnet_dataset_reads_the_same_both_ways() -> None:
    if not ALEXNET.is_file():
        pytest.fail(f"{ALEXNET} is missing (../shared must sit beside the repo)")
    theirs = LabelledRagDataset.from_json(str(ALEXNET))
    ours = load_dataset(ALEXNET, None, ALEXNET.parent)
    assert len(ours.items) == len(theirs.examples) > 100
    assert [i.question for i in ours.items] == [e.query for e in theirs.examples]
    assert [list(i.reference_contexts) for i in ours.items] == [
        list(e.reference_contexts or []) for e in theirs.examples
    ]
