"""Data flows one way, and imports follow it: no package imports one above it.

    core                      errors, settings, types, text helpers: imports nothing of ours
    index                     loading, chunking, embedding, the store
    assistant                 retrieval, answering, citation checking
    ui, evals                 the web app and API; the evaluation suite (neither imports the other)
    assistant.cli, __main__   the command line, which wires ui and evals in at the top
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = {"core": 0, "index": 1, "assistant": 2, "ui": 3, "evals": 3}
TOP = {"assistant.cli", "assistant.__main__"}  # the entry point may import every layer


def _module(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def violations(root: Path = ROOT) -> list[str]:
    bad = []
    for package in LAYER:
        for path in sorted((root / package).rglob("*.py")):
            module = _module(path, root)
            if module in TOP:
                continue
            for imported in _imports(path):
                target = imported.split(".")[0]
                if target not in LAYER or imported in TOP or target == package:
                    continue
                if LAYER[target] >= LAYER[package]:
                    bad.append(f"{module} imports {imported}")
            for imported in _imports(path):
                if imported in TOP:
                    bad.append(f"{module} imports the entry point {imported}")
    return bad


def test_no_package_imports_one_above_it() -> None:
    assert violations() == []


def test_the_check_catches_upward_and_sideways_imports(tmp_path: Path) -> None:
    """The rule itself can fail: each kind of wrong import is reported."""
    for package in LAYER:
        (tmp_path / package).mkdir()
    (tmp_path / "core" / "bad.py").write_text("from index.store import Store\n")
    (tmp_path / "index" / "bad.py").write_text("from assistant.pipeline import Assistant\n")
    (tmp_path / "ui" / "bad.py").write_text("import evals.runner\nfrom assistant.cli import main\n")
    (tmp_path / "assistant" / "cli.py").write_text("import ui.app\nimport evals.cli\n")
    assert sorted(violations(tmp_path)) == [
        "core.bad imports index.store",
        "index.bad imports assistant.pipeline",
        "ui.bad imports evals.runner",
        "ui.bad imports the entry point assistant.cli",
    ]
