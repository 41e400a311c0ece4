"""The trained detector and the contact-point policy applied to a parsed document's chunks.

The wording rules (index/poison.py) run in the parser worker; this runs in the ingest process,
where the embedder already is, before the chunks are embedded. Per sentence of the chunks:

* **withheld** (cut from the chunk, listed for the admin) when the detector's score passes its
  threshold and the sentence (or it with the sentence before, for an order split over two
  sentences) holds a contact point the publisher does not own, or is disguised (look-alike
  letters, invisible characters); the score alone never withholds;
* **masked** (kept, listed for the admin) when it holds such a contact point but the detector
  sees nothing wrong: the answer path replaces the address or number (assistant/contacts.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from core.settings import PoisonSettings
from core.text import split_sentences
from core.types import DocumentMeta
from index.contact import disguised, unowned_points
from index.detector import SentenceDetector, load_detector
from index.parse import ParsedDocument

WITHHELD_REASON = "the trained detector: reads as an instruction to an AI model or a request for the reader's secrets"


@dataclass(frozen=True)
class Verdict:
    sentence: str
    score: float
    unowned: tuple[str, ...]
    withheld: bool
    reason: str = ""


def judge_sentences(
    sentences: list[str],
    meta: DocumentMeta,
    settings: PoisonSettings,
    embedder: Any,
    detector: SentenceDetector | None = None,
) -> list[Verdict]:
    """A verdict for each sentence of one document, in order."""
    detector = detector or load_detector()
    unowned = [
        tuple(
            found
            for *_, found in unowned_points(
                s,
                meta.source,
                settings.trusted_domains,
                settings.trusted_phone_numbers,
                settings.trusted_ips,
            )
        )
        for s in sentences
    ]
    # A sentence with an unowned contact point is also read with the one before it.
    pairs = [i for i in range(1, len(sentences)) if unowned[i]]
    scores = detector.scores(
        sentences + [f"{sentences[i - 1]} {sentences[i]}" for i in pairs], embedder
    )
    single, paired = scores[: len(sentences)], dict(zip(pairs, scores[len(sentences) :]))
    # The score alone never withholds (about 2% of council-like prose scores high): it needs a
    # structural signal, a contact point the publisher does not own or disguised text.
    gated = [bool(u) or disguised(s) for s, u in zip(sentences, unowned)]
    withheld = [g and s >= detector.with_contact for s, g in zip(single, gated)]
    reasons = [WITHHELD_REASON if w else "" for w in withheld]
    for i, score in paired.items():
        if not withheld[i] and score >= detector.with_contact:
            withheld[i] = withheld[i - 1] = True
            reasons[i] = reasons[i - 1] = (
                "the trained detector, read with the sentence before: a request that sends the reader"
                f" to a contact point its publisher does not own ({unowned[i][0]})"
            )
    for i, u in enumerate(unowned):
        if withheld[i] and u and reasons[i] == WITHHELD_REASON:
            reasons[i] = (
                f"{WITHHELD_REASON}, with a contact point its publisher does not own ({u[0]})"
            )
    return [
        Verdict(s, sc, u, w, r)
        for s, sc, u, w, r in zip(sentences, single, unowned, withheld, reasons)
    ]


def screen_parsed(
    parsed: ParsedDocument, settings: PoisonSettings, embedder: Any
) -> ParsedDocument:
    """``parsed`` with the sentences the detector withholds cut from its chunks, and every
    withheld or masked sentence added to its admin list."""
    if not settings.enabled or not settings.detector or not parsed.chunks:
        return parsed
    sentences = list(dict.fromkeys(s for c in parsed.chunks for s in split_sentences(c.text)))
    already = {" ".join(f["text"].split()) for f in parsed.flagged}
    verdicts = judge_sentences(sentences, parsed.meta, settings, embedder)
    cut = [v.sentence for v in verdicts if v.withheld]
    flagged = list(parsed.flagged)
    sections = {s: c.section for c in parsed.chunks for s in split_sentences(c.text)}
    pages = {s: c.page for c in parsed.chunks for s in split_sentences(c.text)}
    # Withheld first: the store keeps a bounded list per document (FLAGGED_KEEP).
    for v in sorted(verdicts, key=lambda v: not v.withheld):
        if (v.withheld or v.unowned) and v.sentence not in already:
            flagged.append(
                {
                    "text": v.sentence[:500],
                    "reason": v.reason
                    if v.withheld
                    else f"kept, but its contact point is masked in answers: the publisher does not own {v.unowned[0]}",
                    "section": sections.get(v.sentence, ""),
                    "page": "" if pages.get(v.sentence) is None else str(pages[v.sentence]),
                    "action": "withheld" if v.withheld else "masked",
                }
            )
    if not cut:
        return (
            replace(parsed, flagged=tuple(flagged))
            if len(flagged) != len(parsed.flagged)
            else parsed
        )
    chunks = []
    for chunk in parsed.chunks:
        text, embed_text = _without(chunk.text, cut), _without(chunk.embed_text, cut)
        if text.strip():
            chunks.append(replace(chunk, text=text, embed_text=embed_text))
    return replace(parsed, chunks=tuple(chunks), flagged=tuple(flagged))


def _without(text: str, sentences: list[str]) -> str:
    """``text`` without these sentences (matched across any run of whitespace)."""
    for sentence in sentences:
        pattern = r"\s+".join(re.escape(word) for word in sentence.split())
        text = re.sub(pattern, " ", text)
    return re.sub(r"[ \t]{2,}", " ", text)


def screening_key(settings: PoisonSettings) -> str:
    """What the stored text depends on besides the file: a change re-screens on next ingest."""
    from index.detector import MODEL_PATH

    try:
        weights = MODEL_PATH.with_suffix(".npz.sha256").read_text().split()[0][:16]
    except (OSError, IndexError):
        weights = "none"
    return f"{settings.model_dump_json()}|{weights}"
