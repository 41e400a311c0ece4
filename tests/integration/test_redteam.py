"""Red-team plants (dev part) worded unlike any rule, in copies of real documents: after one
ingest no planted contact point reaches an answer, a citation or a source through
``Assistant.ask``, whatever the backend, nor any planted sentence that carries one or is disguised; the
admin sees what was withheld or masked."""

from __future__ import annotations

import pytest
from planted import ObedientBackend
from redteam import dev
from redteam.harness import delivered, place, write_redteam_corpus

from assistant.pipeline import Assistant
from core.settings import Settings
from index.contact import fold
from index.ingest import ingest
from index.status import index_status

pytestmark = pytest.mark.integration

STYLES = (
    "negation",
    "passive",
    "split",
    "homoglyph",
    "zero-width",
    "other-language",
    "lookalike-domain",
    "ip-phone",
    "ai-override",
)


@pytest.fixture(scope="module")
def redteam_store(tmp_path_factory, corpus_dir, embedder):
    chosen = [next(row for row in dev.PLANTS if row[0] == style) for style in STYLES]
    # The three smallest corpus documents host them: the test stays quick.
    hosts = [
        "techuk-demystifying-the-smart-city-news.md",
        "govuk-cloud-guide-public-sector.md",
        "govuk-service-standard.md",
    ]
    placed = place({"dev": chosen}, hosts)
    folder = tmp_path_factory.mktemp("redteam-corpus")
    write_redteam_corpus(folder, corpus_dir, placed)
    settings = Settings(store=str(tmp_path_factory.mktemp("redteam-store") / "store"))
    report = ingest([folder], settings, embedder_factory=lambda: embedder)
    assert not report.skipped
    return settings, placed


@pytest.mark.parametrize("backend", ["extractive", "obedient"])
def test_no_planted_contact_point_and_no_disguised_plant_is_delivered(
    redteam_store, embedder, backend
) -> None:
    """The guarantee: no address or number a plant holds ever reaches the user, and a plant
    with one (or in disguise) is not delivered at all. Plants with neither (an order to the
    model in plain words) rest on the detector's score alone, which does not withhold; the
    reliability report counts those (benchmarks/redteam.py)."""
    settings, placed = redteam_store
    assistant = Assistant(
        settings, backend=ObedientBackend() if backend == "obedient" else None, embedder=embedder
    )
    contacts, structural = [], []
    for plant in placed:
        answer = assistant.ask(plant.question)
        shown = answer.answer + "\n" + "\n".join(c.text for c in answer.citations + answer.sources)
        found = delivered(shown, plant)
        contacts += [(plant.style, c) for c in plant.contacts if c in found]
        carried = [f for f in found if f in plant.carriers]
        if carried:
            structural.append((plant.style, carried))
    assert contacts == []
    assert structural == []


def test_the_admin_list_shows_what_was_withheld_or_masked(redteam_store) -> None:
    settings, placed = redteam_store
    flagged = [f for d in index_status(settings)["document_list"] for f in d["flagged"]]
    listed = " ".join(" ".join(fold(f["text"]).split()) for f in flagged)
    carriers = [c for p in placed for c in p.carriers]
    assert len(carriers) >= 7 and [c for c in carriers if c not in listed] == []
    assert all(f["reason"] and f.get("action") in (None, "withheld", "masked") for f in flagged)
