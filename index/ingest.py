"""Incremental, crash-safe ingestion of files and folders, streamed in bounded memory.

Files flow one at a time through read -> hash -> parse -> chunk, and into a group that is
embedded and committed once it holds ``IngestSettings.commit_group_chunks`` chunks; then the
group is released. Peak memory is one file's bytes plus one group, whatever the folder's size.

Per document: hash its bytes (with the pipeline version, chunk settings and access groups);
skip it when the manifest already has that hash, or when the store remembers it was skipped
with that hash (it is reported skipped again, with its reason, unparsed); otherwise parse (in
a pool of isolated workers, a few files ahead), embed, write the new chunks, commit the
manifest record, delete the old chunks. Documents gone from an ingested folder are removed. A
``kill -9`` at any point leaves each document at its old or its new version; the store's
journal then says the run never finished, and the next run sweeps orphaned chunks (after a
clean run it does not look). An unchanged re-ingest loads no model and starts no parser.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from core.embedder import Embedder
from core.errors import DocumentError
from core.settings import Settings
from index.chunking import PIPELINE_VERSION
from index.files import discover_files, read_regular_file
from index.isolation import TransientParseError, shared_parser
from index.loaders import parse_groups
from index.parse import ParsedDocument
from index.screening import screen_parsed, screening_key
from index.store import (
    ChunkRow,
    DocumentRecord,
    DocumentStore,
    DocumentWriter,
    SkippedFile,
    open_store,
)

MANIFEST_NOTE = "ingest-manifest"  # {id: (hash, root)} for one revision, saved on this machine
GROUPS_FILE = ".groups"  # in a folder: the access groups of the documents in it and below


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
    parser: dict[str, Any] = field(default_factory=dict)  # the parser workers' counts and peak

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


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """(root, file) pairs; a file given directly has its parent as root (see index/files.py)."""
    return discover_files(paths).found


def folder_groups(file: Path, root: Path) -> tuple[str, ...]:
    """The groups of the nearest ``.groups`` file from the file's folder up to the root."""
    folder = file.parent
    while True:
        candidate = folder / GROUPS_FILE
        if candidate.is_file():
            try:
                return parse_groups(candidate.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError):
                return ()
        if folder == root or root not in folder.parents:
            return ()
        folder = folder.parent


def content_hash(data: bytes, settings: Settings, groups: tuple[str, ...] = ()) -> str:
    digest = hashlib.sha256(data)
    digest.update(
        f"|{PIPELINE_VERSION}|{settings.ingest.chunk_size}|{settings.ingest.chunk_overlap}"
        f"|{','.join(groups)}|{screening_key(settings.ingest.poison)}".encode()
    )
    return digest.hexdigest()


def ingest(
    paths: list[Path],
    settings: Settings,
    progress: bool = False,
    rebuild: bool = False,
    embedder_factory: Callable[[], Embedder] | None = None,
    store: DocumentStore | None = None,
) -> IngestReport:
    started = time.perf_counter()
    discovery = discover_files(paths)  # links out of the folder, FIFOs, devices: skipped
    store = store or open_store(settings, create=True)
    report = IngestReport(store=settings.store, collection=settings.collection)
    report.skipped.extend(discovery.skipped)
    parser = shared_parser(settings)  # a pool of workers, each with time and memory limits
    parser_before = parser.stats.to_dict()
    with store.writing():
        if rebuild:
            store.drop()
            store = open_store(settings, create=True) if store.location != "memory" else store
        store.check_embedder(settings.embed_model)
        report.orphans_removed = store.repair()  # nothing to do after a clean run
        plan = _Plan(store, settings, report)
        committer = _GroupCommitter(
            store, embedder_factory or _default_embedder(settings), settings, report
        )
        for (root, relative, doc_hash, existed), outcome in parser.parse_many(
            plan.to_parse(discovery.found, progress)
        ):
            if isinstance(outcome, DocumentError):
                plan.skip(relative, root, doc_hash, outcome)
            else:
                committer.add(outcome, root, doc_hash, existed)
                plan.parsed(relative, outcome.meta.document_id, Known(doc_hash, str(root)))
        committer.flush()
        plan.remove_gone(paths)
        plan.sort_skipped()
        store.remember_skipped(plan.skip_changes)
        changed = bool(report.added or report.updated or report.removed or rebuild)
        store.finish_ingest(settings.embed_model, changed)
        plan.save_manifest()
    report.parser = parser.stats.since(parser_before)
    report.seconds = round(time.perf_counter() - started, 3)
    report.embed_seconds = round(report.embed_seconds, 3)
    return report


