"""The HTTP API's routes over the in-memory store and the bag-of-words embedder: no Chroma, no
model, so the route wiring (ask, refusal fields, documents, admin, removal) gets a fast test.
The real stack behind the real server is tested in tests/integration/test_api.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes import HashingEmbedder, commit
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.pipeline import Assistant
from core.settings import Settings
from index.store import open_store
from ui.api import build_router
from ui.services import Services

pytestmark = pytest.mark.unit

TOKEN = "admin-token-for-the-route-tests"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    settings = Settings(store="memory", collection="route_tests")
    ui = settings.ui.model_copy(
        update={"feedback_db": tmp_path / "feedback.sqlite3", "admin_token": TOKEN}
    )
    settings = settings.model_copy(update={"ui": ui})
    store = open_store(settings)  # the process's in-memory store for this collection
    store.drop()
    commit(
        store,
        "bins.md",
        ["Brown garden waste bins are emptied every second Tuesday."],
        title="Bins",
    )
    commit(
        store, "parking.md", ["Resident parking permits cost 40 pounds a year."], title="Parking"
    )
    store.finish_ingest("hashing", changed=True)
    assistant = Assistant(settings, embedder=HashingEmbedder(), store=store)
    app = FastAPI()
    app.include_router(build_router(Services.build(settings, assistant=assistant)))
    return TestClient(app)


def test_health_documents_and_an_answer(client: TestClient) -> None:
    assert client.get("/healthz").json()["documents"] == 2
    assert client.get("/api/documents").json()["count"] == 2
    answer = client.post(
        "/api/ask", json={"question": "When are brown garden waste bins emptied?"}
    ).json()
    assert not answer["refused"] and "every second Tuesday" in answer["answer"]
    assert answer["closest_documents"] == [] and answer["answer_id"]


def test_a_refusal_names_its_closest_documents_as_a_field(client: TestClient) -> None:
    answer = client.post("/api/ask", json={"question": "What is the capital of Peru?"}).json()
    assert answer["refused"] and answer["refusal_reason"]
    assert answer["closest_documents"] and set(answer["closest_documents"]) <= {
        "bins.md",
        "parking.md",
    }
    sources = {s["document_id"] for s in answer["sources"]}
    assert set(answer["closest_documents"]) <= sources


def test_admin_routes_need_the_token_and_removal_goes_through(client: TestClient) -> None:
    assert client.get("/api/documents/withheld").status_code == 401
    assert client.get("/api/documents/withheld", headers=ADMIN).json() == {
        "count": 0,
        "withheld": [],
    }
    assert client.delete("/api/documents/parking.md").status_code == 401
    assert client.delete("/api/documents/parking.md", headers=ADMIN).json()["ok"]
    assert [d["document_id"] for d in client.get("/api/documents").json()["documents"]] == [
        "bins.md"
    ]
    assert client.delete("/api/documents/parking.md", headers=ADMIN).status_code == 404
