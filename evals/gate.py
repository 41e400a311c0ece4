"""The quality gate: a run fails when a figure falls outside the bounds in evals/thresholds.json.

A gated figure that the run could not measure (e.g. refusal recall with no must-refuse
question) fails too: a gate that silently passes on missing data guards nothing.
"""

from __future__ import annotations

from typing import Any

EPSILON = 1e-9


def check_gate(flat: dict[str, Any], thresholds: dict[str, Any]) -> dict[str, Any]:
    checks = []
    for metric, bounds in (thresholds.get("gate") or {}).items():
        value = flat.get(metric)
        check: dict[str, Any] = {"metric": metric, "value": value, **bounds}
        if value is None:
            check["ok"], check["reason"] = False, "not measured by this run"
        elif "min" in bounds and value < bounds["min"] - EPSILON:
            check["ok"], check["reason"] = False, f"{value:.4g} < {bounds['min']}"
        elif "max" in bounds and value > bounds["max"] + EPSILON:
            check["ok"], check["reason"] = False, f"{value:.4g} > {bounds['max']}"
        else:
            check["ok"], check["reason"] = True, ""
        checks.append(check)
    return {"passed": all(c["ok"] for c in checks), "checks": checks}


def gate_text(result: dict[str, Any]) -> str:
    lines = ["Gate: " + ("PASSED" if result["passed"] else "FAILED")]
    for c in result["checks"]:
        bound = " and ".join(
            f"{'>=' if key == 'min' else '<='} {c[key]}" for key in ("min", "max") if key in c
        )
        value = "n/a" if c["value"] is None else f"{c['value']:.4g}"
        mark = "ok  " if c["ok"] else "FAIL"
        lines.append(
            f"  {mark} {c['metric']} = {value} (needs {bound}){'  ' + c['reason'] if c['reason'] else ''}"
        )
    return "\n".join(lines)