class _Plan:
    """What one ingest does with each file: unchanged, skipped as before, or parsed.

    The manifest and the skipped files are read once, at the start. A file skipped last time
    with the same content hash (and parse limits) is reported skipped again with the same
    reason, without being parsed: a council's five unreadable files do not cost every run."""

    def __init__(self, store: DocumentStore, settings: Settings, report: IngestReport) -> None:
        self.store, self.settings, self.report = store, settings, report
        self.records, self.loaded_from_note = _load_manifest(store)
        self.remembered = store.skipped_files()
        # Known roots as (folder, "folder/"): a re-ingest of 100,000 files compares strings,
        # not paths (pathlib's relative_to cost more than reading and hashing the files).
        self.known_roots = [
            (Path(r), _prefix(r)) for r in sorted({r.root for r in self.records.values()})
        ]
        self.committed: dict[str, Known] = {}
        self.seen: dict[str, int] = {}  # document id -> its place in the folder's order
        self.skip_changes: dict[str, SkippedFile | None] = {}
        self._limits = settings.ingest.limits.model_dump_json()
        self._groups: dict[tuple[str, Path], tuple[str, ...]] = {}

    def to_parse(
        self, files: list[tuple[Path, Path]], progress: bool
    ) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        """Parse jobs ((root, id, hash, existed), args) for the files that are new or changed."""
        for given_root, file in _progress(files, progress):
            path = str(file)
            root = self._indexed_root(path, given_root)
            relative = path[len(_prefix(str(root))) :]
            self.seen.setdefault(relative, len(self.seen))
            groups = self._folder_groups(file, path, root)
            try:
                data = _read(file, self.settings)
            except DocumentError as exc:
                self.report.skipped.append({"path": relative, "reason": str(exc)})
                continue
            doc_hash = content_hash(data, self.settings, groups)
            record = self.records.get(relative)
            if record and record.doc_hash == doc_hash:
                self.report.unchanged.append(relative)
                self._forget_skip(relative)
                continue
            known = self.remembered.get(relative)
            if known is not None and known.skip_key == self._skip_key(doc_hash):
                self.report.skipped.append({"path": relative, "reason": known.reason})
                continue
            key = (root, relative, doc_hash, record is not None)
            yield key, (file, relative, data, doc_hash, self.settings, groups)

    def parsed(self, relative: str, document_id: str, known: Known) -> None:
        self.committed[document_id] = known
        self._forget_skip(relative)

    def skip(self, relative: str, root: Path, doc_hash: str, error: DocumentError) -> None:
        self.report.skipped.append({"path": relative, "reason": str(error)})
        if isinstance(error, TransientParseError):
            self._forget_skip(relative)  # tried again next time
        else:
            self.skip_changes[relative] = SkippedFile(
                self._skip_key(doc_hash), str(root), str(error)
            )

    def remove_gone(self, paths: list[Path]) -> None:
        """Only a folder given whole says what is gone; a single file given says nothing of its
        siblings."""
        roots = {str(p.expanduser().resolve()) for p in paths if p.expanduser().is_dir()}
        for doc_id, record in self.records.items():
            if record.root in roots and doc_id not in self.seen and Path(record.root).is_dir():
                self.store.drop_document(doc_id)
                self.report.removed.append(doc_id)
        for doc_id, known in self.remembered.items():
            if known.root in roots and doc_id not in self.seen:
                self.skip_changes[doc_id] = None

    def save_manifest(self) -> None:
        """This run's view of the manifest, saved for the revision it leaves the store at."""
        removed = set(self.report.removed)
        final = {d: k for d, k in self.records.items() if d not in removed}
        final.update(self.committed)
        if final == self.records and self.loaded_from_note:
            return
        roots = sorted({k.root for k in final.values()})
        index = {root: i for i, root in enumerate(roots)}
        docs = {d: [k.doc_hash, index[k.root]] for d, k in final.items()}
        self.store.save_note(
            MANIFEST_NOTE, json.dumps({"roots": roots, "docs": docs}, separators=(",", ":"))
        )

    def sort_skipped(self) -> None:
        """In the folder's order, whichever file a worker finished first (discovery's first)."""
        self.report.skipped.sort(key=lambda s: self.seen.get(s["path"], -1))

    def _forget_skip(self, relative: str) -> None:
        if relative in self.remembered:
            self.skip_changes[relative] = None

    def _skip_key(self, doc_hash: str) -> str:
        return hashlib.sha256(f"{doc_hash}|{self._limits}".encode()).hexdigest()

    def _indexed_root(self, path: str, given_root: Path) -> Path:
        """A file already indexed from an enclosing folder keeps that folder, hence its id;
        else naming ``folder/sub/x.md`` on its own would index a second copy as ``x.md``."""
        for root, prefix in self.known_roots:
            if path.startswith(prefix):
                record = self.records.get(path[len(prefix) :])
                if record is not None and record.root == str(root):
                    return root
        return given_root

    def _folder_groups(self, file: Path, path: str, root: Path) -> tuple[str, ...]:
        key = (os.path.dirname(path), root)
        if key not in self._groups:
            self._groups[key] = folder_groups(file, root)
        return self._groups[key]


