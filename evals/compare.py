"""``eval compare A B``: what changed between two runs (folders or JSON files).

Accepts a run folder (its report.json), a report.json, or the JSON that ``eval --json``
printed. Figures are matched by flat key; rows (when both runs have them) by question id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from core.errors import ConfigError

LOWER_IS_BETTER = ("latency_ms.", "false_refusal_rate", "forbidden_text_violations")


def load_run(path: Path) -> dict[str, Any]:
    """{'flat': {...}, 'rows': [...], 'label': str} from a run folder or JSON file."""
    file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read run {path}: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("metrics"), dict):
        flat = data["metrics"]
    elif isinstance(data, dict):
        flat = {k: v for k, v in data.items() if isinstance(v, int | float) or v is None}
    else:
        raise ConfigError(f"{file} is not an eval report")
    meta = data.get("meta") or {}
    return {"flat": flat, "rows": data.get("rows") or [], "label": str(path), "meta": meta}


def lower_is_better(metric: str) -> bool:
    return any(part in metric for part in LOWER_IS_BETTER)


def compare(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    old_rows = {r["id"]: r for r in a["rows"]}
    new_rows = {r["id"]: r for r in b["rows"]}
    common = sorted(set(old_rows) & set(new_rows))
    return {
        "a": a["label"],
        "b": b["label"],
        "notes": _notes(a, b),
        "metrics": _metric_changes(a["flat"], b["flat"]),
        "newly_failing": [i for i in common if old_rows[i]["passed"] and not new_rows[i]["passed"]],
        "newly_passing": [i for i in common if not old_rows[i]["passed"] and new_rows[i]["passed"]],
        "only_in_a": sorted(set(old_rows) - set(new_rows)),
        "only_in_b": sorted(set(new_rows) - set(old_rows)),
    }


def _metric_changes(old_flat: dict[str, Any], new_flat: dict[str, Any]) -> list[dict[str, Any]]:
    """Each numeric figure of either run: both values, the change and what it means."""
    changes = []
    for key in sorted(set(old_flat) | set(new_flat), key=_order):
        old: Any = old_flat.get(key)
        new: Any = new_flat.get(key)
        if not _number(old) and not _number(new):
            continue
        delta = new - old if _number(old) and _number(new) else None
        changes.append(
            {
                "metric": key,
                "a": old,
                "b": new,
                "delta": delta,
                "verdict": _verdict(key, old, delta),
            }
        )
    return changes


def _verdict(key: str, old: Any, delta: float | None) -> str:
    if delta is None:
        return "added" if old is None else "removed"
    if abs(delta) < 1e-9:
        return "same"
    if "questions" in key:
        return "changed"  # a count, neither better nor worse
    better = delta < 0 if lower_is_better(key) else delta > 0
    return "better" if better else "worse"


def _notes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Why the two runs' figures may not be directly comparable."""
    notes = []
    old_set, new_set = a.get("meta", {}).get("dataset"), b.get("meta", {}).get("dataset")
    if old_set and new_set and old_set != new_set:
        notes.append(f"different datasets: {old_set} and {new_set}")
    if a["flat"].get("questions") != b["flat"].get("questions"):
        notes.append("different numbers of questions: figures are not directly comparable")
    return notes


def compare_text(result: dict[str, Any], show_same: bool = False) -> str:
    lines = [
        f"A: {result['a']}",
        f"B: {result['b']}",
        "",
        f"{'metric':<52} {'A':>10} {'B':>10} {'change':>10}",
    ]
    for c in result["metrics"]:
        if c["verdict"] == "same" and not show_same:
            continue
        delta = f"{c['delta']:+.4g}" if c["delta"] is not None else c["verdict"]
        mark = {"better": "  better", "worse": "  WORSE"}.get(c["verdict"], "")
        lines.append(f"{c['metric']:<52} {_fmt(c['a']):>10} {_fmt(c['b']):>10} {delta:>10}{mark}")
    lines += [f"Note: {note}" for note in result.get("notes", [])]
    same = sum(1 for c in result["metrics"] if c["verdict"] == "same")
    if same and not show_same:
        lines.append(f"({same} figures unchanged)")
    for key, title in (("newly_failing", "Newly failing"), ("newly_passing", "Newly passing")):
        if result[key]:
            lines.append(f"{title}: {', '.join(result[key])}")
    return "\n".join(lines)


def _order(key: str) -> tuple[int, str]:
    """Our figures first, then the baselines', then the ratios."""
    return ({"baselines": 1, "ratios": 2}.get(key.split(".", 1)[0], 0), key)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)
