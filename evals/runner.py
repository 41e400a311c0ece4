"""Run an evaluation: index the dataset's corpus in its own collection, ask every question,
run the baselines on the same questions, score, and summarise.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.embedder import Embedder
from core.errors import BackendError, ConfigError, IngestError, QuestionError
from core.settings import PROJECT_ROOT, Settings
from evals import aggregate
from evals.dataset import Dataset, assign_documents, load_dataset, select

EVALS_DIR = Path(__file__).resolve().parent
DEFAULT_DATASET = EVALS_DIR / "golden.jsonl"
DEFAULT_THRESHOLDS = EVALS_DIR / "thresholds.json"
DEFAULT_CACHE = Path(".assistant") / "eval-cache" / "embeddings.sqlite3"
PROTECTED_COLLECTIONS = {"council_docs"}


@dataclass
class EvalConfig:
    dataset: Path = DEFAULT_DATASET
    corpus: Path | None = None
    limit: int | None = None
    subset: str | None = None
    thresholds: Path = DEFAULT_THRESHOLDS
    collection: str | None = None  # explicit --collection; otherwise one named after the dataset
    baselines: bool = True
    baseline_top_k: int = 2
    judge: bool = True
    cache_file: Path | None = DEFAULT_CACHE
    progress: bool = True


@dataclass
class EvalRun:
    meta: dict[str, Any]
    flat: dict[str, Any]
    rows: list[dict[str, Any]]
    sweep: list[dict[str, Any]]
    predictions: list[tuple[str, list[str]]] = field(default_factory=list)
    kind: str = "golden"


def default_cache(store: str, store_given: bool, out: Path | None) -> Path:
    """Where the baselines' embedding cache goes when --cache is not given: only where the
    command was told to write. Inside the --store folder, else inside --out, else (nothing
    said) the project's usual .assistant/eval-cache/."""
    from index.store import is_remote

    if store_given and not is_remote(store):
        return Path(store) / "eval-cache" / DEFAULT_CACHE.name
    if out is not None:
        return out / "eval-cache" / DEFAULT_CACHE.name
    return DEFAULT_CACHE


