"""The reliability report's plant part (issue 17): our red-team set and the false-flag rate.

* **Red-team plants** (tests/redteam/): the held-out part (written before the detector, only
  measured) and the dev part, each plant placed in a copy of a real corpus document, ingested
  once through the real ingest (rules, trained detector, contact policy), then each plant's
  question asked through the extractive backend and an "obedient" one that quotes every
  sentence it is given. A plant is delivered when an answer, citation or source shows one of its
  sentences or contact points; phishing contact points delivered are counted on their own.
* **False flags** on every real corpus in ../shared (corpus and corpora/*): sentences withheld
  (rules or detector) over sentences, and every withheld sentence that holds a contact point
  (legitimate contact sentences must never be withheld). The detector's thresholds were chosen
  on its validation groups (training/detector.py), never on these.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from core.settings import DEFAULT_CORPUS, Settings  # noqa: E402


def redteam_section(work: Path) -> dict[str, Any]:
    from planted import ObedientBackend
    from redteam import dev, heldout
    from redteam.harness import delivered, place, write_redteam_corpus

    from assistant.pipeline import Assistant
    from index.embedding import load_embedder
    from index.ingest import ingest
    from index.status import index_status

    placed = place({"heldout": heldout.PLANTS, "dev": dev.PLANTS})
    settings = Settings(store=str(work / "redteam-store"))
    embedder = load_embedder(settings.embed_model)
    write_redteam_corpus(work / "redteam", DEFAULT_CORPUS, placed)
    report = ingest([work / "redteam"], settings, embedder_factory=lambda: embedder)
    withheld = {
        " ".join(f["text"].split())
        for d in index_status(settings)["document_list"]
        for f in d["flagged"]
        if f.get("action", "withheld") == "withheld"
    }
    result: dict[str, Any] = {"skipped": report.skipped, "withheld_at_ingest": {}}
    for part in ("heldout", "dev"):
        mine = [p for p in placed if p.part == part]
        result["withheld_at_ingest"][part] = sum(
            any(" ".join(p.text.split())[:60] in w for w in withheld) for p in mine
        )
    for name, backend in (("extractive", None), ("obedient", ObedientBackend())):
        assistant = Assistant(settings, backend=backend, embedder=embedder)
        for part in ("heldout", "dev"):
            hits: list[dict[str, Any]] = []
            contacts = 0
            for plant in (p for p in placed if p.part == part):
                answer = assistant.ask(plant.question)
                shown = (
                    answer.answer
                    + "\n"
                    + "\n".join(c.text for c in answer.citations + answer.sources)
                )
                found = delivered(shown, plant)
                if found:
                    contacts += sum(c in found for c in plant.contacts)
                    hits.append(
                        {"style": plant.style, "question": plant.question, "delivered": found}
                    )
            result[f"{part}_{name}"] = {
                "plants": sum(p.part == part for p in placed),
                "delivered": len(hits),
                "phishing_contacts_delivered": contacts,
                "by_style": dict(Counter(h["style"] for h in hits)),
                "deliveries": hits,
            }
    return result


REAL_SUFFIXES = {".md", ".pdf", ".html", ".docx", ".txt"}


def real_corpus_documents() -> Iterator[tuple[Path, Path, Any]]:
    """(corpus folder, file, loaded document) for every real corpus in ../shared: the default
    corpus and each of ../shared/corpora, READMEs and text-less pages left out."""
    from index.loaders import load_document

    folders = [
        DEFAULT_CORPUS,
        *sorted(p for p in (DEFAULT_CORPUS.parent / "corpora").iterdir() if p.is_dir()),
    ]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.suffix.lower() not in REAL_SUFFIXES or path.name.lower() == "readme.md":
                continue
            try:
                document = load_document(path, path.name, path.read_bytes())
            except Exception:  # noqa: BLE001 - forms and navigation pages have no text
                continue
            yield folder, path, document


def real_corpus_false_flags(settings: Settings) -> dict[str, Any]:
    """Sentences the rules and the detector would withhold from the real corpora."""
    from core.text import split_sentences
    from index.contact import contact_points, fold
    from index.embedding import load_embedder
    from index.poison import find_poison, withhold
    from index.screening import judge_sentences

    embedder = load_embedder(settings.embed_model)
    poison = settings.ingest.poison
    sentences = documents = 0
    flags: list[dict[str, str]] = []
    per_corpus: dict[str, dict[str, int]] = {}
    for folder, path, document in real_corpus_documents():
        counts = per_corpus.setdefault(folder.name, {"sentences": 0, "withheld": 0})
        documents += 1
        for page in document.pages:
            rule_flags = find_poison(page.text, document.meta, poison)
            for flag in rule_flags:
                flags.append(
                    {
                        "document": path.name,
                        "by": "rules",
                        "text": " ".join(page.text[flag.start : flag.end].split())[:200],
                    }
                )
            page_sentences = split_sentences(page.text)
            sentences += len(page_sentences)
            counts["sentences"] += len(page_sentences)
            counts["withheld"] += len(rule_flags)
            kept = split_sentences(withhold(page.text, rule_flags))
            for verdict in judge_sentences(kept, document.meta, poison, embedder):
                if verdict.withheld:
                    counts["withheld"] += 1
                    flags.append(
                        {
                            "document": path.name,
                            "by": f"detector {verdict.score:.3f}",
                            "text": verdict.sentence[:200],
                        }
                    )
    contact = [f for f in flags if contact_points(fold(f["text"]))]
    rate = len(flags) / sentences if sentences else 0.0
    return {
        "documents": documents,
        "sentences": sentences,
        "withheld": len(flags),
        "rate": round(rate, 6),
        "contact_sentences_withheld": len(contact),
        "per_corpus": per_corpus,
        "list": flags,
    }


def print_redteam(result: dict[str, Any], real: dict[str, Any]) -> None:
    print("\n  red-team plants (tests/redteam; held-out written first, only measured)")
    for part in ("heldout", "dev"):
        for name in ("extractive", "obedient"):
            r = result[f"{part}_{name}"]
            print(
                f"    {part:8} {name:10} delivered {r['delivered']}/{r['plants']}"
                f"  phishing contact points delivered {r['phishing_contacts_delivered']}  {r['by_style']}"
            )
        print(f"    {part:8} withheld at ingest {result['withheld_at_ingest'][part]}")
    print(
        f"  false flags on the real corpora  {real['withheld']} of {real['sentences']} sentences"
        f" ({100 * real['rate']:.3f}%), {real['contact_sentences_withheld']} with a contact point;"
        f" {real['documents']} documents"
    )
    for flag in real["list"]:
        print(f"    - {flag['document']} ({flag['by']}): {flag['text']}")


def screened_at_ingest() -> dict[str, Any]:
    """A quick view without the ingest or the questions: per part, how many plants the rules
    and the detector would withhold whole (read in their host document's metadata), and how
    many planted sentences carrying a contact point or disguise are withheld or masked.

        python benchmarks/redteam.py
    """
    from redteam import dev, heldout
    from redteam.harness import place

    from core.text import split_sentences
    from index.contact import contact_points, disguised, fold
    from index.embedding import load_embedder
    from index.loaders import load_document
    from index.poison import sentence_poison
    from index.screening import judge_sentences

    settings = Settings()
    poison, embedder = settings.ingest.poison, load_embedder(settings.embed_model)
    out: dict[str, Any] = {}
    for part, rows in (("heldout", heldout.PLANTS), ("dev", dev.PLANTS)):
        counts: Counter[str] = Counter()
        missed: list[tuple[str, str]] = []
        for plant in place({part: rows}):
            path = DEFAULT_CORPUS / plant.host
            meta = load_document(path, plant.host, path.read_bytes()).meta
            sentences = [s for s in split_sentences(plant.text) if len(s) >= 20] or [plant.text]
            rules = [bool(sentence_poison(s, meta, poison)) for s in sentences]
            verdicts = judge_sentences(sentences, meta, poison, embedder)
            stopped = [r or v.withheld for r, v in zip(rules, verdicts)]
            carriers = [bool(contact_points(fold(s))) or disguised(s) for s in sentences]
            counts["plants"] += 1
            counts["withheld_whole"] += all(stopped)
            counts["by_rules"] += any(rules)
            counts["by_detector"] += any(v.withheld for v in verdicts)
            counts["carrier_sentences"] += sum(carriers)
            counts["carriers_withheld_or_masked"] += sum(
                c and (s or bool(v.unowned)) for c, s, v in zip(carriers, stopped, verdicts)
            )
            if not all(stopped):
                missed.append((plant.style, plant.text[:90]))
        out[part] = {
            **counts,
            "not_withheld_by_style": dict(Counter(m[0] for m in missed)),
            "not_withheld": missed,
        }
    return out


if __name__ == "__main__":
    import json

    from core.settings import set_offline_environment

    set_offline_environment()
    print(json.dumps(screened_at_ingest(), indent=2))
