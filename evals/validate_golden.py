"""Check a golden set against its corpus before anyone trusts its figures.

    python -m evals.validate_golden evals/golden.jsonl --corpus ../shared/corpus
    python -m evals.validate_golden evals/golden_defra.jsonl --corpus ../shared/corpora/defra-ai-toolkit

A golden row is only worth scoring if its ground truth is mechanically true of the documents:
every expected document is one the ingest indexes under that name, every key-fact alternative
is in that document both as written and as the loaders clean it (a fact only in front matter or
markup can never be quoted), and every expected section is a heading of that document. It
cannot prove a question unanswerable; that takes a person grepping the corpus (see GOLDEN.md).
Exit status 0 when the file is clean, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from core.errors import DocumentError
from evals.dataset import TYPES, EvalItem, golden_item
from index.cleaning import split_front_matter
from index.loaders import FOLDER_NOTES, SUPPORTED_SUFFIXES, load_document

REQUIRED_KEYS = (
    "id",
    "type",
    "question",
    "history",
    "expected_documents",
    "expected_section",
    "key_facts",
    "must_refuse",
    "notes",
)
OPTIONAL_KEYS = ("must_not_contain", "reference_answer")
MAX_FACT_WORDS = 4
MARKDOWN_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
HTML_HEADING = re.compile(r"<h[1-6][^>]*>(.*?)</h[1-6]\s*>", re.S | re.I)
TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class CorpusDocument:
    """A document as written (body and front matter) and as the loaders clean it."""

    raw: str
    cleaned: str
    headings: tuple[str, ...]
    sections: tuple[tuple[str, str], ...] = ()  # (heading chain, text under it) of the raw body


def normalise(text: str) -> str:
    """Case, entities and runs of whitespace do not matter when looking for a phrase."""
    return re.sub(r"\s+", " ", html.unescape(text)).strip().casefold()


def read_document(corpus: Path, relative: str) -> CorpusDocument:
    """Raise ``DocumentError`` with the reason when the ingest would not index ``relative``."""
    path = corpus / relative
    if not path.is_file():
        raise DocumentError("no such file in the corpus")
    if any(p.startswith(".") for p in Path(relative).parts) or FOLDER_NOTES.match(path.name):
        raise DocumentError("the ingest skips this file (hidden, or a README/LICENCE note)")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"unsupported file type '{path.suffix}'")
    data = path.read_bytes()
    loaded = load_document(path, relative, data)
    if loaded.meta.document_id != relative:
        raise DocumentError(f"indexed as {loaded.meta.document_id!r}, not as written")
    cleaned = "\n\n".join(page.text for page in loaded.pages)
    raw = data.decode("utf-8", errors="replace")
    _, body = split_front_matter(raw)
    headings = [*MARKDOWN_HEADING.findall(body), *MARKDOWN_HEADING.findall(cleaned)]
    headings += [TAG.sub("", h) for h in HTML_HEADING.findall(body)]
    return CorpusDocument(
        normalise(raw),
        normalise(cleaned),
        tuple(normalise(h) for h in headings),
        tuple(_sections(cleaned) + _sections(body)),
    )


def _sections(body: str) -> list[tuple[str, str]]:
    """Text cut at its Markdown and HTML headings: each piece (heading line included) with its
    heading chain. Cut both the cleaned text (inner front matter becomes headings there) and the
    raw body (HTML headings survive only there)."""

    def markdown_heading(match: re.Match) -> str:
        return f"\n{'#' * int(match.group(1))} {TAG.sub('', match.group(2)).strip()}\n"

    body = re.sub(r"<h([1-6])[^>]*>(.*?)</h[1-6]\s*>", markdown_heading, body, flags=re.S | re.I)
    chain: list[tuple[int, str]] = []
    pieces: list[tuple[str, list[str]]] = [("", [])]
    for line in body.splitlines():
        match = re.match(r"^\s{0,3}(#{1,6})\s+(.+?)\s*#*\s*$", line)
        if match:
            level = len(match.group(1))
            chain = [(lvl, text) for lvl, text in chain if lvl < level] + [(level, match.group(2))]
            pieces.append((" > ".join(text for _, text in chain), []))
        pieces[-1][1].append(line)
    return [(normalise(path), normalise("\n".join(lines))) for path, lines in pieces]


def _word_in(phrase: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def check_row(row: dict, documents: dict[str, CorpusDocument | str]) -> list[str]:
    """Problems with one parsed row; ``documents`` maps a path to its text or why it failed."""
    problems = [f"missing key {k!r}" for k in REQUIRED_KEYS if k not in row]
    problems += [f"unknown key {k!r}" for k in row if k not in REQUIRED_KEYS + OPTIONAL_KEYS]
    if problems:
        return problems
    try:
        item = golden_item(row)
    except (ValueError, TypeError, KeyError) as exc:
        return [str(exc)]
    if not isinstance(row["must_refuse"], bool):
        problems.append("must_refuse is not true/false")
    problems += _shape_problems(item)
    if item.must_refuse:
        return problems
    texts: list[CorpusDocument] = []
    for name in item.expected_documents:
        found = documents.get(name)
        if isinstance(found, CorpusDocument):
            texts.append(found)
        else:
            problems.append(f"expected document {name!r}: {found}")
    return problems + (_ground_truth_problems(item, texts) if texts else [])


def _shape_problems(item: EvalItem) -> list[str]:
    """The rules of GOLDEN.md that need no documents."""
    problems = _row_problems(item)
    if item.must_refuse:
        if item.expected_documents or item.key_facts or item.expected_section:
            problems.append("a row that must be refused expects no documents, facts or section")
        return problems
    if not item.expected_documents:
        problems.append("an answerable row needs expected_documents")
    if not item.key_facts:
        problems.append("an answerable row needs at least one key fact")
    return problems + _key_fact_problems(item)


def _row_problems(item: EvalItem) -> list[str]:
    """Question, notes, history and the fields each row type may carry."""
    problems = []
    if not item.question.strip():
        problems.append("empty question")
    if not item.notes.strip():
        problems.append("no notes (say where the answer is, or why it must be refused)")
    if (item.type == "followup") != bool(item.history):
        problems.append("history belongs on follow-up rows, and every follow-up needs one")
    if any(not t.question.strip() for t in item.history):
        problems.append("a history turn has no question")
    if item.type == "unanswerable" and not item.must_refuse:
        problems.append("an unanswerable row must have must_refuse: true")
    if item.must_not_contain and item.type != "hostile":
        problems.append("must_not_contain is for hostile rows")
    return problems


def _key_fact_problems(item: EvalItem) -> list[str]:
    """Each alternative of each key fact: present, short, and not given away by the question."""
    problems = []
    question = normalise(item.question)
    for fact in item.key_facts:
        for alternative in fact.split("|"):
            phrase = normalise(alternative)
            if not phrase:
                problems.append(f"empty alternative in key fact {fact!r}")
            elif len(phrase.split()) > MAX_FACT_WORDS:
                problems.append(f"key fact {alternative!r} is longer than {MAX_FACT_WORDS} words")
            elif _word_in(phrase, question):
                problems.append(f"key fact {alternative!r} is already in the question")
    return problems


def _ground_truth_problems(item: EvalItem, texts: list[CorpusDocument]) -> list[str]:
    """Key facts and section checked against the expected documents as written and as cleaned."""
    problems = []
    for fact in item.key_facts:
        for phrase in filter(None, (normalise(a) for a in fact.split("|"))):
            if not any(phrase in d.raw and phrase in d.cleaned for d in texts):
                where = "raw text" if not any(phrase in d.raw for d in texts) else "cleaned text"
                problems.append(f"key fact {phrase!r} is not in an expected document's {where}")
    section = normalise(item.expected_section)
    if not section:
        return problems
    if not any(section in h for d in texts for h in d.headings):
        return [*problems, f"expected section {item.expected_section!r} is no heading of them"]
    under = [text for d in texts for path, text in d.sections if section in path]
    for fact in item.key_facts:
        if not any(normalise(a) in text for a in fact.split("|") for text in under):
            problems.append(f"key fact {fact!r} is not under section {item.expected_section!r}")
    return problems


def validate(dataset: Path, corpus: Path) -> list[str]:
    """Every problem in ``dataset`` as 'LINE id: message'; empty when the file is clean."""
    problems: list[str] = []
    rows: list[tuple[int, dict]] = []
    for number, line in enumerate(dataset.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            problems.append(f"{number}: not valid JSON ({exc})")
            continue
        if not isinstance(row, dict):
            problems.append(f"{number}: not a JSON object")
            continue
        rows.append((number, row))
    documents: dict[str, CorpusDocument | str] = {}
    for _, row in rows:
        for name in row.get("expected_documents") or []:
            if name not in documents:
                try:
                    documents[name] = read_document(corpus, name)
                except (DocumentError, OSError) as exc:
                    documents[name] = str(exc)
    seen: dict[str, int] = {}
    for number, row in rows:
        row_id = str(row.get("id", "?"))
        if row_id in seen:
            problems.append(f"{number} {row_id}: duplicate id (first on line {seen[row_id]})")
        seen.setdefault(row_id, number)
        problems += [f"{number} {row_id}: {p}" for p in check_row(row, documents)]
    if not rows:
        problems.append("no rows")
    return problems


def counts(dataset: Path) -> dict[str, dict[str, int]]:
    """Rows per type, split by must_refuse: the table GOLDEN.md shows."""
    table = {kind: {"rows": 0, "must_refuse": 0} for kind in TYPES}
    for line in dataset.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("//"):
            row = json.loads(line)
            entry = table.setdefault(str(row.get("type")), {"rows": 0, "must_refuse": 0})
            entry["rows"] += 1
            entry["must_refuse"] += bool(row.get("must_refuse"))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.validate_golden", description=__doc__)
    parser.add_argument("dataset", type=Path, help="golden JSONL file")
    parser.add_argument("--corpus", type=Path, required=True, help="folder the set is about")
    args = parser.parse_args(argv)
    if not args.dataset.is_file() or not args.corpus.is_dir():
        print(f"error: need a dataset file and a corpus folder ({args.dataset}, {args.corpus})")
        return 2
    problems = validate(args.dataset, args.corpus)
    for problem in problems:
        print(f"{args.dataset}:{problem}")
    summary = ", ".join(
        f"{kind} {c['rows']} ({c['must_refuse']} must_refuse)"
        for kind, c in counts(args.dataset).items()
    )
    print(f"{'FAIL' if problems else 'ok'}: {len(problems)} problem(s); {summary}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
