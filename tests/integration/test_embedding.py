"""The fast embedder (tokenizers + plain-torch BERT) must give sentence-transformers' vectors."""

from __future__ import annotations

import numpy as np
import pytest

from core.settings import Settings
from index.embedding import MeanPooledEmbedding, load_embedder, resolve_model_dir

pytestmark = pytest.mark.integration

TEXTS = [
    "What is zero trust?",
    "title: Service Standard\nsection: Point 5 > Make sure everyone can use the service\n\n"
    "Services must meet accessibility standards, including WCAG 2.2 AA.",
    "Café, £40 permits – naïve façades; 日本語 and emoji 🚲 survive tokenisation.",
    " ".join(f"Councils publish open data set {i} under the licence." for i in range(80)),  # > 256
    "x",
]


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(resolve_model_dir(Settings().embed_model)), device="cpu")


def test_default_model_takes_the_fast_path(embedder) -> None:
    assert isinstance(embedder, MeanPooledEmbedding)
    assert embedder.max_length == 256 and embedder.normalize


def test_fast_path_matches_sentence_transformers(embedder, reference) -> None:
    expected = reference.encode(TEXTS, normalize_embeddings=False, convert_to_numpy=True)
    got = np.asarray(embedder.get_text_embedding_batch(TEXTS), dtype=np.float32)
    assert got.shape == expected.shape == (len(TEXTS), 384)
    assert np.abs(got - expected).max() < 1e-5
    query = np.asarray(embedder.get_query_embedding(TEXTS[0]), dtype=np.float32)
    assert np.abs(query - expected[0]).max() < 1e-5


def test_vectors_do_not_depend_on_batch_composition(embedder) -> None:
    alone = np.asarray(embedder.get_text_embedding(TEXTS[1]), dtype=np.float32)
    small = load_embedder(Settings().embed_model, batch_size=2)
    batched = np.asarray(small.get_text_embedding_batch(TEXTS)[1], dtype=np.float32)
    assert np.abs(alone - batched).max() < 1e-5
    assert abs(float(np.linalg.norm(alone)) - 1.0) < 1e-5
