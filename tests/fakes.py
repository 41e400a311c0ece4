"""Fast stand-ins for unit tests: a bag-of-words embedder (no model) and documents to commit.

The in-memory store itself ships with the product (``index.store.InMemoryStore``).
"""

from __future__ import annotations

import hashlib

import numpy as np

from core.text import content_terms
from core.types import DocumentMeta
from index.store import ChunkRow, DocumentRecord, DocumentStore, chunk_id_for

DIMENSIONS = 256


class HashingEmbedder:
    """Texts sharing stemmed words get similar vectors: enough to test fusion and filters."""

    def _vector(self, text: str) -> list[float]:
        vector = np.zeros(DIMENSIONS, dtype=np.float32)
        for term in content_terms(text):
            vector[int(hashlib.md5(term.encode()).hexdigest(), 16) % DIMENSIONS] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm else vector).tolist()

    def get_query_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    def get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)

    def get_text_embedding_batch(self, texts: list[str], **_: object) -> list[list[float]]:
        return [self._vector(t) for t in texts]


def commit(
    store: DocumentStore,
    document_id: str,
    chunks: list[str],
    embedder: HashingEmbedder | None = None,
    version: str = "1",
    outlines: tuple[tuple[str, str], ...] = (),
    sections: tuple[str, ...] = (),
    **meta: object,
) -> DocumentRecord:
    """Commit a document whose chunks are ``chunks`` (a new ``version`` replaces the old),
    with ``sections`` their section paths, then one outline chunk per (section, text) of
    ``outlines``, as chunking adds them."""
    embedder = embedder or HashingEmbedder()
    doc_meta = DocumentMeta(document_id=document_id, path=document_id, **meta)  # type: ignore[arg-type]
    doc_hash = hashlib.sha256(f"{document_id}|{version}|{chunks}|{outlines}".encode()).hexdigest()
    pieces = [(s, t, "text") for s, t in zip(sections or [""] * len(chunks), chunks)]
    pieces += [(s, t, "outline") for s, t in outlines]
    rows = [
        ChunkRow(
            chunk_id_for(document_id, doc_hash, i),
            text,
            embedder.get_text_embedding(text),
            section,
            None,
            i,
            kind,  # type: ignore[arg-type]
        )
        for i, (section, text, kind) in enumerate(pieces)
    ]
    outline_ids = tuple(r.chunk_id for r in rows if r.kind == "outline")
    record = DocumentRecord(
        doc_meta,
        doc_hash,
        "/corpus",
        len(rows),
        "2026-01-01T00:00:00+00:00",
        outline_chunks=outline_ids,
    )
    store.commit_document(record, rows)
    return record
