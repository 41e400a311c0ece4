"""Retrieval baselines run on the same questions: what llama-index gives out of the box.

* ``llamaindex_default``: ``SimpleDirectoryReader`` -> ``VectorStoreIndex.from_documents`` (its
  default ``SentenceSplitter``) -> ``as_retriever()`` (top 2), with OUR embedder passed
  explicitly; no LLM is ever built.
* ``bm25``: llama-index's ``BM25Retriever`` over the same default-split nodes.

``SimpleDirectoryReader`` reads Markdown and text itself; without ``llama-index-readers-file``
it has no PDF/DOCX/HTML reader, so those go through our loaders (one Document per PDF page, as
llama-index's PDFReader does). Node embeddings are cached on disk by text hash so repeated runs
over the same corpus skip re-embedding; the vectors are the embedder's own.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.bridge.pydantic import PrivateAttr
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

from core.embedder import Embedder

NAMES = ("llamaindex_default", "bm25")
OWN_READER_SUFFIXES = (".pdf", ".docx", ".html", ".htm")


@dataclass(frozen=True)
class Hit:
    document_id: str
    text: str
    score: float


class LoaderReader(BaseReader):
    """Our loaders behind llama-index's reader interface, for formats it cannot read alone."""

    def load_data(self, file: Path, extra_info: dict | None = None, **_: Any) -> list[Document]:
        from index.loaders import load_document

        path = Path(file)
        loaded = load_document(path, path.name, path.read_bytes())
        docs = []
        for page in loaded.pages:
            metadata = dict(extra_info or {})
            if page.number is not None:
                metadata["page_label"] = str(page.number)
            docs.append(Document(text=page.text, metadata=metadata))
        return docs


class CachedEmbedding(BaseEmbedding):
    """Wraps the project embedder; text vectors are kept in SQLite keyed by model + text hash."""

    _inner: Any = PrivateAttr()
    _db: Any = PrivateAttr()

    def __init__(self, inner: Embedder, cache_file: Path | None, **kwargs: Any) -> None:
        # Any embedder will do; a llama-index one also names its model (the cache key) and batch.
        super().__init__(
            model_name=getattr(inner, "model_name", type(inner).__name__),
            embed_batch_size=getattr(inner, "embed_batch_size", 64),
            **kwargs,
        )
        self._inner = inner
        self._db = None
        if cache_file is not None:
            cache_file.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(cache_file))
            self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, v BLOB)")

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.model_name}\x00{text}".encode()).hexdigest()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        if self._db is not None:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._db.execute(
                    f"SELECT key, v FROM vectors WHERE key IN ({marks})", chunk
                ):
                    found[key] = np.frombuffer(blob, dtype=np.float32).tolist()
        missing = [i for i, k in enumerate(keys) if k not in found]
        if missing:
            vectors = self._inner.get_text_embedding_batch([texts[i] for i in missing])
            for i, vector in zip(missing, vectors):
                found[keys[i]] = list(vector)
            if self._db is not None:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [
                        (keys[i], np.asarray(found[keys[i]], dtype=np.float32).tobytes())
                        for i in missing
                    ],
                )
                self._db.commit()
        return [found[k] for k in keys]

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._get_text_embeddings([text])[0]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.get_query_embedding(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


class Baselines:
    """Build both baselines once per run, then query them question by question."""

    def __init__(
        self,
        corpus: Path,
        document_ids: list[str],
        embedder: Embedder,
        top_k: int = 2,
        cache_file: Path | None = None,
    ) -> None:
        self.corpus = corpus
        self.document_ids = sorted(document_ids)
        self.embedder = CachedEmbedding(embedder, cache_file)
        self.top_k = top_k
        self.retrievers: dict[str, Any] = {}
        self.build_seconds: dict[str, float] = {}
        self.nodes = 0

    def build(self) -> None:
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.retrievers.bm25 import BM25Retriever

        t0 = time.perf_counter()
        files = [self.corpus / doc_id for doc_id in self.document_ids]
        reader = SimpleDirectoryReader(
            input_files=[str(f) for f in files],
            file_extractor={s: LoaderReader() for s in OWN_READER_SUFFIXES},
            raise_on_error=True,
        )
        by_path = {str(f.resolve()): doc_id for f, doc_id in zip(files, self.document_ids)}
        documents = reader.load_data()
        for document in documents:
            path = str(Path(document.metadata.get("file_path", "")).resolve())
            document.metadata["document_id"] = by_path.get(
                path, document.metadata.get("file_name", "")
            )
            document.excluded_embed_metadata_keys.append("document_id")
            document.excluded_llm_metadata_keys.append("document_id")
        self.build_seconds["load"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        index = VectorStoreIndex.from_documents(documents, embed_model=self.embedder)
        self.retrievers["llamaindex_default"] = index.as_retriever(similarity_top_k=self.top_k)
        self.build_seconds["llamaindex_default"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        nodes = list(index.docstore.docs.values())
        self.nodes = len(nodes)
        self.retrievers["bm25"] = BM25Retriever.from_defaults(
            nodes=nodes, similarity_top_k=self.top_k
        )
        self.build_seconds["bm25"] = time.perf_counter() - t0

    def retrieve(self, name: str, question: str) -> tuple[list[Hit], float]:
        """(hits in rank order, milliseconds)."""
        t0 = time.perf_counter()
        found = self.retrievers[name].retrieve(question)
        ms = round((time.perf_counter() - t0) * 1000, 2)
        hits = [
            Hit(
                str(n.node.metadata.get("document_id", "")),
                n.node.get_content(),
                float(n.score or 0.0),
            )
            for n in found
        ]
        return hits, ms
