"""Train, evaluate and export the sentence ranker (``index.ranker``): ``make train-ranker``.

    python -m training.ranker all        # pairs -> train -> evaluate -> export (fixed seed)
    python -m training.ranker evaluate   # the shipped model beside MiniLM cosine, held-out sets
    python -m training.ranker table      # the figures stored with the shipped model

Trains only on sets whose licence permits a shipped model (squad2 minus the held-out
articles, qnli minus its squad2 overlap, selqa) plus pairs from our corpora's structure
(``training.corpus_pairs``). WikiQA, ConditionalQA and the held-out SQuAD articles are
evaluation only.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from index import ranker as runtime
from training import evaluate_ranker
from training.common import (
    DATASETS,
    REPO_ROOT,
    SEED,
    SHARED,
    base_model_dir,
    export_weights,
    fit,
    read_jsonl,
    set_seed,
    sha256_of,
    split_by_group,
    stable_fraction,
    write_checksum,
)
from training.corpus_pairs import pairs_from_corpora
from training.evaluate_ranker import HELD_OUT_ARTICLES
from training.model_card import write_card

PAIRS = DATASETS / "answerability" / "pairs"
WORK = REPO_ROOT / ".assistant" / "training" / "ranker"
TRAIN_SOURCES = {
    "squad2": "CC BY-SA 4.0",
    "qnli": "CC BY-SA 4.0",
    "selqa": "Apache-2.0",
    "corpus": "our corpora (Open Government Licence / publishers' terms; not shipped)",
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def build_pairs(max_pairs: int, seed: int = SEED) -> list[dict]:
    """The training rows: permitted public sets plus corpus-structure pairs, capped by sampling
    whole questions so that each keeps its positives and negatives together."""
    squad = read_jsonl(PAIRS / "squad2.jsonl", lambda r: r["title"] not in HELD_OUT_ARTICLES)
    for row in squad:
        row["heading"] = row["title"]
    qnli = read_jsonl(PAIRS / "qnli.jsonl", lambda r: not r.get("squad2_overlap"))
    selqa = read_jsonl(PAIRS / "selqa.jsonl")
    corpus = pairs_from_corpora([SHARED / "corpus", SHARED / "corpora"], seed)
    sets = {"squad2": squad, "qnli": qnli, "selqa": selqa, "corpus": corpus}
    share = {"squad2": 0.45, "qnli": 0.1, "selqa": 0.3, "corpus": 0.15}
    rows: list[dict] = []
    for name, found in sets.items():
        groups = sorted(
            {r["group"] for r in found}, key=lambda g: stable_fraction(f"sample:{g}", seed)
        )
        per_group = len(found) / max(1, len(groups))
        keep = set(groups[: max(1, int(share[name] * max_pairs / per_group))])
        taken = [r for r in found if r["group"] in keep]
        log(f"{name}: {len(taken)} of {len(found)} pairs, {len(keep)} questions")
        rows += taken
    return rows


def _loss_fn(model: runtime.CrossEncoder, tokenizer: Any) -> Any:
    def loss_of(batch: list[dict]) -> torch.Tensor:
        texts = [runtime.pair_text(r["sentence"], r.get("heading", "")) for r in batch]
        ids, mask, types = runtime.encode_pairs(tokenizer, [r["question"] for r in batch], texts)
        labels = torch.tensor([float(r["label"]) for r in batch])
        return F.binary_cross_entropy_with_logits(model(ids, mask, types), labels)

    return loss_of


def train(rows: list[dict], args: argparse.Namespace) -> runtime.CrossEncoder:
    set_seed(args.seed)
    torch.set_num_threads(args.threads)
    base = base_model_dir()
    model = runtime.build(base, args.layers)
    for name, param in model.named_parameters():
        param.requires_grad = name not in runtime.FROZEN
    tokenizer = runtime.tokenizer_for(base, args.max_length)
    report = fit(
        model,
        rows,
        _loss_fn(model, tokenizer),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        seed=args.seed,
        log=log,
    )
    log(f"trained {report.steps} steps in {report.seconds:.0f}s, loss {report.final_loss}")
    args.fit = report
    return model


def export(model: runtime.CrossEncoder, args: argparse.Namespace, metrics: dict) -> Path:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items() if k not in runtime.FROZEN}
    weights = export_weights(state, out / runtime.WEIGHTS_NAME, dtype="fp16", compress="gzip")
    write_checksum(weights)
    config = {
        "base_model": runtime.BASE_MODEL,
        "base_weights_sha256": sha256_of(base_model_dir() / "model.safetensors"),
        "layers": args.layers,
        "max_length": args.max_length,
        "int8": metrics.get("use_int8", False),
        "weights": runtime.WEIGHTS_NAME,
        "seed": args.seed,
        "trained_pairs": args.trained_pairs,
        "steps": args.fit.steps,
        "train_seconds": args.fit.seconds,
    }
    (out / runtime.CONFIG_NAME).write_text(json.dumps(config, indent=2) + "\n")
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    write_card(out / "MODEL_CARD.md", config, metrics, args.sources, TRAIN_SOURCES)
    log(f"exported {weights} ({weights.stat().st_size / 1e6:.1f} MB)")
    return weights


def run_all(args: argparse.Namespace) -> int:
    started = time.monotonic()
    rows = build_pairs(args.pairs, args.seed)
    train_rows, dev_rows = split_by_group(rows, 0.05, seed=args.seed)
    WORK.mkdir(parents=True, exist_ok=True)
    with (WORK / "train_pairs.jsonl").open("w", encoding="utf-8") as handle:
        for row in train_rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    args.trained_pairs = len(train_rows)
    args.sources = {
        s: sum(1 for r in train_rows if r["source"].startswith(s)) for s in TRAIN_SOURCES
    }
    random.Random(args.seed).shuffle(train_rows)
    model = train(train_rows, args)
    base = base_model_dir()
    tokenizer = runtime.tokenizer_for(base, args.max_length)
    trained = runtime.SentenceRanker(model, tokenizer, {"batch_size": 64})
    metrics = evaluate_ranker.evaluate_all(trained, args.eval_limit, log, dev_rows=dev_rows)
    metrics["train_minutes"] = round((time.monotonic() - started) / 60, 1)
    export(model, args, metrics)
    print(evaluate_ranker.table(metrics))
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    ranker = runtime.SentenceRanker.load(Path(args.out))
    metrics = evaluate_ranker.evaluate_all(ranker, args.eval_limit, log, speed_check=False)
    print(evaluate_ranker.table(metrics))
    return 0


def run_floor(args: argparse.Namespace) -> int:
    """The answerability floor from held-out training data (SQuAD held-out articles): at most
    ``--max-false`` of answerable questions below it. Prints probabilities, not logits."""
    ranker = runtime.SentenceRanker.load(Path(args.out))
    groups = evaluate_ranker.eval_sets(args.eval_limit)["squad2 held-out articles"]

    def probability(question: str, texts: list[str]) -> np.ndarray:
        return ranker.score(question, texts)

    for max_false in (0.01, 0.03, 0.05, 0.1):
        print(json.dumps(evaluate_ranker.refusal_floor(groups, probability, max_false)))
    return 0


def run_table(args: argparse.Namespace) -> int:
    path = Path(args.out) / "metrics.json"
    if not path.exists():
        print(f"no figures at {path}: run make train-ranker", file=sys.stderr)
        return 1
    print(evaluate_ranker.table(json.loads(path.read_text())))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.ranker", description=__doc__.split("\n")[0]
    )
    parser.add_argument("command", choices=["all", "evaluate", "table", "floor"])
    parser.add_argument(
        "--out", default=str(runtime.MODEL_DIR), help="model folder (default: shipped)"
    )
    parser.add_argument("--pairs", type=int, default=10000, help="training pairs to sample")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=80)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=8e-5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--eval-limit", type=int, default=300, help="questions per eval set (0: all)"
    )
    args = parser.parse_args(argv)
    np.random.seed(args.seed)
    return {"all": run_all, "evaluate": run_evaluate, "table": run_table, "floor": run_floor}[
        args.command
    ](args)


if __name__ == "__main__":
    raise SystemExit(main())
