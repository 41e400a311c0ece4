"""When to say "the documents don't answer this", from signals that mean the same on any corpus.

Evidence scores (term coverage and dense similarity) sit at different levels on different
collections: short pages, long reports and another embedder all move them. A fixed threshold
chosen on one golden set refused good questions on another corpus and let near misses through.
So refusal rests on two things:

* **A threshold calibrated per collection.** The first time a collection (at a given revision)
  is asked, the assistant scores questions it knows the collection cannot answer (off-topic
  probes: weather, football, recipes) and questions it knows it can (made from the
  collection's own section headings). The threshold sits a fixed *share* of the way from the
  off-topic ceiling to the typical on-topic score, so it moves with the collection's scale.
* **The question's key constraints in the cited sentences.** A name, a number or a year in
  the question ("Manchester", "2024", "level 3") must appear in a sentence the answer cites
  (or in its passage's title, section or year), not merely somewhere near it; and the kind of
  fact asked for (a date, a sum of money, a count of something) must be stated
  (``answer_type``). Otherwise the passages are on the topic but do not answer.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.settings import RefusalSettings
from core.text import STOPWORDS, content_terms, split_sentences, strip_citations
from core.types import Citation

# Questions no council document collection answers: what an unanswerable question scores here.
OFF_TOPIC_PROBES = (
    "What is the weather forecast for the weekend?",
    "Who won the football match last Saturday?",
    "How do I bake a chocolate sponge cake?",
    "What time does the cinema open on Sunday?",
    "Which actor played the lead in the latest superhero film?",
    "How far is the Moon from the Earth?",
    "What is a good name for a pet rabbit?",
    "How many calories are in a banana?",
    "What are the lyrics of the national anthem of France?",
    "Which team won the cricket world cup?",
    "How do I change a flat tyre on a bicycle?",
    "What is the best way to grow tomatoes at home?",
    "Who painted the Mona Lisa?",
    "What is the capital city of Australia?",
    "How long should I boil an egg?",
    "What are good exercises for back pain?",
)
HEADING_PROBE = "What does the guidance say about {}?"

# Names, acronyms and numbers in a question: capitalised words not opening a sentence,
# words with inner capitals ("techUK"), and numbers. Bounded, linear patterns.
CONSTRAINT = re.compile(
    r"(?<![\w'’-])(?:[A-Z][A-Za-z]{0,30}(?:-[A-Za-z]{1,30}){0,3}|[a-z]{1,15}[A-Z][A-Za-z]{0,20}"
    r"|\d[\d,.]{0,12}\d|\d)(?:['’]s)?(?![\w'’-])"
)
SENTENCE_OPENING = re.compile(r"(?:^|[.?!:;]\s+|[\"“(]\s*)$")
NOT_CONSTRAINTS = frozenset(
    "i we our you my me us it what which who whom whose when where why how is are do does did"
    " can could should would will shall may might must please tell list give explain describe"
    " if and or but the a an in on of for to".split()
)


# What a model says when it declines in its own words ("I don't know", "the passages do not
# mention ..."): a refusal through the same contract as NO_ANSWER, not an answer.
DECLINES = re.compile(
    r"\b(i (do not|don't|cannot|can't) (know|answer|find|say|tell)|(cannot|can't|unable to) (be )?"
    r"(answer|determine|find|provide)|no (relevant )?information (is |was )?(given|provided|available|found)"
    r"|(passages?|documents?|context|sources?) (do|does|did)( not|n't) (contain|say|state|mention|provide"
    r"|include|answer|specify|cover)|(is|are) not (mentioned|stated|specified|provided|given|covered)"
    r" in the (passages?|documents?|context)|not enough information)\b",
    re.I,
)


def declines_only(draft: str) -> bool:
    """The draft says only that the passages do not answer (every sentence a decline)."""
    sentences = [strip_citations(s) for s in split_sentences(draft) if strip_citations(s)]
    return bool(sentences) and all(DECLINES.search(s) for s in sentences)


@dataclass(frozen=True)
class Calibration:
    """Evidence levels of one collection: what off-topic and on-topic questions score."""

    floor: float  # the highest score an off-topic probe reached (at the configured quantile)
    typical: float  # the median score of questions made from the collection's headings
    threshold: float
    probes: int
    dense_floor: float = 0.0  # the closest an off-topic probe came in meaning alone

    def as_dict(self) -> dict[str, float]:
        return {
            "floor": self.floor,
            "typical": self.typical,
            "threshold": self.threshold,
            "dense_floor": self.dense_floor,
        }


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def heading_probes(headings: Sequence[str], limit: int) -> list[str]:
    """Up to ``limit`` questions from section headings, picked by hash (stable, spread out)."""
    leaves = {h.split(" > ")[-1].strip(" #*") for h in headings}
    usable = [h for h in leaves if 2 <= len(content_terms(h)) <= 12]
    usable.sort(key=lambda h: hashlib.sha256(h.encode()).hexdigest())
    return [HEADING_PROBE.format(h) for h in usable[:limit]]


def calibrate(
    score_of: Callable[[str], tuple[float, float]], headings: Sequence[str], cfg: RefusalSettings
) -> Calibration:
    """Score the probes on this collection and place the threshold between the two groups.

    ``score_of`` gives a question's (evidence score, top dense similarity).
    """
    off_topic = [score_of(q) for q in OFF_TOPIC_PROBES]
    on_topic = [score_of(q)[0] for q in heading_probes(headings, cfg.heading_probes)]
    floor = quantile([score for score, _ in off_topic], cfg.off_topic_quantile)
    dense_floor = quantile([dense for _, dense in off_topic], cfg.off_topic_quantile)
    typical = quantile(on_topic, 0.5) if on_topic else floor
    threshold = floor + cfg.calibrated_share * max(0.0, typical - floor)
    return Calibration(
        round(floor, 4),
        round(typical, 4),
        round(threshold, 4),
        len(off_topic) + len(on_topic),
        round(dense_floor, 4),
    )


KEEP_CALIBRATIONS = 16


class CalibrationCache:
    """One calibration per (store, collection, revision): re-done only after an ingest."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: dict[tuple, Calibration] = {}

    def get(self, key: tuple, compute: Callable[[], Calibration]) -> Calibration:
        with self._lock:
            if key in self._cached:
                return self._cached[key]
        calibration = compute()  # outside the lock: it retrieves
        with self._lock:
            while len(self._cached) >= KEEP_CALIBRATIONS:  # old revisions are never asked again
                self._cached.pop(next(iter(self._cached)))
            return self._cached.setdefault(key, calibration)


