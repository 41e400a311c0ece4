"""The HTTP API against the real app (real store, real embedder, Gradio mounted beside it)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from core.settings import Settings, UISettings
from core.types import Citation
from ui.app import create_app

pytestmark = pytest.mark.integration

ADMIN = "test-admin-token-5e1f"
INTRANET = "https://intranet.example.gov.uk"
ZERO_TRUST = "What is zero trust?"
PERMITS_MD = """---
title: Resident parking permits
publisher: Example Borough Council
year: 2024
---
# Resident parking permits

Resident parking permits in the Example Borough cost £40 a year.
Permits are renewed every April through the council website.
""".encode()


def ui_settings(tmp, **changes) -> UISettings:
    values = dict(
        admin_token=ADMIN,
        allowed_origins=[INTRANET],
        rate_limit_per_minute=1000,
        feedback_db=tmp / "feedback.sqlite3",
    )
    values.update(changes)
    return UISettings(**values)


@pytest.fixture(scope="module")
def api_settings(corpus_settings, tmp_path_factory) -> Settings:
    return corpus_settings.model_copy(update={"ui": ui_settings(tmp_path_factory.mktemp("api"))})


@pytest.fixture(scope="module")
def client(api_settings, corpus_assistant):
    with TestClient(create_app(api_settings, corpus_assistant)) as c:
        yield c


def ask(client: TestClient, question: str, **body) -> dict:
    response = client.post("/api/ask", json={"question": question, **body})
    assert response.status_code == 200, response.text
    return response.json()


def test_health_and_openapi(client) -> None:
    health = client.get("/healthz").json()
    assert health["status"] == "ok" and health["documents"] == 12 and health["chunks"] > 100
    schema = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/documents", "/api/feedback", "/healthz", "/v1/chat/completions"):
        assert path in schema["paths"], path


def test_ask_returns_a_cited_answer(client) -> None:
    data = ask(client, ZERO_TRUST)
    assert not data["refused"]
    numbers = [c["n"] for c in data["citations"]]
    assert numbers and numbers == sorted(set(numbers))
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", data["answer"])}
    assert cited and cited <= set(numbers)
    assert "ncsc-zero-trust-architecture-principles.md" in {
        c["document_id"] for c in data["citations"]
    }
    assert set(data) >= {
        "question",
        "answer",
        "citations",
        "sources",
        "timings_ms",
        "warnings",
        "answer_id",
    }


def test_ask_with_filters_and_history(client) -> None:
    data = ask(
        client,
        "What does the standard say about accessibility?",
        filters={"documents": ["govuk-service-standard.md"]},
    )
    assert data["sources"] and {s["document_id"] for s in data["sources"]} == {
        "govuk-service-standard.md"
    }
    first = ask(client, ZERO_TRUST)
    follow = ask(
        client,
        "What are its principles?",
        history=[{"question": ZERO_TRUST, "answer": first["answer"]}],
    )
    assert follow["question"] == "What are its principles?"
    assert follow["standalone_question"] and follow["standalone_question"] != follow["question"]


def test_refusal_has_no_citations(client) -> None:
    data = ask(client, "What is the recipe for a Victoria sponge cake?")
    assert data["refused"] and data["citations"] == [] and data["refusal_reason"]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"question": ""},
        {"question": "   \n\t "},
        {"question": 42},
        {"question": "word " * 600},  # 3,000 characters: over the 2,000 limit
        {"question": "a" * 200_000},
        {"question": "ok?", "history": "not a list"},
        {"question": "ok?", "history": [{"question": "q", "answer": "a"}] * 50},
        {"question": "ok?", "filters": {"year_from": "soon"}},
        {"question": "ok?", "unknown": 1},
    ],
)
def test_bad_questions_are_400_or_422_with_a_message(client, body) -> None:
    response = client.post("/api/ask", json=body)
    assert response.status_code in (400, 422), response.text
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


def test_not_json_is_422(client) -> None:
    response = client.post(
        "/api/ask", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_documents_list(client) -> None:
    data = client.get("/api/documents").json()
    assert data["count"] == 12 and data["admin_enabled"] is True
    doc = next(
        d
        for d in data["documents"]
        if d["document_id"] == "ncsc-zero-trust-architecture-principles.md"
    )
    assert (
        doc["title"]
        and doc["year"] == 2021
        and doc["chunks"] > 0
        and doc["ingested_at"]
        and doc["licence"]
    )


def test_feedback_is_stored_with_the_answer_and_settings(client, api_settings) -> None:
    data = ask(client, ZERO_TRUST)
    response = client.post(
        "/api/feedback",
        json={"answer_id": data["answer_id"], "rating": "down", "reason": "too long"},
    )
    assert response.status_code == 200
    row_id = response.json()["id"]
    with sqlite3.connect(api_settings.ui.feedback_db) as db:
        question, answer, citations, settings, reason = db.execute(
            "SELECT question, answer, citations, settings, reason FROM feedback WHERE id = ?",
            (row_id,),
        ).fetchone()
    assert (question, answer, reason) == (ZERO_TRUST, data["answer"], "too long")
    assert [c["n"] for c in json.loads(citations)] == [c["n"] for c in data["citations"]]
    assert json.loads(settings)["answer"]["backend"] == "extractive"
    assert ADMIN not in settings

    assert (
        client.post("/api/feedback", json={"answer_id": "nope", "rating": "up"}).status_code == 404
    )
    assert client.post("/api/feedback", json={"rating": "up"}).status_code == 422
    assert (
        client.post(
            "/api/feedback", json={"answer_id": data["answer_id"], "rating": "meh"}
        ).status_code
        == 422
    )
    direct = client.post(
        "/api/feedback", json={"question": "Q?", "answer": "A [1].", "rating": "up"}
    )
    assert direct.status_code == 200


def test_feedback_export_needs_the_admin_token(client) -> None:
    data = ask(client, ZERO_TRUST)
    client.post(
        "/api/feedback",
        json={"answer_id": data["answer_id"], "rating": "down", "reason": "missed a step"},
    )
    assert client.get("/api/feedback/export").status_code == 401
    assert (
        client.get("/api/feedback/export", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )
    auth = {"Authorization": f"Bearer {ADMIN}"}
    rows = [
        json.loads(line)
        for line in client.get("/api/feedback/export", headers=auth).text.splitlines()
    ]
    assert any(r["reason"] == "missed a step" for r in rows)
    golden = client.get("/api/feedback/export?format=golden", headers=auth).text.splitlines()
    candidate = next(json.loads(g) for g in golden if "missed a step" in g)
    assert candidate["type"] == "answerable" and candidate["must_refuse"] is False
    assert candidate["expected_documents"] == ["ncsc-zero-trust-architecture-principles.md"]
    assert candidate["notes"] == "from feedback: missed a step"


def test_openai_compatible_chat(client) -> None:
    body = {
        "model": "anything",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": ZERO_TRUST},
        ],
    }
    data = client.post("/v1/chat/completions", json=body).json()
    message = data["choices"][0]["message"]
    content = message["content"]
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "[1]" in answer
    cited = [Citation.from_dict(c) for c in data["citations"]]
    assert len(cited) == len(message["citations"]) > 0
    lines = sources.splitlines()
    assert sorted(
        line.strip().split(" ")[0] for line in lines if line.startswith("    [")
    ) == sorted(f"[{c.n}]" for c in cited)
    documents = {c.doc.document_id for c in cited}
    assert len([line for line in lines if not line.startswith("    ")]) == 2 * len(
        documents
    )  # one entry each
    assert data["object"] == "chat.completion" and data["choices"][0]["finish_reason"] == "stop"

    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert streamed == content  # the same checked answer and Sources list, streamed
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert [c["n"] for c in chunks[-1]["citations"]] == [c["n"] for c in data["citations"]]


def test_openai_history_and_bad_input(client) -> None:
    first = client.post(
        "/v1/chat/completions", json={"messages": [{"role": "user", "content": ZERO_TRUST}]}
    ).json()
    messages = [
        {"role": "user", "content": ZERO_TRUST},
        {"role": "assistant", "content": first["choices"][0]["message"]["content"]},
        {"role": "user", "content": [{"type": "text", "text": "What are its principles?"}]},
    ]
    assert client.post("/v1/chat/completions", json={"messages": messages}).status_code == 200
    assert client.post("/v1/chat/completions", json={"messages": messages[:2]}).status_code == 400
    assert (
        client.post(
            "/v1/chat/completions", json={"messages": [{"role": "user", "content": " "}]}
        ).status_code
        == 400
    )
    assert (
        client.post("/v1/chat/completions", json={"messages": []}).status_code == 400
    )  # as OpenAI
    models = client.get("/v1/models").json()
    assert models["data"][0]["id"] == "council-assistant"


def test_other_origins_are_refused_before_anything_runs(client, api_settings) -> None:
    with sqlite3.connect(api_settings.ui.feedback_db) as db:
        before = db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    evil = {"Origin": "https://evil.example.com"}
    assert client.post("/api/ask", json={"question": ZERO_TRUST}, headers=evil).status_code == 403
    payload = {"question": "Q?", "answer": "A", "rating": "down"}
    assert client.post("/api/feedback", json=payload, headers=evil).status_code == 403
    with sqlite3.connect(api_settings.ui.feedback_db) as db:
        assert db.execute("SELECT COUNT(*) FROM feedback").fetchone()[0] == before
    allowed = client.post("/api/ask", json={"question": ZERO_TRUST}, headers={"Origin": INTRANET})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == INTRANET
    page = client.get("/")
    assert page.status_code == 200
    assert f"frame-ancestors 'self' {INTRANET}" in page.headers["content-security-policy"]
    assert ADMIN not in page.text


def test_rate_limit_per_client(corpus_settings, corpus_assistant, tmp_path) -> None:
    settings = corpus_settings.model_copy(
        update={"ui": ui_settings(tmp_path, rate_limit_per_minute=2)}
    )
    with TestClient(create_app(settings, corpus_assistant)) as limited:
        assert [
            limited.post("/api/ask", json={"question": ZERO_TRUST}).status_code for _ in range(2)
        ] == [200, 200]
        third = limited.post("/api/ask", json={"question": ZERO_TRUST})
        assert third.status_code == 429
        assert (
            0 < int(third.headers["retry-after"]) <= 60
            and "at most 2 a minute" in third.json()["detail"]
        )
        assert limited.get("/api/documents").status_code == 200  # reading is not limited


def test_admin_disabled_without_a_token(corpus_settings, corpus_assistant, tmp_path) -> None:
    settings = corpus_settings.model_copy(update={"ui": ui_settings(tmp_path, admin_token=None)})
    with TestClient(create_app(settings, corpus_assistant)) as plain:
        response = plain.post(
            "/api/documents/reindex", headers={"Authorization": "Bearer anything"}
        )
        assert response.status_code == 403 and "disabled" in response.json()["detail"]
        assert plain.get("/api/documents").json()["admin_enabled"] is False


@pytest.fixture(scope="module")
def admin_client(tmp_path_factory, corpus_dir, embedder):
    """An app over its own small store, so uploads and deletes leave the shared corpus alone."""
    from assistant.pipeline import Assistant
    from index.ingest import ingest

    tmp = tmp_path_factory.mktemp("admin-api")
    settings = Settings(store=str(tmp / "store"), ui=ui_settings(tmp))
    ingest(
        [corpus_dir / "techuk-demystifying-the-smart-city-news.md"],
        settings,
        embedder_factory=lambda: embedder,
    )
    with TestClient(create_app(settings, Assistant(settings, embedder=embedder))) as c:
        yield c, settings


def test_upload_ask_delete_reindex(admin_client) -> None:
    client, settings = admin_client
    auth = {"Authorization": f"Bearer {ADMIN}"}
    question = {"question": "How much does a resident parking permit cost in the Example Borough?"}
    files = [("files", ("../permits.md", PERMITS_MD, "text/markdown"))]
    assert client.post("/api/documents", files=files).status_code == 401
    uploaded = client.post("/api/documents", files=files, headers=auth)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["uploaded"] == ["permits.md"]  # no path tricks: saved by its plain name
    assert {d["document_id"] for d in client.get("/api/documents").json()["documents"]} >= {
        "permits.md"
    }

    answer = client.post("/api/ask", json=question).json()
    assert not answer["refused"] and "£40" in answer["answer"]
    assert {c["document_id"] for c in answer["citations"]} == {"permits.md"}

    bad = client.post(
        "/api/documents",
        files=[("files", ("tool.exe", b"MZ", "application/octet-stream"))],
        headers=auth,
    )
    assert bad.status_code == 400 and "unsupported" in json.dumps(bad.json())

    reindexed = client.post("/api/documents/reindex", headers=auth)
    assert (
        reindexed.status_code == 200 and "re-indexed 2 document(s)" in reindexed.json()["message"]
    )

    assert client.delete("/api/documents/permits.md").status_code == 401
    deleted = client.delete("/api/documents/permits.md", headers=auth)
    assert deleted.status_code == 200
    assert "permits.md" not in {
        d["document_id"] for d in client.get("/api/documents").json()["documents"]
    }
    after = client.post("/api/ask", json=question).json()
    assert "permits.md" not in {c["document_id"] for c in after["citations"] + after["sources"]}
    assert client.delete("/api/documents/permits.md", headers=auth).status_code == 404


def test_same_origin_is_the_configured_address_not_the_host_header(client) -> None:
    rebinding = {"Host": "evil.example:7871", "Origin": "http://evil.example:7871"}
    assert (
        client.post("/api/ask", json={"question": ZERO_TRUST}, headers=rebinding).status_code == 403
    )
    own = {"Origin": "http://127.0.0.1:7860"}  # the configured host and port (the defaults here)
    assert client.post("/api/ask", json={"question": ZERO_TRUST}, headers=own).status_code == 200
    for malformed in (
        "http://127.0.0.1:7871.evil.example",
        "http://127.0.0.1:99999",
        "http://[::1",
        "https://x/y",
    ):
        refused = client.post(
            "/api/ask", json={"question": ZERO_TRUST}, headers={"Origin": malformed}
        )
        assert refused.status_code == 403 and "not allowed" in refused.json()["detail"], malformed


def test_bodies_are_capped_on_every_route(client) -> None:
    big = b'{"question": "' + b"a" * (3 * 1024 * 1024) + b'"}'
    for path in (
        "/api/ask",
        "/api/feedback",
        "/v1/chat/completions",
        "/gradio_api/queue/join",
        "/chat/gradio_api/queue/join",
    ):
        response = client.post(path, content=big, headers={"Content-Type": "application/json"})
        assert response.status_code == 413, (path, response.status_code)
    assert (
        "limit"
        in client.post(
            "/api/ask", content=big, headers={"Content-Type": "application/json"}
        ).json()["detail"]
    )


def test_gradio_upload_route_needs_the_admin_token(client) -> None:
    from gradio.utils import get_upload_folder

    folder = Path(get_upload_folder())
    before = set(folder.rglob("*")) if folder.exists() else set()
    marker = b"anonymous upload " + uuid.uuid4().hex.encode()
    for path in ("/gradio_api/upload", "/chat/gradio_api/upload"):
        response = client.post(path, files={"files": ("a.txt", marker, "text/plain")})
        assert response.status_code == 401 and "admin token" in response.json()["detail"]
    after = set(folder.rglob("*")) if folder.exists() else set()
    assert not any(p.is_file() and marker in p.read_bytes() for p in after - before)

    session = client.post("/api/admin/session", headers={"Authorization": f"Bearer {ADMIN}"})
    assert session.status_code == 200 and "httponly" in session.headers["set-cookie"].lower()
    uploaded = client.post("/gradio_api/upload", files={"files": ("a.txt", marker, "text/plain")})
    assert uploaded.status_code == 200 and uploaded.json()[0].endswith("a.txt")
    Path(uploaded.json()[0]).unlink(missing_ok=True)
    client.delete("/api/admin/session")
    client.cookies.clear()
    assert (
        client.post(
            "/gradio_api/upload", files={"files": ("a.txt", marker, "text/plain")}
        ).status_code
        == 401
    )
    assert (
        client.post("/api/admin/session", headers={"Authorization": "Bearer wrong"}).status_code
        == 401
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/chat/",
        "/docs",
        "/redoc",
        "/api/documents",
        "/embed/embed.js",
        "/openapi.json",
        "/nowhere",
    ],
)
def test_security_headers_on_every_page(client, path) -> None:
    response = client.get(path)
    assert response.status_code in (200, 404)
    csp = response.headers["content-security-policy"]
    assert (
        f"frame-ancestors 'self' {INTRANET}" in csp
        and "default-src 'self'" in csp
        and "object-src 'none'" in csp
    )
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


def test_docs_assets_are_served_locally(client) -> None:
    page = client.get("/docs").text
    scripts = re.findall(r'<script src="([^"]+)"', page) + re.findall(r'href="([^"]+\.css)"', page)
    assert scripts and all(s.startswith("/docs-assets/") for s in scripts), scripts
    assert all(client.get(s).status_code == 200 for s in scripts)
    assert "cdn." not in client.get("/redoc").text


def test_refusals_from_the_api_and_v1_are_recorded_for_the_gaps_report(
    client, api_settings
) -> None:
    """Typed, redacted rows; an answered question, or one refused under filters, adds none."""
    from ui.gaps.log import RefusalLog
    from ui.gaps.tab import gaps_view

    log = RefusalLog(api_settings.ui.feedback_db)
    before = len(log.rows())
    asked = "What is the council's budget for pothole repairs? Call me on 07700 900123"
    assert ask(client, asked)["refused"]
    assert ask(client, ZERO_TRUST)["refused"] is False
    assert ask(client, asked, filters={"publisher": "NCSC"})["refused"]  # filtered: not a gap
    reply = client.post(
        "/v1/chat/completions",
        json={
            "model": "x",
            "messages": [{"role": "user", "content": "Who won the 1966 World Cup?"}],
        },
    )
    assert reply.status_code == 200 and reply.json()["refused"]
    rows = log.rows()[before:]
    assert [r.channel for r in rows] == ["api", "openai"]
    assert rows[0].question.endswith("Call me on [redacted phone]")
    assert (
        rows[0].redactions["phone"] >= 1
    )  # the reason may name the number too: redacted there as well
    assert rows[0].reason and rows[0].closest_documents  # why, and what came closest
    assert all("07700" not in json.dumps(r.__dict__) for r in rows)

    services = client.app.state.services
    refused, html, csv_file, _ = gaps_view(services)("wrong-token", "", "", None)
    assert refused.startswith("Refused") and html == "" and csv_file["visible"] is False
    shown, html, csv_file, golden = gaps_view(services)(ADMIN, "", "", None)
    assert "pothole" in html and "07700" not in html and csv_file["visible"] and golden["visible"]

    assert client.get("/api/admin/gaps").status_code == 401
    assert (
        client.get("/api/admin/gaps", headers={"Authorization": "Bearer wrong"}).status_code == 401
    )
    admin = {"Authorization": f"Bearer {ADMIN}"}
    report = client.get("/api/admin/gaps", headers=admin).json()
    assert report["questions"] >= 2 and report["signals"]["refused"] >= 2
    csv_reply = client.get("/api/admin/gaps", params={"format": "csv"}, headers=admin)
    assert csv_reply.status_code == 200 and csv_reply.text.startswith("\ufefftopic,label,")
    assert (
        client.get("/api/admin/gaps", params={"since": "March"}, headers=admin).status_code == 400
    )
