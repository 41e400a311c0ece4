"""The eval suite's maths and plumbing on hand-made cases (no models, no stores)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from core.errors import ConfigError
from evals import aggregate, metrics
from evals.compare import compare, compare_text, load_run
from evals.dataset import (
    EvalItem,
    collection_name,
    golden_items,
    load_dataset,
    select,
    write_predictions,
)
from evals.gate import check_gate, gate_text
from evals.judge import Judge, _openai_completion, parse_score

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "eval_golden_small.jsonl"


# --- ranking ---------------------------------------------------------------------------------


def test_ranking_counts_each_relevant_item_once():
    # ranks: miss, doc a, doc a again (no new gain), doc b
    result = metrics.ranking([None, "a", "a", "b"], n_relevant=2, ks=(1, 2, 5))
    assert result["rr"] == 0.5
    assert result["hit@1"] == 0.0 and result["hit@2"] == 1.0 and result["hit@5"] == 1.0
    ideal = 1 + 1 / math.log2(3)
    assert result["ndcg@2"] == pytest.approx((1 / math.log2(3)) / ideal)
    assert result["ndcg@5"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)


def test_ranking_perfect_and_empty():
    assert metrics.ranking(["a", "b"], 2, (1, 5)) == {
        "rr": 1.0,
        "hit@1": 1.0,
        "ndcg@1": 1.0,
        "hit@5": 1.0,
        "ndcg@5": 1.0,
    }
    nothing = metrics.ranking([None, None], 1, (5,))
    assert nothing == {"rr": 0.0, "hit@5": 0.0, "ndcg@5": 0.0}
    assert metrics.ranking([], 0, (5,))["ndcg@5"] == 0.0


def test_ranking_ideal_is_capped_by_k():
    # 3 relevant items but k=1: a hit at rank 1 is perfect
    assert metrics.ranking(["a"], 3, (1,))["ndcg@1"] == 1.0


def test_document_labels():
    assert metrics.document_labels(["x.md", "y.md", "x.md"], ["x.md"]) == ["x.md", None, "x.md"]


# --- passages ---------------------------------------------------------------------------------

PAGE = (
    "Supervised learning is a learning technique that uses labeled data. In the case of "
    "supervised approaches the environment has a set of inputs and corresponding outputs."
)


def test_overlap_is_containment_of_the_smaller_text():
    page, part = (
        metrics.shingles(PAGE),
        metrics.shingles("a learning technique that uses labeled data"),
    )
    assert metrics.overlap(part, page) == 1.0
    assert metrics.overlap(page, metrics.shingles("nothing alike here at all")) == 0.0
    assert metrics.overlap(frozenset(), page) == 0.0


def test_passage_labels_match_by_overlap_and_pick_the_best_context():
    contexts = ["Completely different text about council tax bands and rates.", PAGE]
    labels = metrics.passage_labels(
        [
            "the environment has a set of inputs and corresponding outputs",
            "bananas are yellow fruit",
        ],
        contexts,
    )
    assert labels == [1, None]
    # whitespace and punctuation differences (PDF extraction) do not matter
    assert metrics.passage_labels(
        ["Supervised  learning is a\nlearning technique, that uses"], [PAGE]
    ) == [0]


# --- answers ----------------------------------------------------------------------------------


def test_key_facts_alternatives_case_and_markers():
    answer = "Use the UPRN [1] standard. It’s the Unique Property Reference Number [2]."
    found = metrics.key_facts_found(
        answer, ["uprn standard", "unique property reference number|upn", "it's the", "postcode"]
    )
    assert found == [True, True, True, False]


def test_forbidden_text():
    assert metrics.forbidden_found("My SYSTEM prompt: be nice", ["system prompt:", "secret"]) == [
        "system prompt:"
    ]


def test_refusal_scores():
    assert metrics.refusal_scores([True, True, False, False], [True, False, True, False]) == (
        0.5,
        0.5,
    )
    assert metrics.refusal_scores([True, False], [False, False]) == (None, 0.0)
    assert metrics.refusal_scores([False, False], [True, False]) == (0.0, None)


def test_citation_scores_pairs_and_coverage():
    passages = {1: "alpha beta", 2: "gamma"}
    sentences = [("alpha", [1]), ("gamma", [1, 2]), ("no citation here", []), ("ghost", [7])]
    result = metrics.citation_scores(sentences, passages, lambda s, p: s in p)
    assert (result["pairs"], result["supported"]) == (4, 2)
    assert (result["sentences"], result["cited_sentences"]) == (4, 3)
    assert {(u["sentence"], u["n"]) for u in result["unsupported"]} == {("gamma", 1), ("ghost", 7)}


def test_answer_sentences_end_claims_at_closing_citations():
    from evals.scoring import answer_sentences

    text = (
        "Users expect it all day [1]. - make sure no one is excluded [2]. X is big [1] and Y [2]."
    )
    assert answer_sentences(text) == [
        ("Users expect it all day .", [1]),
        ("- make sure no one is excluded .", [2]),
        ("X is big and Y .", [1, 2]),
    ]
    assert answer_sentences("Plain claim. [3]") == [("Plain claim.", [])]


def test_memo_embedder_embeds_each_text_once():
    from evals.scoring import MemoEmbedder

    calls: list[list[str]] = []

    class Fake:
        def get_text_embedding_batch(self, texts):
            calls.append(list(texts))
            return [[float(len(t)), 1.0] for t in texts]

    memo = MemoEmbedder(Fake(), limit=3)
    assert memo.get_text_embedding_batch(["ab", "c", "ab"]) == [[2.0, 1.0], [1.0, 1.0], [2.0, 1.0]]
    assert memo.get_text_embedding_batch(["c", "ab"]) == [[1.0, 1.0], [2.0, 1.0]]
    assert calls == [["ab", "c"]]
    memo.get_text_embedding_batch(["d", "e"])  # over the limit: the memo starts afresh
    assert calls[-1] == ["d", "e"] and len(memo.vectors) == 2


def test_percentile_interpolates_like_numpy():
    values = [10.0, 1.0, 4.0, 7.0]
    assert metrics.percentile(values, 50) == pytest.approx(5.5)
    assert metrics.percentile(values, 95) == pytest.approx(9.55)
    assert metrics.percentile([], 50) is None


def test_cosine_and_ratio():
    assert metrics.cosine([1, 0], [1, 0]) == 1.0
    assert metrics.cosine([1, 0], [0, 1]) == 0.0
    assert metrics.ratio(0.9, 0.6) == pytest.approx(1.5)
    assert metrics.ratio(0.9, 0.0) is None and metrics.ratio(None, 1.0) is None


def test_refusal_sweep():
    must = [True, True, False, True]
    table = metrics.refusal_sweep([0.1, 0.4, 0.6, None], must, [0.3, 0.5, 0.7])
    assert table == [
        {"threshold": 0.3, "precision": 1.0, "recall": 1 / 3},
        {"threshold": 0.5, "precision": 1.0, "recall": 2 / 3},
        {"threshold": 0.7, "precision": 2 / 3, "recall": 2 / 3},
    ]
    # a row refused whatever the threshold (e.g. an empty question) stays refused
    fixed = metrics.refusal_sweep([0.1, 0.4, 0.6, None], must, [0.3], [False, False, False, True])
    assert fixed == [{"threshold": 0.3, "precision": 1.0, "recall": 2 / 3}]


def test_sweep_holds_late_refusals_fixed():
    rows = [
        {"error": None, "evidence": {"score": 0.8}, "refused": True, "must_refuse": True},
        {"error": None, "evidence": {"score": 0.2}, "refused": True, "must_refuse": True},
        {"error": None, "evidence": {"score": 0.9}, "refused": False, "must_refuse": False},
        {"error": "empty", "evidence": None, "refused": True, "must_refuse": True},
    ]
    table = {s["threshold"]: s for s in aggregate.sweep(rows, threshold=0.5)}
    assert table[0.1]["recall"] == 2 / 3  # row 2 would be drafted; rows 1 and 4 stay refused
    assert table[0.3]["recall"] == 1.0 and table[0.3]["precision"] == 1.0
    assert table[0.95]["precision"] == 3 / 4


# --- aggregation ------------------------------------------------------------------------------


def _row(rid, kind="answerable", refused=False, must_refuse=False, hit=1.0, pairs=(2, 2), **extra):
    document = (
        None
        if must_refuse
        else {
            "rr": hit,
            **{f"hit@{k}": hit for k in aggregate.KS},
            **{f"ndcg@{k}": hit for k in aggregate.KS},
        }
    )
    row = {
        "id": rid,
        "type": kind,
        "refused": refused,
        "must_refuse": must_refuse,
        "retrieval": {"document": document, "passage": None, "section_hit": None},
        "key_facts": {"recall": None if must_refuse else 1.0},
        "answer_similarity": None,
        "forbidden_found": [],
        "judge": None,
        "citation": {
            "pairs": pairs[0],
            "supported": pairs[1],
            "sentences": 2,
            "cited_sentences": 2,
        },
        "timings_ms": {"total": 100.0, "retrieve": 10.0},
        "evidence": {"score": 0.5},
        "error": None,
        "passed": True,
        "baselines": {},
    }
    row.update(extra)
    return row


def _baseline(hit):
    return {
        "retrieval": {
            "document": {
                "rr": hit,
                **{f"hit@{k}": hit for k in aggregate.KS},
                **{f"ndcg@{k}": hit for k in aggregate.KS},
            },
            "passage": None,
        },
        "top_text_key_fact_recall": 0.5,
        "top_text_answer_similarity": None,
        "latency_ms": 2.0,
    }


def test_summarise_figures_and_flat_baseline_keys():
    rows = [
        _row("a", baselines={"bm25": _baseline(1.0)}),
        _row("b", hit=0.0, pairs=(2, 1), baselines={"bm25": _baseline(0.0)}),
        _row("c", kind="unanswerable", refused=True, must_refuse=True, pairs=(0, 0), baselines={}),
        _row("d", kind="followup", refused=True, passed=False, baselines={"bm25": _baseline(1.0)}),
    ]
    flat = aggregate.summarise(rows, ["bm25"])
    assert flat["hit_rate@5"] == pytest.approx(2 / 3)
    assert flat["baselines.bm25.hit_rate@5"] == pytest.approx(2 / 3)
    assert flat["ratios.bm25.hit_rate@5"] == pytest.approx(1.0)
    assert flat["citation_precision"] == pytest.approx(3 / 4)  # answered rows a, b: 3 of 4 pairs
    assert flat["refusal_precision"] == 0.5 and flat["refusal_recall"] == 1.0
    assert flat["false_refusal_rate"] == pytest.approx(1 / 3)
    assert flat["followup_success"] == 0.0
    assert flat["pass_rate"] == 0.75
    assert flat["latency_ms.total.p50"] == 100.0
    assert flat["questions"] == 4 and flat["questions.unanswerable"] == 1
    assert flat["retrieval_questions"] == 3
    tree = aggregate.nested(flat)
    assert tree["baselines"]["bm25"]["hit_rate@5"] == flat["baselines.bm25.hit_rate@5"]


# --- gate and compare ----------------------------------------------------------------------------


def test_gate_pass_fail_and_unmeasured():
    thresholds = {
        "gate": {
            "hit_rate@5": {"min": 0.95},
            "citation_precision": {"min": 1.0},
            "refusal_recall": {"min": 0.9},
            "latency_ms.total.p95": {"max": 500},
        }
    }
    flat = {
        "hit_rate@5": 0.96,
        "citation_precision": 0.999,
        "refusal_recall": None,
        "latency_ms.total.p95": 400,
    }
    result = check_gate(flat, thresholds)
    verdicts = {c["metric"]: c["ok"] for c in result["checks"]}
    assert verdicts == {
        "hit_rate@5": True,
        "citation_precision": False,
        "refusal_recall": False,
        "latency_ms.total.p95": True,
    }
    assert not result["passed"]
    assert "not measured" in gate_text(result)
    assert check_gate({"hit_rate@5": 1.0}, {"gate": {"hit_rate@5": {"min": 1.0}}})["passed"]


def test_repo_thresholds_and_ci_subset():
    data = json.loads((ROOT / "evals" / "thresholds.json").read_text())
    assert data["gate"]["hit_rate@5"]["min"] >= 0.95
    assert data["gate"]["refusal_precision"]["min"] >= 0.95
    assert data["gate"]["refusal_recall"]["min"] >= 0.95
    assert data["gate"]["citation_precision"]["min"] == 1.0
    items = golden_items(ROOT / "evals" / "golden.jsonl")
    chosen = select(items, subset=data["subsets"]["ci"])
    assert 15 <= len(chosen) <= 35
    assert {i.type for i in chosen} == {"answerable", "unanswerable", "followup", "hostile"}


def test_compare_runs(tmp_path):
    a = {
        "metrics": {"mrr": 0.5, "latency_ms.total.p50": 100.0, "pass_rate": 1.0, "old": 1.0},
        "rows": [{"id": "x", "passed": True}, {"id": "y", "passed": False}],
    }
    b = {"mrr": 0.75, "latency_ms.total.p50": 120.0, "pass_rate": 1.0, "new": 2.0}
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "report.json").write_text(json.dumps(a))
    (tmp_path / "b.json").write_text(json.dumps(b))
    result = compare(load_run(tmp_path / "run"), load_run(tmp_path / "b.json"))
    verdicts = {c["metric"]: c["verdict"] for c in result["metrics"]}
    assert verdicts == {
        "mrr": "better",
        "latency_ms.total.p50": "worse",
        "pass_rate": "same",
        "old": "removed",
        "new": "added",
    }
    assert "WORSE" in compare_text(result)
    rows_b = {"metrics": b, "rows": [{"id": "x", "passed": False}, {"id": "y", "passed": True}]}
    (tmp_path / "c.json").write_text(json.dumps(rows_b))
    result = compare(load_run(tmp_path / "run"), load_run(tmp_path / "c.json"))
    assert result["newly_failing"] == ["x"] and result["newly_passing"] == ["y"]
    with pytest.raises(ConfigError):
        load_run(tmp_path / "missing.json")


# --- datasets ---------------------------------------------------------------------------------


def test_golden_fixture_loads():
    items = golden_items(FIXTURE)
    assert {i.type for i in items} == {"answerable", "unanswerable", "followup", "hostile"}
    followup = next(i for i in items if i.type == "followup")
    assert followup.history and followup.history[0].question
    assert all(i.must_refuse for i in items if i.type == "unanswerable")


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"id": "a", "type": "rumour", "question": "q"}', "type"),
        ('{"type": "answerable", "question": "q"}', "id"),
        ("not json", "bad golden row"),
    ],
)
def test_golden_errors_name_the_line(tmp_path, line, message):
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "ok", "question": "fine?"}\n' + line + "\n")
    with pytest.raises(ConfigError, match=rf"g.jsonl:2: .*{message}"):
        golden_items(path)


def test_duplicate_ids_rejected(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "a", "question": "x"}\n{"id": "a", "question": "y"}\n')
    with pytest.raises(ConfigError, match="duplicate"):
        golden_items(path)


def test_rag_dataset_and_default_collection(tmp_path):
    folder = tmp_path / "My Data!"
    folder.mkdir()
    path = folder / "rag_dataset.json"
    path.write_text(
        json.dumps(
            {
                "examples": [
                    {
                        "query": "Q1?",
                        "reference_contexts": ["ctx"],
                        "reference_answer": "A1",
                        "query_by": None,
                    },
                    {"query": "Q2?", "reference_contexts": [], "reference_answer": ""},
                ]
            }
        )
    )
    dataset = load_dataset(path, None, tmp_path)
    assert dataset.kind == "rag" and dataset.corpus == folder
    assert [i.question for i in dataset.items] == ["Q1?", "Q2?"]
    assert dataset.items[0].reference_contexts == ("ctx",)
    assert dataset.default_collection(tmp_path) == "eval_My-Data"
    elsewhere = load_dataset(path, tmp_path / "docs", tmp_path)
    assert elsewhere.default_collection(tmp_path) == "eval_My-Data-docs"
    golden = load_dataset(FIXTURE, None, tmp_path)
    assert golden.kind == "golden" and golden.corpus == tmp_path
    assert golden.default_collection(tmp_path) == "eval_golden_small"
    assert golden.default_collection(tmp_path / "other") == f"eval_golden_small-{tmp_path.name}"
    bad = tmp_path / "x.json"
    bad.write_text("[]")
    with pytest.raises(ConfigError, match="LabelledRagDataset"):
        load_dataset(bad, None, tmp_path)


def test_collection_names_are_valid_for_chroma():
    import re

    for base in ["a", "golden", "weird name/with:chars", "x" * 100, "eval_thing", "---"]:
        name = collection_name(base)
        assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,61}[a-zA-Z0-9]", name), name


def test_select_subset_and_limit():
    items = [EvalItem(f"{t}{n}", t, "q") for t in ("answerable", "hostile") for n in range(3)]
    chosen = select(items, subset={"per_type": {"answerable": 2, "hostile": 1}})
    assert [i.id for i in chosen] == ["answerable0", "answerable1", "hostile0"]
    assert [i.id for i in select(items, subset={"ids": ["hostile2", "answerable0"]})] == [
        "answerable0",
        "hostile2",
    ]
    assert len(select(items, limit=4)) == 4


def test_predictions_are_llamaindex_prediction_json(tmp_path):
    path = tmp_path / "predictions.json"
    write_predictions(path, [("Answer one [1].", ["ctx a", "ctx b"]), ("No answer.", [])])
    data = json.loads(path.read_text())
    assert data == {
        "predictions": [
            {"response": "Answer one [1].", "contexts": ["ctx a", "ctx b"]},
            {"response": "No answer.", "contexts": []},
        ]
    }


# --- report escaping --------------------------------------------------------------------------


def test_report_escapes_dataset_and_answer_text(tmp_path):
    from evals.report import write_report
    from evals.runner import EvalRun

    evil = "<script>alert('x')</script> | pipe"
    row = _row(
        "r<1>",
        passed=False,
        failures=[f"missing key facts: {evil}"],
        question=evil,
        answer=f"{evil} [1].",
        history=[],
        standalone_question=evil,
        citations=[
            {
                "n": 1,
                "document_id": "<b>doc</b>.md",
                "section": evil,
                "page": 3,
                "chunk_id": "c",
                "supported": False,
            }
        ],
    )
    meta = {
        "dataset": evil,
        "dataset_kind": "golden",
        "questions_selected": 1,
        "questions_in_dataset": 1,
        "corpus": "c",
        "documents": 1,
        "collection": "eval_x",
        "store": "s",
        "backend": "extractive",
        "embed_model": "m",
        "refusal_threshold": 0.5,
        "started": "now",
        "git_commit": None,
        "seconds": {"total": 1.0},
        "judge": {"status": "skipped", "reason": "extractive"},
        "baselines": {"names": [], "note": evil},
    }
    run = EvalRun(meta, aggregate.summarise([row], []), [row], aggregate.sweep([row], 0.5))
    paths = write_report(run, tmp_path, check_gate({}, {"gate": {"mrr": {"min": 0.1}}}))
    page = Path(paths["html"]).read_text()
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<b>doc</b>" not in page and "NOT SUPPORTED" in page
    assert page.count("<svg") == 2  # no refusal sweep chart: nothing had to be refused
    md = Path(paths["markdown"]).read_text()
    assert "<script>" not in md and "\\| pipe" in md
    data = json.loads(Path(paths["json"]).read_text())
    assert data["rows"][0]["question"] == evil  # JSON keeps the raw text
    assert not (tmp_path / "predictions.json").exists()


# --- judge ------------------------------------------------------------------------------------


def test_parse_score():
    assert parse_score("SCORE: 5") == 1.0
    assert parse_score("I think... score = 2") == 0.25
    assert parse_score("3") == 0.5
    assert parse_score("SCORE: 9") is None and parse_score("great answer") is None


def test_openai_judge_talks_to_a_chat_completions_endpoint():
    seen: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server API
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"), **body})
            reply = json.dumps({"choices": [{"message": {"content": "SCORE: 4"}}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        from core.settings import AnswerSettings

        cfg = AnswerSettings(
            backend="openai",
            base_url=f"http://127.0.0.1:{server.server_port}/v1",
            api_key="k",
            model="m",
            timeout_s=5,
        )
        judge = Judge(_openai_completion(cfg), "openai:m")
        assert judge.faithfulness("An answer [1].", ["passage text"]) == (0.75, "SCORE: 4")
        assert judge.correctness("Q?", "An answer.", "Reference") == (0.75, "SCORE: 4")
    finally:
        server.shutdown()
    assert seen[0]["path"] == "/v1/chat/completions" and seen[0]["auth"] == "Bearer k"
    assert seen[0]["temperature"] == 0 and "passage text" in seen[0]["messages"][0]["content"]


# --- CLI --------------------------------------------------------------------------------------


def test_eval_cli_module_is_import_light():
    code = (
        "import sys, evals.cli; heavy = [m for m in ('torch', 'llama_index', 'chromadb', 'numpy')"
        " if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == ""


def test_eval_arguments_parse():
    from cli import build_parser

    args = build_parser().parse_args(["eval", "--limit", "5", "--gate", "--json", "--subset", "ci"])
    assert (args.limit, args.gate, args.json, args.subset, args.action) == (5, True, True, "ci", [])
    args = build_parser().parse_args(["eval", "compare", "runs/a", "runs/b"])
    assert args.action == ["compare", "runs/a", "runs/b"]