CALIBRATIONS = CalibrationCache()


# Ways the documents name the same place: a question's "UK" is stated by "Britain's M25".
ALIASES = {
    "uk": {"uk", "britain", "british", "england", "english", "scotland", "wales", "welsh", "gb"},
    "britain": {"uk", "britain", "british", "england", "scotland", "wales"},
    "england": {"england", "english", "uk", "britain"},
}


# "Figure 3", "Section 8", "Annex B": the word points into the document; its number is the constraint.
REFERENCE_WORDS = frozenset(
    "figure fig table section chapter appendix annex part page paragraph".split()
)
REFERENCE_MARKER = re.compile(
    r"\[\d{1,4}(?:[,–-]\s*\d{1,4})*\]"
)  # "as discussed in [58]": a citation
DEFINED_ACRONYM = re.compile(
    r"((?:[A-Z][\w-]{0,30}\s+){1,7}[A-Z][\w-]{0,30})\s*\(([A-Z][A-Za-z]{1,10})\)"
)


def question_constraints(question: str) -> list[str]:
    """Names, acronyms and numbers the question is specific about, in order."""
    question = REFERENCE_MARKER.sub(" ", question)
    found = []
    for match in CONSTRAINT.finditer(question):
        word = match.group(0)
        if word.lower() in NOT_CONSTRAINTS or word.lower() in STOPWORDS:
            continue
        if (
            word[:1].isupper()
            and not word.isupper()
            and SENTENCE_OPENING.search(question[: match.start()])
        ):
            continue  # a capital that only opens the sentence
        if word.lower() in REFERENCE_WORDS and re.match(r"\s+[\dA-Z]\b", question[match.end() :]):
            continue
        found.append(word)
    return list(dict.fromkeys(found))


