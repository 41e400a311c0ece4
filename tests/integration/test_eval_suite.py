"""The eval command end to end: real store, real embedder, real llama-index baselines.

The golden-format run reuses the session's indexed default corpus (its own corpus, so the
collection may be named); the LlamaIndex run indexes the AlexNet PDF into a collection named
after the dataset, five questions only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from evals.aggregate import KS
from evals.metrics import document_labels, ranking, refusal_scores

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "eval_golden_small.jsonl"
ALEXNET = ROOT.parent / "shared" / "corpora" / "history-of-alexnet"


def _run(capsys, argv: list[str]) -> tuple[int, dict]:
    capsys.readouterr()
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {"text": out}


@pytest.fixture(scope="module")
def golden_run(corpus_settings, tmp_path_factory, output_dir):
    """One golden-format run over the session store, gated on a thresholds file of our own."""
    base = tmp_path_factory.mktemp("eval-golden")
    thresholds = base / "thresholds.json"
    thresholds.write_text(
        json.dumps(
            {
                "gate": {"citation_precision": {"min": 0.0}, "hit_rate@5": {"min": 1.01}},
                "subsets": {
                    "mini": {
                        "per_type": {
                            "answerable": 3,
                            "unanswerable": 2,
                            "followup": 2,
                            "hostile": 2,
                        }
                    }
                },
            }
        )
    )
    out = output_dir / "eval-golden-run"
    argv = [
        "eval",
        "--dataset",
        str(FIXTURE),
        "--subset",
        "mini",
        "--thresholds",
        str(thresholds),
        "--gate",
        "--json",
        "--no-progress",
        "--store",
        corpus_settings.store,
        "--collection",
        corpus_settings.collection,
        "--out",
        str(out),
        "--cache",
        str(output_dir / "eval-cache.sqlite3"),
    ]
    return argv, out


def test_golden_run_reports_ours_and_baselines(golden_run, capsys):
    argv, out = golden_run
    code, data = _run(capsys, argv)
    assert code == 1, "the gate demands hit_rate@5 >= 1.01, so it must fail"
    checks = {c["metric"]: c["ok"] for c in data["gate"]["checks"]}
    assert checks == {"citation_precision": True, "hit_rate@5": False}

    for key in [
        "hit_rate@5",
        "mrr",
        "ndcg@5",
        "citation_precision",
        "refusal_recall",
        "baselines.llamaindex_default.hit_rate@5",
        "baselines.bm25.mrr",
        "ratios.llamaindex_default.hit_rate@5",
        "latency_ms.total.p50",
        "latency_ms.total.p95",
    ]:
        assert key in data, key
    assert data["questions"] == 9 and data["questions.hostile"] == 2
    assert data["baselines"]["bm25"]["mrr"] == data["baselines.bm25.mrr"]

    report = json.loads((out / "report.json").read_text())
    rows = report["rows"]
    # The figures are what the rows say: recompute hit@5, MRR and refusal scores from them.
    scored = [r for r in rows if r["expected_documents"]]
    hits = [
        ranking(
            document_labels([p["document_id"] for p in r["retrieved"]], r["expected_documents"]),
            len(r["expected_documents"]),
            KS,
        )
        for r in scored
    ]
    assert data["hit_rate@5"] == pytest.approx(sum(h["hit@5"] for h in hits) / len(hits))
    assert data["mrr"] == pytest.approx(sum(h["rr"] for h in hits) / len(hits))
    precision, recall = refusal_scores(
        [r["must_refuse"] for r in rows], [r["refused"] for r in rows]
    )
    assert (data["refusal_precision"], data["refusal_recall"]) == (precision, recall)
    for name in ("llamaindex_default", "bm25"):
        theirs = [r["baselines"][name] for r in scored]
        assert all(len(b["retrieved"]) <= 2 for b in theirs)  # llama-index's default top 2
        expected = sum(b["retrieval"]["document"]["hit@5"] for b in theirs) / len(theirs)
        assert data[f"baselines.{name}.hit_rate@5"] == pytest.approx(expected)

    blank = next(r for r in rows if r["id"] == "fx-host-02")
    assert blank["refused"] and "empty" in blank["error"]
    answered = [r for r in rows if not r["refused"]]
    assert answered, "some fixture question should be answered"
    for row in answered:
        assert row["evidence"]["score"] >= report["meta"]["refusal_threshold"]
        assert row["citations"] and all("supported" in c for c in row["citations"])
        assert row["timings_ms"]["total"] > 0
    assert report["meta"]["ingest"]["chunks_embedded"] == 0  # the corpus was already indexed
    html = (out / "report.html").read_text()
    assert html.count("<svg") == 3 and "Failures" in html
    assert len((out / "rows.jsonl").read_text().splitlines()) == 9


def test_rag_dataset_limit_writes_predictions_and_compare(tmp_path, capsys, output_dir):
    if not (ALEXNET / "rag_dataset.json").is_file():
        pytest.fail(f"{ALEXNET} is missing (../shared must sit beside the repo)")
    store = str(tmp_path / "store")
    common = [
        "--dataset",
        str(ALEXNET / "rag_dataset.json"),
        "--limit",
        "5",
        "--store",
        store,
        "--create",
        "--json",
        "--no-progress",
        "--cache",
        str(output_dir / "eval-cache.sqlite3"),
    ]
    first, second = output_dir / "eval-rag-1", tmp_path / "eval-rag-2"
    code, data = _run(capsys, ["eval", *common, "--out", str(first)])
    assert code == 0
    assert data["collection"] == "eval_history-of-alexnet"
    assert data["questions"] == 5
    for key in [
        "passage_hit_rate@5",
        "passage_mrr",
        "passage_ndcg@5",
        "answer_similarity",
        "baselines.llamaindex_default.passage_hit_rate@5",
        "baselines.bm25.passage_mrr",
        "baselines.bm25.top_text_answer_similarity",
    ]:
        assert data[key] is not None, key
    assert 0.0 <= data["passage_ndcg@5"] <= 1.0 and 0.0 <= data["answer_similarity"] <= 1.0

    predictions = json.loads((first / "predictions.json").read_text())["predictions"]
    source = json.loads((ALEXNET / "rag_dataset.json").read_text())["examples"][:5]
    assert len(predictions) == len(source)
    report = json.loads((first / "report.json").read_text())
    for prediction, row in zip(predictions, report["rows"]):
        assert set(prediction) == {"response", "contexts"}
        assert prediction["response"] == row["answer"]
        assert all(isinstance(c, str) and c for c in prediction["contexts"])
        assert row["expected_documents"] == ["HistoryOfAlexnet.pdf"]
        assert all(p["page"] for p in row["retrieved"])  # PDF passages carry page numbers
    assert report["meta"]["ingest"]["skipped"][0]["path"] == "rag_dataset.json"

    # Re-running is cheap (nothing re-embedded) and gives the same figures.
    code, again = _run(capsys, ["eval", *common, "--out", str(second), "--no-baselines"])
    assert code == 0
    assert (
        json.loads((second / "report.json").read_text())["meta"]["ingest"]["chunks_embedded"] == 0
    )
    code, diff = _run(capsys, ["eval", "compare", str(first), str(second), "--json"])
    assert code == 0
    verdicts = {c["metric"]: c["verdict"] for c in diff["metrics"]}
    assert verdicts["passage_mrr"] == "same" and verdicts["hit_rate@5"] == "same"
    assert verdicts["baselines.bm25.passage_mrr"] == "removed"


def test_dataset_corpus_never_goes_into_the_default_collection(tmp_path, capsys):
    code = main(
        [
            "eval",
            "--dataset",
            str(ALEXNET / "rag_dataset.json"),
            "--limit",
            "1",
            "--store",
            str(tmp_path / "s"),
            "--create",
            "--collection",
            "council_docs",
        ]
    )
    assert code == 1
    assert "own collection" in capsys.readouterr().err
