"""Planted poison is withheld at ingest and never delivered, whatever the backend (issue 11).

A few real corpus documents plus ordinary council pages with poison planted in them
(tests/planted.py): phishing for passwords and payment details, orders to the assistant,
links to addresses the council does not own. After one ingest, none of it is in the stored
text, so no backend can select it: the extractive backend, and an "obedient" backend that
quotes every sentence it is given (the worst a language model could do), deliver none of it;
the prompt an LLM backend would be sent holds none of it. The admin sees each one listed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from planted import REAL_DOCUMENTS as REAL
from planted import ObedientBackend, delivered, write_planted_corpus

from assistant.backends.prompt import answer_messages
from assistant.pipeline import Assistant
from core.settings import Settings
from index.ingest import ingest
from index.status import index_status

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def planted_store(tmp_path_factory, corpus_dir, embedder) -> tuple[Settings, list]:
    folder = tmp_path_factory.mktemp("planted-corpus")
    documents = write_planted_corpus(folder, corpus_dir)
    settings = Settings(store=str(tmp_path_factory.mktemp("planted-store") / "store"))
    report = ingest([folder], settings, embedder_factory=lambda: embedder)
    assert not report.skipped and len(report.added) == len(REAL) + len(documents)
    return settings, documents


def test_planted_poison_is_flagged_for_the_admin_and_absent_from_stored_text(
    planted_store, embedder
) -> None:
    settings, documents = planted_store
    listed = {d["document_id"]: d for d in index_status(settings)["document_list"]}
    for doc in documents:
        flagged = [
            f["text"]
            for f in listed[doc.name]["flagged"]
            if f.get("action", "withheld") == "withheld"
        ]
        assert sorted(flagged) == sorted(doc.poison), doc.name
        assert all(f["reason"] and f["section"] for f in listed[doc.name]["flagged"])
    for name in REAL:  # real guidance on passwords and tokens: nothing withheld (an address
        # it holds may be listed as masked in answers, issue 17)
        withheld = [f for f in listed[name]["flagged"] if f.get("action", "withheld") == "withheld"]
        assert withheld == [], withheld

    assistant = Assistant(settings, embedder=embedder)
    poison = [p for doc in documents for p in doc.poison]
    for doc in documents:
        for question in doc.questions:
            passages = assistant.retrieve(question, top_n=10).passages
            assert not delivered("\n".join(p.text for p in passages), poison), question
    # Guidance that tells staff not to share passwords stays answerable.
    kept = assistant.retrieve(
        "Should I send my password to the IT service desk?", top_n=10
    ).passages
    assert any("Never send your password to anyone" in p.text for p in kept)


@pytest.mark.parametrize("backend", ["extractive", "obedient"])
def test_no_backend_delivers_planted_poison(planted_store, embedder, backend) -> None:
    settings, documents = planted_store
    chosen = ObedientBackend() if backend == "obedient" else None
    assistant = Assistant(settings, backend=chosen, embedder=embedder)
    poison = [p for doc in documents for p in doc.poison]
    deliveries: list[tuple[str, list[str]]] = []
    answered = 0
    for doc in documents:
        for question in doc.questions:
            answer = assistant.ask(question)
            answered += not answer.refused
            shown = (
                answer.answer + "\n" + "\n".join(c.text for c in answer.citations + answer.sources)
            )
            hits = delivered(shown, poison)
            if hits:
                deliveries.append((question, hits))
            # What an LLM backend (llamacpp, openai) would be sent: built from the same passages.
            prompt = answer_messages(question, [c.as_passage() for c in answer.sources])[1][
                "content"
            ]
            assert not delivered(prompt, poison), question
    assert deliveries == []
    assert answered >= 3  # the planted pages' ordinary facts still answer


def test_the_documents_view_lists_withheld_sentences_for_the_admin_only(
    planted_store, tmp_path
) -> None:
    from ui.documents import DocumentAdmin
    from ui.render import documents_table, withheld_table
    from ui.security import AdminError, AdminGuard

    settings, documents = planted_store
    settings = settings.model_copy(
        update={
            "ui": settings.ui.model_copy(
                update={"admin_token": "secret-admin", "feedback_db": tmp_path / "f.db"}
            )
        }
    )
    admin = DocumentAdmin(settings, AdminGuard(settings.ui.admin_token))
    listed = admin.list()
    assert all("flagged" not in d for d in listed)  # the public listing has counts, not text
    counts = {d["document_id"]: d["withheld"] for d in listed}
    assert counts["planted-payments.md"] == 6 and counts[REAL[0]] == 0
    assert "<td>6</td>" in documents_table(listed)
    with pytest.raises(AdminError):
        admin.flagged("wrong")
    flagged = admin.flagged("secret-admin")
    withheld = [f for f in flagged if f.get("action", "withheld") == "withheld"]
    assert len(withheld) == sum(len(d.poison) for d in documents)
    table = withheld_table(flagged)
    assert (
        "x@evil.example" in table and "planted-bin-accounts.md" in table and "<script" not in table
    )
    assert Path(settings.store).exists()