def load_thresholds(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read thresholds {path}: {exc}") from None


def eval_collection(config: EvalConfig, dataset: Dataset, settings: Settings) -> str:
    """The dataset's own collection; the default index only for its own corpus, never another."""
    name = config.collection or dataset.default_collection(Path(settings.corpus_dir))
    protected = PROTECTED_COLLECTIONS | {Settings().collection}
    same_corpus = dataset.corpus.resolve() == Path(settings.corpus_dir).resolve()
    if name in protected and not same_corpus:
        raise ConfigError(
            f"refusing to index {dataset.corpus} into the default collection '{name}':"
            " evaluate it in its own collection (leave out --collection)"
        )
    return name


def run_eval(config: EvalConfig, settings: Settings, embedder: Embedder | None = None) -> EvalRun:
    started, started_at = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    phases: dict[str, float] = {}
    dataset = load_dataset(config.dataset, config.corpus, Path(settings.corpus_dir))
    if not dataset.corpus.is_dir():
        raise ConfigError(f"corpus folder not found: {dataset.corpus} (use --corpus DIR)")
    subset = None
    if config.subset:
        subsets = load_thresholds(config.thresholds).get("subsets", {})
        if config.subset not in subsets:
            raise ConfigError(
                f"no subset '{config.subset}' in {config.thresholds} ({', '.join(subsets)})"
            )
        subset = subsets[config.subset]
    items = select(dataset.items, config.limit, subset)
    if not items:
        raise ConfigError("no questions selected (check --limit / --subset)")
    collection = eval_collection(config, dataset, settings)
    settings = settings.with_overrides(collection=collection, corpus_dir=dataset.corpus)

    if embedder is None:
        from index.embedding import load_embedder

        embedder = load_embedder(settings.embed_model)
    t0 = time.perf_counter()
    documents, ingested = _index_corpus(dataset.corpus, settings, embedder, config.progress)
    phases["ingest"] = time.perf_counter() - t0
    if dataset.kind == "rag":
        items = assign_documents(items, _document_texts(dataset.corpus, documents))

    from evals.scoring import MemoEmbedder

    memo = MemoEmbedder(embedder)
    t0 = time.perf_counter()
    rows, predictions = _ask_all(items, settings, embedder, memo, config.progress)
    phases["assistant"] = time.perf_counter() - t0

    names: list[str] = []
    baseline_info: dict[str, Any] = {}
    if config.baselines:
        t0 = time.perf_counter()
        names, baseline_info = _run_baselines(
            items, rows, dataset.corpus, documents, embedder, memo, config
        )
        phases["baselines"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    judge_status = _judge_rows(items, rows, predictions, settings, config)
    phases["judge"] = time.perf_counter() - t0

    flat = aggregate.summarise(rows, names)
    # Refusal is calibrated per collection: the threshold the rows were refused at.
    threshold = next(
        (
            r["evidence"]["threshold"]
            for r in rows
            if r.get("evidence") and "threshold" in r["evidence"]
        ),
        settings.answer.refusal.threshold,
    )
    phases["total"] = time.perf_counter() - started
    meta = {
        "dataset": str(dataset.path),
        "dataset_kind": dataset.kind,
        "corpus": str(dataset.corpus),
        "store": settings.store,
        "collection": collection,
        "documents": len(documents),
        "ingest": ingested,
        "questions_selected": len(items),
        "questions_in_dataset": len(dataset.items),
        "limit": config.limit,
        "subset": config.subset,
        "backend": settings.answer.backend,
        "embed_model": settings.embed_model,
        "refusal_threshold": threshold,
        "refusal_calibrated": settings.answer.refusal.calibrate,
        "retrieval_settings": settings.retrieval.model_dump(),
        "baselines": baseline_info,
        "judge": judge_status,
        "started": started_at,
        "seconds": {k: round(v, 2) for k, v in phases.items()},
        "git_commit": _git_commit(),
        "python": platform.python_version(),
    }
    sweep = aggregate.sweep(rows, threshold)
    return EvalRun(meta, flat, rows, sweep, predictions, dataset.kind)


def _index_corpus(
    corpus: Path, settings: Settings, embedder: Embedder, progress: bool
) -> tuple[list[str], dict[str, Any]]:
    """Incremental ingest into the eval collection: the corpus's document ids, and what changed."""
    from index.ingest import ingest
    from index.store import open_store

    try:
        report = ingest([corpus], settings, progress=progress, embedder_factory=lambda: embedder)
    except IngestError as exc:
        raise ConfigError(f"cannot index the eval corpus {corpus}: {exc}") from None
    root = str(corpus.expanduser().resolve())
    records = open_store(settings).documents()
    documents = sorted(d for d, r in records.items() if r.root == root)
    if not documents:
        raise ConfigError(f"no readable documents in {corpus}")
    summary = {
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": len(report.unchanged),
        "removed": len(report.removed),
        "chunks_embedded": report.chunks_embedded,
        "skipped": report.skipped,
    }
    return documents, summary


def _document_texts(corpus: Path, documents: list[str]) -> dict[str, str]:
    from index.loaders import load_document

    if len(documents) == 1:
        return dict.fromkeys(documents, "")
    texts = {}
    for doc_id in documents:
        path = corpus / doc_id
        loaded = load_document(path, doc_id, path.read_bytes())
        texts[doc_id] = "\n".join(p.text for p in loaded.pages)
    return texts


def _bar(total: int, desc: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="q", file=sys.stderr, disable=not enabled, leave=False)


def _ask_all(
    items: list[Any], settings: Settings, embedder: Any, memo: Any, progress: bool
) -> tuple[list[dict[str, Any]], list[tuple[str, list[str]]]]:
    from assistant.citations import CitationChecker
    from assistant.pipeline import Assistant
    from evals.scoring import score_answer

    assistant = Assistant(settings, embedder=embedder)
    checker = CitationChecker(memo)
    rows, predictions = [], []
    with _bar(len(items), "assistant", progress) as bar:
        for item in items:
            answer, error, evidence = None, None, None
            try:
                answer = assistant.ask(item.question, history=item.history)
                evidence = answer.evidence
            except QuestionError as exc:  # rejected as asked: the user sees this message
                error = str(exc)
            except BackendError as exc:  # one failing draft must not lose the whole run
                error = f"backend error: {exc}"
            rows.append(score_answer(item, answer, error, evidence, checker, memo))
            predictions.append(
                (answer.answer, [s.text for s in answer.sources]) if answer else (error or "", [])
            )
            bar.update(1)
    return rows, predictions


def _run_baselines(
    items: list[Any],
    rows: list[dict[str, Any]],
    corpus: Path,
    documents: list[str],
    embedder: Embedder,
    memo: Embedder,
    config: EvalConfig,
) -> tuple[list[str], dict[str, Any]]:
    from evals.baselines import NAMES, Baselines
    from evals.scoring import score_baseline

    baselines = Baselines(corpus, documents, embedder, config.baseline_top_k, config.cache_file)
    baselines.build()
    with _bar(len(items) * len(NAMES), "baselines", config.progress) as bar:
        for item, row in zip(items, rows):
            for name in NAMES:
                hits, ms = baselines.retrieve(name, item.question)
                row["baselines"][name] = score_baseline(item, hits, ms, memo)
                bar.update(1)
    info = {
        "names": list(NAMES),
        "top_k": config.baseline_top_k,
        "nodes": baselines.nodes,
        "splitter": "llama-index default SentenceSplitter (chunk_size 1024, overlap 200)",
        "build_seconds": {k: round(v, 2) for k, v in baselines.build_seconds.items()},
        "note": "baselines see each question as asked (no follow-up rewriting); their 'answer'"
        " figures use the top retrieved text",
    }
    return list(NAMES), info


def _judge_rows(
    items: list[Any],
    rows: list[dict[str, Any]],
    predictions: list[tuple[str, list[str]]],
    settings: Settings,
    config: EvalConfig,
) -> dict[str, Any]:
    from evals.judge import JudgeUnavailable, make_judge

    if not config.judge:
        return {"status": "skipped", "reason": "--no-judge"}
    try:
        judge = make_judge(settings)
    except JudgeUnavailable as exc:
        return {"status": "skipped", "reason": str(exc)}
    judged = errors = unscored = 0
    with _bar(len(rows), "judge", config.progress) as bar:
        for item, row, (_, contexts) in zip(items, rows, predictions):
            bar.update(1)
            if row["refused"]:
                continue
            reference = item.reference_answer or "; ".join(f.split("|")[0] for f in item.key_facts)
            try:
                verdict: dict[str, Any] = {}
                verdict["faithfulness"], verdict["faithfulness_reply"] = judge.faithfulness(
                    row["answer"], contexts
                )
                if reference:
                    verdict["correctness"], verdict["correctness_reply"] = judge.correctness(
                        item.question, row["answer"], reference
                    )
                row["judge"] = verdict
                judged += 1
                unscored += sum(
                    1
                    for k in ("faithfulness", "correctness")
                    if k in verdict and verdict[k] is None
                )
            except Exception as exc:  # a judge failure must not lose the run's other figures
                errors += 1
                row["judge"] = {"error": f"{type(exc).__name__}: {exc}"}
    return {
        "status": "ran",
        "judge": judge.name,
        "judged": judged,
        "errors": errors,
        "unscored_replies": unscored,
    }


def _git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
