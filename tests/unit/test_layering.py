"""Data flows one way, and imports follow it: no package imports one above it or beside it.

    core                      errors, settings, types, text helpers: imports nothing of ours
    index                     loading, chunking, embedding, the store
    assistant                 retrieval, answering, citation checking
    ui, evals, training       the web app and API; the evaluation suite; model training
                              (none imports another)
    cli                       the command line, the entry layer: wires them all together

A package's ``__main__`` (``python -m assistant``) is a program, not a module anything imports:
it hands over to the entry layer, so it may import ``cli`` and no other package of ours.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
LAYER = {"core": 0, "index": 1, "assistant": 2, "ui": 3, "evals": 3, "training": 3, "cli": 4}
ENTRY = "cli"


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


def _is_program(module: str) -> bool:
    return module.rsplit(".", 1)[-1] == "__main__"


def violations(root: Path = ROOT) -> list[str]:
    bad = []
    for package in LAYER:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            module = _module(path, root)
            for imported in sorted(_imports(path)):
                target = imported.split(".")[0]
                if target not in LAYER:
                    continue
                if _is_program(imported):
                    bad.append(f"{module} imports the program {imported}")
                elif _is_program(module):
                    if target != ENTRY:
                        bad.append(f"{module} imports {imported}, not the entry layer {ENTRY}")
                elif target != package and LAYER[target] >= LAYER[package]:
                    bad.append(f"{module} imports {imported}")
    return bad


def test_no_package_imports_one_above_it() -> None:
    assert violations() == []


def test_the_entry_layer_is_above_every_other() -> None:
    assert LAYER[ENTRY] > max(level for package, level in LAYER.items() if package != ENTRY)


def test_the_check_catches_upward_and_sideways_imports(tmp_path: Path) -> None:
    """The rule itself can fail: each kind of wrong import is reported."""
    for package in LAYER:
        (tmp_path / package).mkdir()
    (tmp_path / "core" / "bad.py").write_text("from index.store import Store\n")
    (tmp_path / "index" / "bad.py").write_text("from assistant.pipeline import Assistant\n")
    (tmp_path / "ui" / "bad.py").write_text("import evals.runner\nfrom cli import main\n")
    (tmp_path / "evals" / "bad.py").write_text("import training.train\n")
    (tmp_path / "training" / "bad.py").write_text("import ui.app\nimport assistant.__main__\n")
    (tmp_path / "assistant" / "__main__.py").write_text("from ui.app import serve\n")
    (tmp_path / "index" / "__main__.py").write_text("from cli import main\n")
    (tmp_path / "cli" / "main.py").write_text(
        "import ui.app\nimport evals.cli\nimport training.x\n"
    )
    assert sorted(violations(tmp_path)) == [
        "assistant.__main__ imports ui.app, not the entry layer cli",
        "core.bad imports index.store",
        "evals.bad imports training.train",
        "index.bad imports assistant.pipeline",
        "training.bad imports the program assistant.__main__",
        "training.bad imports ui.app",
        "ui.bad imports cli",
        "ui.bad imports evals.runner",
    ]
