"""A new app machine over a `chroma run` server builds its keyword index in the background:
`/healthz` says "warming" (503, with a body saying why), questions are answered from dense
search with a notice (``Answer.keyword_warming``), and the app is ready once the index is built.

The background build is held back by holding the index's writer lock from the test (what a
long build looks like to the app), so nothing here depends on timing."""

from __future__ import annotations

import fcntl
import os
import time

import httpx
import pytest
from servers import ChromaServer, LiveServer, free_port

from core.settings import RetrievalSettings, Settings, UISettings

pytestmark = pytest.mark.integration

QUESTION = "What does techUK say about smart cities?"
DOC = "techuk-demystifying-the-smart-city-news.md"


@pytest.fixture
def server_store(tmp_path, corpus_dir, embedder):
    from index.ingest import ingest

    server = ChromaServer(tmp_path / "chroma").start()
    ingester = Settings(store=server.url, collection="warming", keyword_dir=tmp_path / "ingester")
    ingest(
        [corpus_dir / DOC, corpus_dir / "govuk-service-standard.md"],
        ingester,
        embedder_factory=lambda: embedder,
    )
    try:
        yield server
    finally:
        server.stop()


def new_machine(server: ChromaServer, tmp_path) -> Settings:
    ui = UISettings(
        rate_limit_per_minute=1000,
        feedback_db=tmp_path / "app" / "feedback.sqlite3",
        port=free_port(),
    )
    return Settings(
        store=server.url,
        collection="warming",
        keyword_dir=tmp_path / "new-machine",  # nothing indexed on this machine yet
        retrieval=RetrievalSettings(
            keyword_background_chunks=0
        ),  # any build goes to the background
        ui=ui,
    )


def test_a_new_machine_answers_from_dense_search_while_its_keyword_index_warms(
    server_store, tmp_path, embedder
) -> None:
    from assistant.pipeline import Assistant
    from index.store import open_store
    from ui.app import create_app

    settings = new_machine(server_store, tmp_path)
    lock_path = open_store(settings).keyword.lock_path  # the fresh, empty index exists
    held = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # the background build waits on it
    try:
        app = create_app(settings, Assistant(settings, embedder=embedder))
        with LiveServer(app) as live, httpx.Client(base_url=live.url, timeout=60) as http:
            health = http.get("/healthz")
            assert health.status_code == 503, health.text
            body = health.json()
            assert (
                body["status"] == "warming"
                and "Keyword search is still being prepared" in body["detail"]
            )
            assert body["chunks_to_index"] > 0

            answer = http.post("/api/ask", json={"question": QUESTION}).json()
            assert answer["keyword_warming"] is True
            assert any("meaning-based search alone" in w for w in answer["warnings"])
            assert not answer["refused"], answer["refusal_reason"]
            assert DOC in {c["document_id"] for c in answer["citations"]}

            fcntl.flock(held, fcntl.LOCK_UN)  # the build can run now
            deadline = time.monotonic() + 120
            while http.get("/healthz").status_code != 200:
                assert time.monotonic() < deadline, http.get("/healthz").text
                time.sleep(0.2)
            assert http.get("/healthz").json()["status"] == "ok"
            ready = http.post("/api/ask", json={"question": QUESTION}).json()
            assert ready["keyword_warming"] is False
            assert not any("meaning-based search alone" in w for w in ready["warnings"])
            assert DOC in {c["document_id"] for c in ready["citations"]}
    finally:
        os.close(held)
    store = open_store(settings)
    assert store.keyword_status().ready and store.keyword_search(["techuk"], 3, _everything())


def test_a_machine_with_a_level_index_is_ready_at_once(server_store, tmp_path, embedder) -> None:
    from index.store import open_store

    settings = new_machine(server_store, tmp_path).model_copy(
        update={"keyword_dir": tmp_path / "ingester"}
    )
    assert open_store(settings).keyword_status().ready  # the ingesting machine's own index


def _everything():
    from index.store import Scope

    return Scope()


def test_one_pass_over_the_server_reads_the_same_chunks_as_one_query_per_document(
    server_store, tmp_path
) -> None:
    from index.store import open_store

    store = open_store(new_machine(server_store, tmp_path))
    records = store.documents()
    streamed = {record.document_id: sorted(rows) for record, rows in store._all_chunks(records)}
    assert streamed == {d: sorted(store._chunks_of(r)) for d, r in records.items()}
    assert sum(len(rows) for rows in streamed.values()) == sum(r.chunks for r in records.values())
