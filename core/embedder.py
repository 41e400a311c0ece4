"""The embedder role: what every layer needs from an embedding model.

llama-index's ``BaseEmbedding`` (the shipped ``MeanPooledEmbedding``, ``HuggingFaceEmbedding``)
has these methods already; the tests' bag-of-words embedder and the evals' memo have them too.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Embedder(Protocol):
    def get_query_embedding(self, query: str) -> list[float]:
        """A question's vector (some models embed questions differently from passages)."""
        ...

    def get_text_embedding_batch(self, texts: list[str], **kwargs: Any) -> list[list[float]]:
        """Passages' vectors, in the order given."""
        ...
