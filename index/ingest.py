"""Incremental, crash-safe ingestion of files and folders into the store.

Per document: hash the bytes (with the pipeline version and chunk settings); skip it when the
manifest already has that hash; otherwise parse, chunk, embed, add the new chunks, commit the
manifest record, then delete the old chunks. Documents gone from an ingested folder are
removed. A ``kill -9`` at any point leaves each document at either its old or its new version;
the next run finishes the job and sweeps orphaned chunks.
"""

from __future__ import annotations

import hashlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.errors import DocumentError, IngestError
from core.settings import Settings
from index.chunking import PIPELINE_VERSION, chunk_document
from index.loaders import FOLDER_NOTES, load_document
from index.store import DocumentRecord, Store

# Documents are embedded and committed in groups of about this many embedding batches
# (4 x 64 = 256 chunks by default): a kill -9 loses at most one group of work.
EMBED_GROUP_BATCHES = 4


@dataclass
class IngestReport:
    store: str
    collection: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    chunks_embedded: int = 0
    orphans_removed: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0

    @property
    def partial(self) -> bool:
        return bool(self.skipped)

    def to_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["partial"] = self.partial
        data["chunks_per_second"] = (
            round(self.chunks_embedded / self.embed_seconds, 1) if self.embed_seconds else None
        )
        return data