def _alternatives(question: str) -> dict[str, str]:
    """Each word of an acronym spelled out in the question ("Long Short-Term Memory (LSTM)")
    mapped to the acronym: the answer may use either form."""
    spelled: dict[str, str] = {}
    for words, acronym in DEFINED_ACRONYM.findall(question):
        for word in words.split():
            spelled[word] = acronym
        spelled[acronym] = words
    return spelled


def missing_constraints(question: str, answer: str, citations: Sequence[Citation]) -> list[str]:
    """The question's constraints that no cited sentence states: not the sentence itself, nor
    the sentence either side of it in its passage, nor the passage's title, section, publisher
    or year (or their initials: "GDS", "NCSC" name the source, not a fact asked for)."""
    answer = strip_citations(answer)
    answer_terms = set(content_terms(answer))
    stated = answer_terms | set(re.findall(r"\d+", answer))
    for c in citations:
        meta = f"{c.doc.title} {c.doc.publisher} {c.section} {c.doc.year or ''}"
        stated |= set(content_terms(meta)) | set(re.findall(r"\d+", meta))
        stated |= _initials(c.doc.title) | _initials(c.doc.publisher) | _initials(c.section)
        stated |= _around_cited(c.text, answer_terms)
    alternatives = _alternatives(question)
    missing = []
    for constraint in question_constraints(question):
        acronym = (
            constraint[:-1]
            if constraint.endswith("s") and constraint[:-1].isupper()
            else constraint
        )
        if acronym.isupper() and acronym.isalpha() and _spelled_out(acronym, answer):
            continue  # "AI" stated as "artificial intelligence", "CNNs" as "convolutional neural networks"
        spelled = alternatives.get(constraint, "")
        if not (_states(acronym, stated) or _states(spelled, stated, every=True)):
            missing.append(constraint)
    return missing


def _states(constraint: str, stated: set[str], every: bool = False) -> bool:
    """Whether the stated terms include the constraint: its numbers if it has any, else one of
    its stemmed words or a known alias (``every``: all of its words, for a spelled-out form)."""
    if not constraint:
        return False
    numbers = set(re.findall(r"\d+", constraint))
    if numbers:
        return bool(numbers & stated)
    terms = set(content_terms(constraint)) or {constraint.lower()}
    if every:
        return terms <= stated
    return bool(
        terms.union(*(set(content_terms(" ".join(ALIASES.get(w, ())))) for w in terms)) & stated
    )


def _spelled_out(acronym: str, text: str) -> bool:
    """Whether consecutive words of ``text`` have the acronym's letters as initials."""
    words = [
        w for w in re.findall(r"[A-Za-z]+", text) if w.lower() not in {"of", "and", "the", "for"}
    ]
    initials = "".join(w[0] for w in words).lower()
    return acronym.lower() in initials and len(acronym) >= 2


def _initials(text: str) -> set[str]:
    """Acronyms of the capitalised runs in ``text``: 'Government Digital Service' -> 'gds'."""
    found = set()
    for run in re.findall(r"(?:[A-Z][a-z]{1,30}\s+(?:(?:of|and|for|the)\s+)?){2,8}", text + " "):
        letters = "".join(w[0] for w in run.split() if w[:1].isupper())
        if len(letters) >= 2:
            found |= set(content_terms(letters))
    return found


def _around_cited(passage: str, answer_terms: set[str]) -> set[str]:
    """Words of the sentences next to the passage's sentences that the answer quotes."""
    sentences = split_sentences(passage)
    terms = [set(content_terms(s)) for s in sentences]
    near: set[str] = set()
    for i, own in enumerate(terms):
        if own and len(own & answer_terms) / len(own) >= 0.8:
            for j in (i - 1, i + 1):
                if 0 <= j < len(sentences):
                    near |= terms[j] | set(re.findall(r"\d+", sentences[j]))
    return near
