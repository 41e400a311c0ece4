"""Answers never deliver a contact point the document's publisher does not own.

Whatever the detector decided at ingest (and for passages stored before it existed), every
e-mail address, URL, IP address, phone number or bank account in a passage is judged against
the passage's own document (its source domain), the public-sector suffixes and the council's
allowlist (``ASSISTANT_INGEST__POISON__*``), after look-alike letters are folded; one the
publisher does not own is replaced by a marker before any backend, the citation checker or
the sources list sees the passage. The ingest lists these sentences for the admin
(index/screening.py, action ``masked``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from core.settings import PoisonSettings
from core.types import Passage
from index.contact import mask_unowned


def mask_passages(passages: Sequence[Passage], settings: PoisonSettings) -> list[Passage]:
    """The passages with every contact point their publisher does not own masked."""
    out = []
    for passage in passages:
        text, masked = mask_unowned(
            passage.text,
            passage.doc.source,
            settings.trusted_domains,
            settings.trusted_phone_numbers,
            settings.trusted_ips,
        )
        out.append(replace(passage, text=text) if masked else passage)
    return out
