"""The trained sentence classifier (injection / phishing / benign) used at ingest.

A softmax head on the shipped MiniLM sentence embeddings of the *folded* sentence (look-alike
letters mapped, invisible characters dropped: index/contact.py), plus a few structural
features that do not depend on wording (disguise, contact points, script mix). Length is
left out on purpose: the benign training text is short service UI, so length alone would
separate it from long injected prose and flag every long sentence of a real report. The
weights are trained by ``make train-detector`` (training/detector.py), committed compressed
in ``index/models/detector.npz`` beside its sha256 and MODEL_CARD.md, and loaded offline;
a checksum mismatch is an error, never a silent fallback.

Two thresholds come with the weights, both chosen on a validation part of the training
groups: ``with_contact``, used at ingest together with a structural signal (the sentence hands
the reader a contact point its publisher does not own, or is disguised), and ``strict``, the
score alone, reported but not used to withhold (see MODEL_CARD.md).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from core.errors import ConfigError
from index.contact import contact_points, disguised, domain_owned, fold

MODEL_PATH = Path(__file__).resolve().parent / "models" / "detector.npz"
CLASSES = ("benign", "injection", "phishing")
PUBLIC_SUFFIXES = (
    "gov.uk",
    "nhs.uk",
    "nhs.net",
    "police.uk",
    "parliament.uk",
    "ac.uk",
    "gov.scot",
    "gov.wales",
)
STRUCTURAL = (
    "disguised",
    "has_contact",
    "unowned_contact",
    "has_phone_or_ip",
    "has_account",
    "non_ascii_letters",
    "has_digits",
)
EMBED_MAX_TOKENS = 64


def structural_features(text: str) -> list[float]:
    """Wording-free signals of one sentence (the order of ``STRUCTURAL``)."""
    folded = fold(text)
    points = contact_points(folded)
    letters = [c for c in folded if c.isalpha()]
    non_ascii = sum(not c.isascii() for c in letters) / max(1, len(letters))
    unowned = any(
        p.kind in ("ip", "phone", "account") or not domain_owned(p.domain, "", PUBLIC_SUFFIXES)
        for p in points
    )
    return [
        float(disguised(text)),
        float(bool(points)),
        float(unowned),
        float(any(p.kind in ("phone", "ip") for p in points)),
        float(any(p.kind == "account" for p in points)),
        non_ascii,
        float(any(c.isdigit() for c in folded)),
    ]


@dataclass(frozen=True)
class SentenceDetector:
    weights: np.ndarray  # (features, classes)
    bias: np.ndarray  # (classes,)
    mean: np.ndarray  # feature standardisation
    scale: np.ndarray
    strict: float
    with_contact: float

    def features(self, sentences: list[str], embedder: Any) -> np.ndarray:
        vectors = _embedded([fold(s) for s in sentences], embedder)
        structure = np.asarray([structural_features(s) for s in sentences], dtype=np.float32)
        return np.hstack([vectors.reshape(len(sentences), -1), structure])

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        logits = ((features - self.mean) / self.scale) @ self.weights + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def scores(self, sentences: list[str], embedder: Any) -> list[float]:
        """P(injection or phishing) for each sentence."""
        if not sentences:
            return []
        probabilities = self.probabilities(self.features(sentences, embedder))
        return [float(1.0 - p) for p in probabilities[:, 0]]


_VECTORS: dict[tuple[int, str], np.ndarray] = {}  # (embedder, folded sentence) -> vector
_VECTORS_MAX = 50_000  # ~75 MB; a re-ingest of the same documents embeds nothing twice


def _embedded(texts: list[str], embedder: Any) -> np.ndarray:
    from index.embedding import embed_for_scoring

    missing = list(dict.fromkeys(t for t in texts if (id(embedder), t) not in _VECTORS))
    if missing:
        if len(_VECTORS) + len(missing) > _VECTORS_MAX:
            _VECTORS.clear()
            missing = list(dict.fromkeys(texts))
        for text, vector in zip(missing, embed_for_scoring(embedder, missing, EMBED_MAX_TOKENS)):
            _VECTORS[(id(embedder), text)] = np.asarray(vector, dtype=np.float32)
    return (
        np.vstack([_VECTORS[(id(embedder), t)] for t in texts])
        if texts
        else np.zeros((0, 0), np.float32)
    )


def save_detector(detector: SentenceDetector, path: Path, extra: dict[str, Any]) -> str:
    """Write the weights compressed with their sha256 beside them; returns the sha256."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {k: np.asarray(v) for k, v in extra.items()}
    arrays.update(
        weights=detector.weights.astype(np.float32),
        bias=detector.bias.astype(np.float32),
        mean=detector.mean.astype(np.float32),
        scale=detector.scale.astype(np.float32),
        thresholds=np.asarray([detector.strict, detector.with_contact], dtype=np.float64),
    )
    np.savez_compressed(path, **arrays)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_suffix(".npz.sha256").write_text(f"{digest}  {path.name}\n")
    return digest


@lru_cache(maxsize=2)
def load_detector(path: Path = MODEL_PATH) -> SentenceDetector:
    """The committed detector, checked against its sha256 (offline; no download)."""
    checksum = path.with_suffix(".npz.sha256")
    try:
        data = path.read_bytes()
        expected = checksum.read_text().split()[0]
    except (OSError, IndexError) as error:
        raise ConfigError(
            f"poison detector weights missing ({path}): run make train-detector"
        ) from error
    if hashlib.sha256(data).hexdigest() != expected:
        raise ConfigError(f"poison detector weights {path} do not match {checksum.name}")
    with np.load(path) as arrays:
        thresholds = arrays["thresholds"]
        return SentenceDetector(
            weights=arrays["weights"],
            bias=arrays["bias"],
            mean=arrays["mean"],
            scale=arrays["scale"],
            strict=float(thresholds[0]),
            with_contact=float(thresholds[1]),
        )
