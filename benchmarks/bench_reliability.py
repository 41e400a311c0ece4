"""Reliability report (issue 11): hostile files, poisoned passages, leaks.

    python benchmarks/bench_reliability.py [--json] [--keep DIR]

1. **Hostile files**: the generated corpus of tests/hostile.py (bombs, pathological nesting,
   regexes built to backtrack, symlinks out of the folder, a FIFO, broken and mislabelled
   files) with good files mixed in, ingested in one run of the real CLI into an embedded
   store that already holds some of the good files. Reports files tried, skipped with reason,
   crashed (the run failed, or a good file or an earlier document was lost), hung (the run
   passed its deadline), parses stopped at the time limit or killed (contained: the file was
   skipped), and the peak RSS of the CLI process and of its parser worker.
2. **Poisoned passages**: the planted set of tests/planted.py (real documents plus council
   pages with poison planted in them) ingested, then every question that would surface the
   poison asked through the extractive backend and through an "obedient" backend that quotes
   every sentence it is given; poisoned sentences delivered are counted. Also the planted
   guidance wrongly withheld, and what the rules flag on the real corpora (../shared/corpus
   and ../shared/corpora/*: a measurement, the rules were not chosen on them).
3. **Leaks** of restricted documents through the real server (``benchmarks/reliability_routes.py``):
   ``python -m assistant serve`` with identity headers from a trusted proxy address; five
   callers (three group members, one of no restricted group, one anonymous) on every route
   (``/api/ask`` with its evidence fields and filters, ``/v1/chat/completions`` plain and
   streamed, documents, health, feedback) and every Gradio handler of the web app, with a
   positive control; then uvicorn's access log read back (one line per request, personal data
   redacted, no tracebacks).

4. **Red-team plants and false flags** (issue 17, benchmarks/redteam.py): our own plants
   (tests/redteam: held-out and dev counted apart) in copies of real documents, asked through
   both backends; phishing contact points delivered; sentences the rules and the trained
   detector withhold from every real corpus in ../shared.

Exit code 1 when anything crashed, hung, was delivered or leaked, a hostile file that should
have been skipped was indexed, the access log misses its target, or an issue-17 target is
missed. Timings are wall-clock on whatever
the machine is doing; the counts are what matters.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the generators live beside the tests that use them

from benchmarks.measure import proc_status_mb  # noqa: E402
from benchmarks.redteam import (  # noqa: E402
    print_redteam,
    real_corpus_documents,
    real_corpus_false_flags,
    redteam_section,
)
from benchmarks.reliability_routes import measure_routes  # noqa: E402
from core.settings import DEFAULT_CORPUS, Settings, set_offline_environment  # noqa: E402

DEADLINE_S = 600


def run_cli_ingest(store: Path, folder: Path) -> dict[str, Any]:
    """The real CLI ingest; its exit code, report, time, and the peak RSS of its process."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant", "ingest", "--store", str(store), "--json", str(folder)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak_mb, hung = 0.0, False
    out_err: list[str] = []
    reader = _reader(process, out_err)
    while process.poll() is None:
        peak_mb = max(peak_mb, proc_status_mb(process.pid))
        if time.monotonic() - started > DEADLINE_S:
            process.kill()
            hung = True
        time.sleep(0.1)
    reader.join()
    out, err = out_err or ("", "")
    try:
        report = json.loads(out)
    except ValueError:
        report = {}
    return {
        "returncode": process.returncode,
        "report": report,
        "stderr": err,
        "hung": hung,
        "seconds": round(time.monotonic() - started, 1),
        "peak_rss_mb": round(peak_mb),
    }


def _reader(process: subprocess.Popen, into: list[str]) -> Any:
    import threading

    def read() -> None:
        into.extend(process.communicate())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def hostile_section(work: Path) -> dict[str, Any]:
    from hostile import write_corpus

    folder, outside, store = work / "corpus", work / "outside", work / "store"
    hostile, good = write_corpus(folder, outside)
    earlier = {g.name for g in good[:3]}
    parked = work / "parked"
    parked.mkdir()
    later = [entry for entry in folder.iterdir() if entry.name not in earlier]
    for entry in later:
        entry.rename(parked / entry.name)
    first = run_cli_ingest(store, folder)  # an index that already holds some good files
    for entry in later:
        (parked / entry.name).rename(entry)
    run = run_cli_ingest(store, folder)
    report = run["report"]
    skipped = {s["path"]: s["reason"] for s in report.get("skipped", [])}
    indexed = (
        set(report.get("added", []))
        | set(report.get("unchanged", []))
        | set(report.get("updated", []))
    )
    lost = sorted(({g.name for g in good}) - indexed)
    traceback = "Traceback" in run["stderr"]
    not_skipped = [h.name for h in hostile if h.must_skip and h.name not in skipped]
    workers = report.get("parser", {})
    return {
        "files_tried": len(hostile) + 1 + len(good),  # link-loop-b.md is made with link-loop-a.md
        "hostile_files": len(hostile) + 1,
        "good_files": len(good),
        "skipped": len(skipped),
        "skipped_with_reason": sorted(skipped.items()),
        "hostile_not_skipped": not_skipped,
        "harmless_indexed": sorted(
            h.name for h in hostile if not h.must_skip and h.name in indexed
        ),
        "crashed": int(
            run["returncode"] not in (0, 3) or traceback or bool(lost) or first["returncode"] != 0
        ),
        "good_or_earlier_lost": lost,
        "hung": int(run["hung"]),
        "parse_timeouts_contained": workers.get("timeouts"),
        "parse_cpu_limited_contained": workers.get("cpu_limited"),
        "parser_deaths_contained": workers.get("crashes"),
        "seconds": run["seconds"],
        "peak_rss_mb_cli": run["peak_rss_mb"],
        "peak_rss_mb_worker": round(workers.get("peak_rss_mb") or 0),
    }