@dataclass
class _Pending:
    path: Path
    root: Path
    relative: str
    data: bytes
    doc_hash: str
    existed: bool


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(root, file) pairs; a file given directly has its parent as root."""
    found: list[tuple[Path, Path]] = []
    for given in paths:
        path = given.expanduser().resolve()
        if not path.exists():
            raise IngestError(f"no such file or folder: {given}")
        if path.is_file():
            found.append((path.parent, path))
            continue
        for file in sorted(path.rglob("*")):
            relative = file.relative_to(path)
            if any(part.startswith(".") for part in relative.parts):
                continue
            if file.is_file() and not FOLDER_NOTES.match(file.name):
                found.append((path, file))
    return found


def content_hash(data: bytes, settings: Settings) -> str:
    digest = hashlib.sha256(data)
    digest.update(
        f"|{PIPELINE_VERSION}|{settings.ingest.chunk_size}|{settings.ingest.chunk_overlap}".encode()
    )
    return digest.hexdigest()


def ingest(
    paths: list[Path],
    settings: Settings,
    progress: bool = False,
    rebuild: bool = False,
    embedder_factory: Callable[[], Any] | None = None,
) -> IngestReport:
    started = time.perf_counter()
    files = discover(paths)
    store = Store(settings.store, settings.collection)
    if rebuild:
        store.drop()
        store = Store(settings.store, settings.collection)
    store.check_embedder(settings.embed_model)
    report = IngestReport(store=settings.store, collection=settings.collection)
    records = store.documents()
    report.orphans_removed = store.collect_garbage(records)

    pending: list[_Pending] = []
    seen: set[str] = set()
    max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
    known_roots = {Path(r.root) for r in records.values()}
    for given_root, file in files:
        root = _indexed_root(file, given_root, known_roots, records)
        relative = file.relative_to(root).as_posix()
        seen.add(relative)
        try:
            size = file.stat().st_size
            if size > max_bytes:
                raise DocumentError(
                    f"{size / 1048576:.1f} MB is over the {settings.ingest.max_file_mb:g} MB limit"
                    " (ASSISTANT_INGEST__MAX_FILE_MB)"
                )
            data = file.read_bytes()
        except DocumentError as exc:
            report.skipped.append({"path": relative, "reason": str(exc)})
            continue
        except OSError as exc:
            report.skipped.append({"path": relative, "reason": f"cannot read: {exc.strerror}"})
            continue
        doc_hash = content_hash(data, settings)
        record = records.get(relative)
        if record and record.doc_hash == doc_hash:
            report.unchanged.append(relative)
            continue
        pending.append(_Pending(file, root, relative, data, doc_hash, record is not None))

    if pending:
        factory = embedder_factory or _default_embedder(settings)
        _embed_and_commit(pending, store, factory, settings, report, progress)

    # Only a folder given whole says what is gone; a single file given says nothing of its siblings.
    roots = {str(p.expanduser().resolve()) for p in paths if p.expanduser().is_dir()}
    for doc_id, record in records.items():
        if record.root in roots and doc_id not in seen and Path(record.root).is_dir():
            store.forget_document(doc_id)
            report.removed.append(doc_id)

    if report.added or report.updated or report.removed or rebuild or not store.info.get("revision"):
        store.set_info(
            embed_model=settings.embed_model,
            last_ingest=_now(),
            revision=int(store.info.get("revision", 0)) + 1,
        )
    report.seconds = round(time.perf_counter() - started, 3)
    return report


def _indexed_root(
    file: Path, given_root: Path, known_roots: set[Path], records: dict[str, DocumentRecord]
) -> Path:
    """A file already indexed from an enclosing folder keeps that folder, hence its id; else
    naming ``folder/sub/x.md`` on its own would index a second copy as ``x.md``."""
    for root in known_roots:
        if file.is_relative_to(root):
            record = records.get(file.relative_to(root).as_posix())
            if record is not None and record.root == str(root):
                return root
    return given_root


def _default_embedder(settings: Settings) -> Callable[[], Any]:
    def factory() -> Any:
        from index.embedding import load_embedder

        return load_embedder(settings.embed_model, settings.ingest.embed_batch_size)

    return factory


def _embed_and_commit(
    pending: list[_Pending],
    store: Store,
    embedder_factory: Callable[[], Any],
    settings: Settings,
    report: IngestReport,
    progress: bool,
) -> None:
    parsed: list[tuple[_Pending, Any, list]] = []
    for item in pending:
        try:
            document = load_document(item.path, item.relative, item.data)
        except DocumentError as exc:
            report.skipped.append({"path": item.relative, "reason": str(exc)})
            continue
        nodes = chunk_document(
            document, item.doc_hash, settings.ingest.chunk_size, settings.ingest.chunk_overlap
        )
        parsed.append((item, document, nodes))
    if not parsed:
        return
    from llama_index.core.schema import MetadataMode
    from llama_index.vector_stores.chroma import ChromaVectorStore

    vector_store = ChromaVectorStore(chroma_collection=store.chunks)
    total = sum(len(nodes) for _, _, nodes in parsed)
    # Loaded only now: files that fail to parse (and stay failing) must not cost a model load.
    embedder = embedder_factory() if total else None
    bar = _progress_bar(total, progress)
    group: list[tuple[_Pending, Any, list]] = []
    group_size = settings.ingest.embed_batch_size * EMBED_GROUP_BATCHES
    for entry in parsed:
        group.append(entry)
        if sum(len(n) for _, _, n in group) >= group_size or entry is parsed[-1]:
            nodes = [node for _, _, ns in group for node in ns]
            t0 = time.perf_counter()
            # Shortest first: llama-index cuts the list into batches as given, and similar
            # lengths in a batch mean less padding (about a fifth less work on the corpus).
            nodes.sort(key=lambda n: len(n.get_content(metadata_mode=MetadataMode.EMBED)))
            texts = [n.get_content(metadata_mode=MetadataMode.EMBED) for n in nodes]
            vectors = embedder.get_text_embedding_batch(texts) if texts else []
            report.embed_seconds += time.perf_counter() - t0
            for node, vector in zip(nodes, vectors):
                node.embedding = vector
            for item, document, doc_nodes in group:
                if doc_nodes:
                    vector_store.add(doc_nodes)
                store.commit_document(_record(item, document, len(doc_nodes)))
                store.delete_stale_chunks(item.relative, item.doc_hash)
                (report.updated if item.existed else report.added).append(item.relative)
            report.chunks_embedded += len(nodes)
            if bar is not None:
                bar.update(len(nodes))
            group = []
    report.embed_seconds = round(report.embed_seconds, 3)
    if bar is not None:
        bar.close()


def _record(item: _Pending, document: Any, chunks: int) -> DocumentRecord:
    return DocumentRecord(
        meta=document.meta, doc_hash=item.doc_hash, root=str(item.root), chunks=chunks,
        ingested_at=_now(),
    )  # fmt: skip


def _progress_bar(total: int, enabled: bool) -> Any:
    if not enabled or not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="chunk", desc="Embedding", file=sys.stderr, leave=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
