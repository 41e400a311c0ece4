"""The golden-set validator (evals/validate_golden.py) on a tiny corpus, and on the shipped sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.validate_golden import main, validate

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"

PAGE = """---
title: Choosing a tool
description: Only the front matter says fictional phrase here.
---

Opening words before any heading.

## Check the radar

A tool that is not on the radar is **not banned**. Ask the team &amp; wait.

## Turn on privacy settings

Turn off model training and chat history.

<h2 class="govuk-heading-m">What the colours mean</h2>
<p class="govuk-body">Amber means not proven yet.</p>
"""

GOOD = {
    "id": "a-001",
    "type": "answerable",
    "question": "Is a tool missing from the radar forbidden?",
    "history": [],
    "expected_documents": ["guide/choosing.md"],
    "expected_section": "check the radar",
    "key_facts": ["not banned|not on the radar"],
    "must_refuse": False,
    "notes": "Check the radar.",
}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "guide").mkdir(parents=True)
    (root / "guide" / "choosing.md").write_text(PAGE, encoding="utf-8")
    (root / "form.md").write_text("---\ntitle: What is your email?\n---\n", encoding="utf-8")
    (root / "LICENCE").write_text("Open Government Licence", encoding="utf-8")
    return root


def problems(tmp_path: Path, corpus: Path, *rows: dict | str) -> list[str]:
    path = tmp_path / "set.jsonl"
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return validate(path, corpus)


def test_a_true_row_passes(tmp_path, corpus):
    amber = {
        **GOOD,
        "id": "a-002",
        "question": "What does amber mean?",
        "expected_section": "colours",
        "key_facts": ["not proven yet"],
    }
    entity = {**GOOD, "id": "a-003", "expected_section": "", "key_facts": ["team & wait"]}
    refused = {
        **GOOD,
        "id": "u-001",
        "type": "unanswerable",
        "expected_documents": [],
        "expected_section": "",
        "key_facts": [],
        "must_refuse": True,
    }
    assert problems(tmp_path, corpus, GOOD, amber, entity, refused) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"expected_documents": ["guide/missing.md"]}, "no such file in the corpus"),
        ({"expected_documents": ["form.md"]}, "only front matter"),
        ({"expected_documents": ["LICENCE"]}, "the ingest skips this file"),
        ({"key_facts": ["fictional phrase"]}, "not in an expected document's cleaned text"),
        ({"key_facts": ["not approved"]}, "not in an expected document's raw text"),
        ({"key_facts": ["not banned|fictional phrase"]}, "cleaned text"),
        ({"key_facts": ["model training"]}, "is not under section 'check the radar'"),
        ({"key_facts": ["radar"]}, "already in the question"),
        ({"key_facts": ["is not on the radar is"]}, "longer than 4 words"),
        ({"key_facts": []}, "needs at least one key fact"),
        ({"expected_section": "Choose wisely"}, "is no heading of them"),
        ({"must_refuse": True}, "expects no documents, facts or section"),
        ({"type": "unanswerable"}, "must have must_refuse: true"),
        ({"type": "followup"}, "every follow-up needs one"),
        ({"history": [{"question": "x", "answer": ""}]}, "history belongs on follow-up rows"),
        ({"must_not_contain": ["x"]}, "must_not_contain is for hostile rows"),
        ({"type": "quiz"}, "is not one of"),
        ({"notes": ""}, "no notes"),
        ({"colour": "red"}, "unknown key 'colour'"),
    ],
)
def test_each_broken_rule_is_named(tmp_path, corpus, change, message):
    found = problems(tmp_path, corpus, {**GOOD, **change})
    assert any(message in p for p in found), found


def test_missing_keys_duplicates_and_bad_json(tmp_path, corpus):
    short = {k: v for k, v in GOOD.items() if k != "notes"}
    found = problems(tmp_path, corpus, GOOD, GOOD, "{not json", short | {"id": "a-009"})
    assert any("duplicate id (first on line 1)" in p for p in found)
    assert any(p.startswith("3: not valid JSON") for p in found)
    assert any("missing key 'notes'" in p for p in found)


def test_exit_status(tmp_path, corpus, capsys):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps(GOOD) + "\n", encoding="utf-8")
    assert main([str(path), "--corpus", str(corpus)]) == 0
    assert "ok: 0 problem(s); answerable 1" in capsys.readouterr().out
    path.write_text(json.dumps({**GOOD, "key_facts": ["absent words"]}) + "\n", encoding="utf-8")
    assert main([str(path), "--corpus", str(corpus)]) == 1
    assert main([str(path), "--corpus", str(tmp_path / "nowhere")]) == 2


@pytest.mark.parametrize(
    ("dataset", "corpus"),
    [
        pytest.param(
            "golden.jsonl",
            "corpus",
            marks=pytest.mark.xfail(
                strict=True,
                reason="wikisc-001 has the key fact 'CityVerve', a word of its question",
            ),
        ),
        ("golden_defra.jsonl", "corpora/defra-ai-toolkit"),
    ],
)
def test_shipped_golden_sets_are_true_of_their_corpora(dataset, corpus):
    if not (SHARED / corpus).is_dir():
        pytest.skip(f"../shared/{corpus} is not here")
    assert validate(ROOT / "evals" / dataset, SHARED / corpus) == []