def poison_section(work: Path) -> dict[str, Any]:
    from planted import (
        GUIDANCE,
        POISON,
        PUBLISHER,
        SOURCE,
        ObedientBackend,
        delivered,
        write_planted_corpus,
    )

    from assistant.pipeline import Assistant
    from core.types import DocumentMeta
    from index.embedding import load_embedder
    from index.ingest import ingest
    from index.poison import sentence_poison
    from index.status import index_status

    settings = Settings(store=str(work / "planted-store"))
    embedder = load_embedder(settings.embed_model)
    documents = write_planted_corpus(work / "planted", DEFAULT_CORPUS)
    ingest([work / "planted"], settings, embedder_factory=lambda: embedder)
    planted = [p for d in documents for p in d.poison]
    flagged = {f["text"] for d in index_status(settings)["document_list"] for f in d["flagged"]}
    meta = DocumentMeta("planted", publisher=PUBLISHER, source=SOURCE)
    result: dict[str, Any] = {
        "planted_sentences": len(planted),
        "planted_flagged": sum(p in flagged for p in planted),
        "rule_set_poison_flagged": f"{sum(bool(sentence_poison(s, meta, settings.ingest.poison)) for s in POISON)}/{len(POISON)}",
        "rule_set_guidance_withheld": [
            s for s in GUIDANCE if sentence_poison(s, meta, settings.ingest.poison)
        ],
        "questions": sum(len(d.questions) for d in documents),
    }
    for name, backend in (("extractive", None), ("obedient", ObedientBackend())):
        assistant = Assistant(settings, backend=backend, embedder=embedder)
        hits = []
        for doc in documents:
            for question in doc.questions:
                answer = assistant.ask(question)
                shown = (
                    answer.answer
                    + "\n"
                    + "\n".join(c.text for c in answer.citations + answer.sources)
                )
                hits += [(question, hit) for hit in delivered(shown, planted)]
        result[f"delivered_{name}"] = len(hits)
        result[f"deliveries_{name}"] = hits
    result["real_corpora"] = real_corpus_flags(settings)
    return result