class Known(NamedTuple):
    """What an ingest needs of a committed document: its content hash and where it came from."""

    doc_hash: str
    root: str


def _load_manifest(store: DocumentStore) -> tuple[dict[str, Known], bool]:
    """The manifest as of the store's current revision: from the note the last ingest on this
    machine saved for exactly that revision (one small read), else from the store itself
    (about 0.1 ms a document with Chroma: 10 s at 100,000)."""
    saved = store.load_note(MANIFEST_NOTE)
    if saved:
        try:
            data = json.loads(saved)
            roots = data["roots"]
            return {d: Known(h, roots[i]) for d, (h, i) in data["docs"].items()}, True
        except (ValueError, KeyError, IndexError, TypeError):
            pass  # unreadable: read the manifest instead
    return {d: Known(r.doc_hash, r.root) for d, r in store.documents().items()}, False


def _read(file: Path, settings: Settings) -> bytes:
    max_bytes = int(settings.ingest.max_file_mb * 1024 * 1024)
    return read_regular_file(file, max_bytes, " (ASSISTANT_INGEST__MAX_FILE_MB)")


class _GroupCommitter:
    """Collects parsed documents; embeds and commits them a group at a time."""

    def __init__(
        self,
        store: DocumentWriter,
        embedder_factory: Callable[[], Embedder],
        settings: Settings,
        report: IngestReport,
    ) -> None:
        self.store, self.settings, self.report = store, settings, report
        self._factory = embedder_factory
        self._embedder: Embedder | None = None
        self._group: list[tuple[ParsedDocument, Path, str, bool]] = []
        self._size = 0

    def add(self, parsed: ParsedDocument, root: Path, doc_hash: str, existed: bool) -> None:
        self._group.append((parsed, root, doc_hash, existed))
        self._size += len(parsed.chunks)
        if self._size >= self.settings.ingest.commit_group_chunks:
            self.flush()

    def flush(self) -> None:
        if not self._group:
            return
        if any(parsed.chunks for parsed, *_ in self._group):
            if self._embedder is None:  # loaded only now: an unchanged re-ingest loads no model
                self._embedder = self._factory()
            # The trained detector and the contact-point policy (index/screening.py).
            self._group = [
                (
                    screen_parsed(parsed, self.settings.ingest.poison, self._embedder),
                    root,
                    doc_hash,
                    existed,
                )
                for parsed, root, doc_hash, existed in self._group
            ]
        chunks = [c for parsed, *_ in self._group for c in parsed.chunks]
        vectors: dict[str, Any] = {}
        if chunks:
            assert self._embedder is not None  # loaded above: chunks came from parsed documents
            t0 = time.perf_counter()
            # Shortest first: similar lengths in a batch mean less padding. Embedded a group's
            # worth at a time and kept as float32 (a list of Python floats is 8x the size), so
            # one large document cannot blow the memory bound.
            ordered = sorted(chunks, key=lambda c: len(c.embed_text))
            step = self.settings.ingest.commit_group_chunks
            for start in range(0, len(ordered), step):
                part = ordered[start : start + step]
                embedded = self._embedder.get_text_embedding_batch([c.embed_text for c in part])
                vectors.update(
                    (c.chunk_id, np.asarray(v, dtype=np.float32)) for c, v in zip(part, embedded)
                )
            self.report.embed_seconds += time.perf_counter() - t0
        for parsed, root, doc_hash, existed in self._group:
            rows = [
                ChunkRow(
                    c.chunk_id, c.text, vectors[c.chunk_id], c.section, c.page, c.index, c.kind
                )
                for c in parsed.chunks
            ]
            outlines = tuple(c.chunk_id for c in parsed.chunks if c.kind == "outline")
            record = DocumentRecord(
                meta=parsed.meta,
                doc_hash=doc_hash,
                root=str(root),
                chunks=len(rows),
                ingested_at=_now(),
                flagged=parsed.flagged,
                outline_chunks=outlines,
            )
            self.store.commit_document(record, rows)
            (self.report.updated if existed else self.report.added).append(parsed.meta.document_id)
        self.report.chunks_embedded += len(chunks)
        # Readers in other processes see each committed group without waiting for the end.
        self.store.finish_ingest(self.settings.embed_model, changed=True)
        self._group, self._size = [], 0


def _prefix(root: str) -> str:
    """``root`` as the start of the paths inside it."""
    return root.rstrip("/") + "/"


def _default_embedder(settings: Settings) -> Callable[[], Embedder]:
    def factory() -> Embedder:
        from index.embedding import load_embedder

        return load_embedder(settings.embed_model, settings.ingest.embed_batch_size)

    return factory


def _progress(files: list[tuple[Path, Path]], enabled: bool) -> Iterator[tuple[Path, Path]]:
    if not enabled or len(files) < 2:
        yield from files
        return
    from tqdm import tqdm

    yield from tqdm(files, unit="file", desc="Ingesting", file=sys.stderr, leave=False)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
