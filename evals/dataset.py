"""Evaluation datasets: our golden JSONL and LlamaIndex's ``LabelledRagDataset`` JSON.

Both become a list of ``EvalItem`` so the runner, the metrics and the report never care where
a question came from. Predictions for a rag dataset are written back in LlamaIndex's
``RagPredictionDataset`` JSON (``{"predictions": [{"response", "contexts"}]}``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError
from core.types import Turn

TYPES = ("answerable", "unanswerable", "followup", "hostile")
RAG_DATASET_SUFFIX = ".json"


@dataclass(frozen=True)
class EvalItem:
    id: str
    type: str
    question: str
    history: tuple[Turn, ...] = ()
    expected_documents: tuple[str, ...] = ()
    expected_section: str = ""
    key_facts: tuple[str, ...] = ()  # each "alt1|alt2": found when any alternative is in the answer
    must_refuse: bool = False
    must_not_contain: tuple[str, ...] = ()
    reference_answer: str = ""
    reference_contexts: tuple[str, ...] = ()
    notes: str = ""


@dataclass
class Dataset:
    path: Path
    kind: str  # "golden" | "rag"
    corpus: Path
    items: list[EvalItem] = field(default_factory=list)

    def default_collection(self, default_corpus: Path) -> str:
        """Each dataset gets its own collection, named after it (and after its corpus when that
        is not the usual one), so no two corpora ever share a collection by default."""
        base = self.path.parent.name if self.kind == "rag" else self.path.stem
        usual = self.path.parent if self.kind == "rag" else default_corpus
        if self.corpus.expanduser().resolve() != usual.expanduser().resolve():
            base = f"{base}-{self.corpus.resolve().name}"
        return collection_name(base)


def collection_name(base: str) -> str:
    """A valid Chroma collection name: 3-63 of [a-zA-Z0-9._-], starting and ending alnum."""
    slug = re.sub(r"[^a-zA-Z0-9._]+", "-", base).strip("-._") or "dataset"
    slug = slug.removeprefix("eval_").removeprefix("eval-") or "dataset"
    return f"eval_{slug}"[:63].rstrip("-._")


def load_dataset(path: Path, corpus: Path | None, default_corpus: Path) -> Dataset:
    path = path.expanduser()
    if not path.is_file():
        raise ConfigError(f"no such dataset file: {path}")
    if path.suffix.lower() == RAG_DATASET_SUFFIX:
        data = _read_json(path)
        if not isinstance(data, dict) or "examples" not in data:
            raise ConfigError(f"{path}: not a LabelledRagDataset (no 'examples' list)")
        corpus = (corpus or path.parent).expanduser()
        return Dataset(path, "rag", corpus, rag_items(data["examples"], path))
    corpus = (corpus or default_corpus).expanduser()
    return Dataset(path, "golden", corpus, golden_items(path))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None


def golden_items(path: Path) -> list[EvalItem]:
    items: list[EvalItem] = []
    seen: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            row = json.loads(line)
            item = golden_item(row)
        except (ValueError, TypeError, KeyError) as exc:
            raise ConfigError(f"{path}:{number}: bad golden row: {exc}") from None
        if item.id in seen:
            raise ConfigError(f"{path}:{number}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    if not items:
        raise ConfigError(f"{path}: no questions")
    return items


def golden_item(row: dict[str, Any]) -> EvalItem:
    kind = str(row.get("type", "answerable"))
    if kind not in TYPES:
        raise ValueError(f"type {kind!r} is not one of {', '.join(TYPES)}")
    question = str(row["question"])
    history = tuple(
        Turn(str(t.get("question", "")), str(t.get("answer", ""))) for t in row.get("history") or []
    )
    return EvalItem(
        id=str(row["id"]),
        type=kind,
        question=question,
        history=history,
        expected_documents=tuple(str(d) for d in row.get("expected_documents") or []),
        expected_section=str(row.get("expected_section") or ""),
        key_facts=tuple(str(f) for f in row.get("key_facts") or []),
        must_refuse=bool(row.get("must_refuse", kind == "unanswerable")),
        must_not_contain=tuple(str(s) for s in row.get("must_not_contain") or []),
        reference_answer=str(row.get("reference_answer") or ""),
        notes=str(row.get("notes") or ""),
    )


def rag_items(examples: list[dict[str, Any]], path: Path) -> list[EvalItem]:
    items = []
    for i, example in enumerate(examples):
        if not isinstance(example, dict) or not example.get("query"):
            raise ConfigError(f"{path}: example {i} has no 'query'")
        items.append(
            EvalItem(
                id=f"q{i:03d}",
                type="answerable",
                question=str(example["query"]),
                reference_answer=str(example.get("reference_answer") or ""),
                reference_contexts=tuple(str(c) for c in example.get("reference_contexts") or []),
            )
        )
    return items


def assign_documents(items: list[EvalItem], documents: dict[str, str]) -> list[EvalItem]:
    """Give rag items the documents their reference contexts come from (by shingle overlap)."""
    from dataclasses import replace

    from evals.metrics import overlap, shingles

    if not documents:
        return items
    if len(documents) == 1:
        only = next(iter(documents))
        return [
            replace(i, expected_documents=(only,)) if i.reference_contexts else i for i in items
        ]
    doc_shingles = {doc_id: shingles(text) for doc_id, text in documents.items()}
    result = []
    for item in items:
        found: list[str] = []
        for context in item.reference_contexts:
            ctx = shingles(context)
            best = max(doc_shingles, key=lambda d: overlap(ctx, doc_shingles[d]))
            if overlap(ctx, doc_shingles[best]) >= 0.3 and best not in found:
                found.append(best)
        result.append(replace(item, expected_documents=tuple(found)))
    return result


def select(
    items: list[EvalItem],
    limit: int | None = None,
    subset: dict[str, Any] | None = None,
) -> list[EvalItem]:
    """A subset by explicit ids, every k-th row from an offset (a tuning / held-out split), or
    the first N of each type (file order); then the first ``limit``."""
    chosen = items
    if subset:
        if subset.get("every"):
            every, offset = int(subset["every"]), int(subset.get("offset", 0))
            chosen = [item for i, item in enumerate(items) if i % every == offset]
        elif subset.get("ids"):
            wanted = set(subset["ids"])
            chosen = [i for i in items if i.id in wanted]
        else:
            per_type = dict(subset.get("per_type") or {})
            counts = dict.fromkeys(per_type, 0)
            chosen = []
            for item in items:
                if counts.get(item.type, 0) < per_type.get(item.type, 0):
                    chosen.append(item)
                    counts[item.type] += 1
    if limit is not None:
        chosen = chosen[: max(0, limit)]
    return chosen


def write_predictions(path: Path, predictions: list[tuple[str, list[str]]]) -> None:
    """LlamaIndex ``RagPredictionDataset.save_json`` format: one (response, contexts) per question."""
    data = {"predictions": [{"response": r, "contexts": list(c)} for r, c in predictions]}
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