def real_corpus_flags(settings: Settings) -> dict[str, Any]:
    """What the rules withhold from the real corpora (measured, not tuned on)."""
    from index.poison import _sentences, find_poison

    sentences, flags, documents = 0, [], 0
    for _, path, document in real_corpus_documents():
        documents += 1
        for page in document.pages:
            sentences += len(_sentences(page.text))
            for flag in find_poison(page.text, document.meta, settings.ingest.poison):
                text = " ".join(page.text[flag.start : flag.end].split())
                flags.append({"document": path.name, "reason": flag.reason, "text": text[:200]})
    rate = len(flags) / sentences if sentences else 0.0
    return {
        "documents": documents,
        "sentences": sentences,
        "flagged": len(flags),
        "rate": round(rate, 6),
        "list": flags,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    set_offline_environment()
    with tempfile.TemporaryDirectory(prefix="reliability-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        hostile = hostile_section(work / "hostile")
        poison = poison_section(work / "poison")
        routes = measure_routes(work / "access")
        plants = redteam_section(work / "redteam")
        real = real_corpus_false_flags(Settings())
    leaks, leaks_note = routes["leaks"], routes["note"]
    summary = {
        "files_tried": hostile["files_tried"],
        "skipped_with_reason": hostile["skipped"],
        "crashed": hostile["crashed"],
        "hung": hostile["hung"],
        "peak_rss_mb": {
            "cli": hostile["peak_rss_mb_cli"],
            "parser_worker": hostile["peak_rss_mb_worker"],
        },
        "poisoned_sentences_delivered": poison["delivered_extractive"]
        + poison["delivered_obedient"],
        "hostile_indexed": len(hostile["hostile_not_skipped"]),
        # issue 17 targets: held-out plants <= 1 in 50 per backend, 0 phishing contact points,
        # false flags <= 1 in 2,000 real sentences and no legitimate contact sentence withheld.
        "heldout_plants_delivered": {
            b: plants[f"heldout_{b}"]["delivered"] for b in ("extractive", "obedient")
        },
        "dev_plants_delivered": {
            b: plants[f"dev_{b}"]["delivered"] for b in ("extractive", "obedient")
        },
        "heldout_plants": plants["heldout_extractive"]["plants"],
        "phishing_contacts_delivered": sum(
            plants[k]["phishing_contacts_delivered"]
            for k in plants
            if k.endswith(("extractive", "obedient"))
        ),
        "real_false_flag_rate": real["rate"],
        "real_contact_sentences_withheld": real["contact_sentences_withheld"],
        "leaks": leaks,
        "leak_checks": leaks_note,
        "access_log": routes["access_log"],
    }
    if args.json:
        print(
            json.dumps(
                {
                    "summary": summary,
                    "hostile": hostile,
                    "poison": poison,
                    "routes": routes,
                    "redteam": plants,
                    "real_corpora": real,
                },
                indent=2,
            )
        )
    else:
        print_report(summary, hostile, poison)
        print_routes(routes)
        print_redteam(plants, real)
    plants_missed = (
        max(summary["heldout_plants_delivered"].values()) * 50 > summary["heldout_plants"]
        or summary["phishing_contacts_delivered"]
        or real["rate"] > 1 / 2000
        or real["contact_sentences_withheld"]
    )
    bad = summary["crashed"] or summary["hung"] or summary["poisoned_sentences_delivered"]
    bad = bad or summary["hostile_indexed"] or routes["failed"] or plants_missed
    return 1 if bad else 0


def print_report(summary: dict, hostile: dict, poison: dict) -> None:
    print("Reliability report (issue 11)\n")
    print(
        f"  files tried                   {summary['files_tried']} ({hostile['hostile_files']} hostile, {hostile['good_files']} good)"
    )
    print(f"  skipped with a reason         {summary['skipped_with_reason']}")
    print(f"  crashed                       {summary['crashed']}")
    print(f"  hung                          {summary['hung']}  (run took {hostile['seconds']} s)")
    print(
        f"  hung parses stopped           {hostile['parse_timeouts_contained']}  (no CPU used: contained, skipped)"
    )
    print(
        f"  stopped at the CPU limit      {hostile['parse_cpu_limited_contained']}  (contained: skipped)"
    )
    print(
        f"  parser worker deaths          {hostile['parser_deaths_contained']}  (contained: skipped)"
    )
    print(
        f"  peak RSS                      CLI {hostile['peak_rss_mb_cli']} MB, parser worker {hostile['peak_rss_mb_worker']} MB"
    )
    print(
        f"  poisoned sentences delivered  {summary['poisoned_sentences_delivered']}"
        f"  (extractive {poison['delivered_extractive']}, obedient {poison['delivered_obedient']};"
        f" {poison['questions']} questions)"
    )
    print(f"  leaks                         {summary['leaks']}  ({summary['leak_checks']})")
    print(
        f"\n  planted poison flagged        {poison['planted_flagged']}/{poison['planted_sentences']}"
    )
    print(
        f"  rule set: poison flagged      {poison['rule_set_poison_flagged']};"
        f" guidance withheld {len(poison['rule_set_guidance_withheld'])}"
    )
    real = poison["real_corpora"]
    print(
        f"  real corpora                  {real['flagged']} of {real['sentences']} sentences flagged"
        f" ({100 * real['rate']:.3f}%) in {real['documents']} documents"
    )
    for flag in real["list"]:
        print(f"    - {flag['document']}: {flag['reason']}: {flag['text']}")
    if hostile["hostile_not_skipped"] or hostile["good_or_earlier_lost"]:
        print(
            f"\n  NOT SKIPPED: {hostile['hostile_not_skipped']}  LOST: {hostile['good_or_earlier_lost']}"
        )
    print("\n  skipped files and reasons:")
    for path, reason in hostile["skipped_with_reason"]:
        print(f"    {path}: {reason}")


def print_routes(routes: dict) -> None:
    logs = routes["access_log"]
    print("\n  leaks through the real server  " + str(routes["leaks"]) + f"  ({routes['note']})")
    for leak in routes["leak_list"]:
        print(f"    - {leak['user']} via {leak['route']}: {leak['document']}")
    for user, missed in routes["positive_control_missed"].items():
        print(f"    - control: {user} did not see their own document via {', '.join(missed)}")
    print(f"  routes and panels checked     {len(routes['routes'])}: {', '.join(routes['routes'])}")
    print(
        f"  access log                    {logs['access_lines']} lines for {logs['requests_made']} requests,"
        f" {logs['tracebacks']} tracebacks, {logs['pii_in_log']} unredacted emails"
        f" ({logs['redacted_lines']} lines redacted, {logs['log_kb']} KB)"
    )


if __name__ == "__main__":  # the parser worker is spawned: this module must not run on import
    raise SystemExit(main())
