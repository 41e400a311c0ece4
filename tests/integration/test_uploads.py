"""Uploads are staged and parsed in isolation: a bad one is refused with its reason and never
affects the next, nor a restart; a file left in the uploads folder can be removed (issue 11)."""

from __future__ import annotations

import time

import pytest
from docgen import make_docx
from fastapi.testclient import TestClient
from hostile import docx_with

from assistant.pipeline import Assistant
from core.settings import Settings, UISettings
from ui.app import create_app

pytestmark = pytest.mark.integration

ADMIN = "upload-admin-token-77"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
DEEP_HTML = (
    "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>"
).encode()
MALFORMED_DOCX = docx_with(b'<?xml version="1.0"?><w:document><w:body><w:p><w:r>')


def good_txt(n: int) -> bytes:
    return f"Recycling note {n}\n\nBlue bins in ward {n} are emptied on Thursdays.\n".encode()


def upload(
    client: TestClient, name: str, data: bytes, content_type: str = "application/octet-stream"
):
    return client.post(
        "/api/documents", files=[("files", (name, data, content_type))], headers=AUTH
    )


@pytest.fixture()
def app_settings(tmp_path, embedder) -> Settings:
    """A store of its own holding one document, the app's state folder in tmp."""
    from index.ingest import ingest

    ui = UISettings(
        admin_token=ADMIN, rate_limit_per_minute=1000, feedback_db=tmp_path / "feedback.sqlite3"
    )
    settings = Settings(store=str(tmp_path / "store"), ui=ui)
    seed = tmp_path / "seed"
    seed.mkdir()
    (seed / "seed.md").write_text("# Seed\n\nThe seed document says the depot opens at eight.\n")
    ingest([seed], settings, embedder_factory=lambda: embedder)
    return settings


def test_a_bad_upload_is_refused_with_its_reason_and_never_affects_the_next(
    app_settings, embedder, tmp_path
) -> None:
    uploads = tmp_path / "uploads"
    with TestClient(create_app(app_settings, Assistant(app_settings, embedder=embedder))) as client:
        bad = upload(client, "broken.docx", MALFORMED_DOCX)
        assert (
            bad.status_code == 400
            and "cannot be parsed" in bad.text
            and "XMLSyntaxError" in bad.text
        )
        for n in range(3):  # the next uploads, a good .txt among them, are unaffected
            ok = upload(client, f"note-{n}.txt", good_txt(n), "text/plain")
            assert ok.status_code == 200 and ok.json()["report"]["added"] == [f"note-{n}.txt"], (
                ok.text
            )
        started = time.monotonic()
        deep = upload(client, "deep.html", DEEP_HTML, "text/html")
        assert deep.status_code == 400 and "nested more than" in deep.text
        assert time.monotonic() - started < 60
        mixed = client.post(
            "/api/documents",
            files=[
                ("files", ("deep2.html", DEEP_HTML, "text/html")),
                ("files", ("note-9.txt", good_txt(9), "text/plain")),
                (
                    "files",
                    (
                        "allot.docx",
                        make_docx("Allotments", [(1, "Plots", ["Plots are let in October."])]),
                        "application/octet-stream",
                    ),
                ),
            ],
            headers=AUTH,
        )
        assert mixed.status_code == 200, mixed.text
        body = mixed.json()
        assert (
            sorted(body["uploaded"]) == ["allot.docx", "note-9.txt"]
            and "deep2.html (HTML elements nested" in body["message"]
        )
        assert sorted(p.name for p in uploads.iterdir()) == [
            "allot.docx",
            "note-0.txt",
            "note-1.txt",
            "note-2.txt",
            "note-9.txt",
        ]
        assert not (tmp_path / "upload-staging").exists() or not any(
            (tmp_path / "upload-staging").iterdir()
        )
        answer = client.post(
            "/api/ask", json={"question": "When are blue bins in ward 9 emptied?"}
        ).json()
        assert "note-9.txt" in {c["document_id"] for c in answer["citations"]}

    # A restart: the bad files never reached the uploads folder, so nothing is re-parsed or stuck.
    with TestClient(create_app(app_settings, Assistant(app_settings, embedder=embedder))) as client:
        started = time.monotonic()
        assert upload(client, "note-10.txt", good_txt(10), "text/plain").status_code == 200
        assert client.post("/api/documents/reindex", headers=AUTH).status_code == 200
        assert time.monotonic() - started < 120


def test_a_file_left_in_the_uploads_folder_can_be_removed_from_the_app(
    app_settings, embedder, tmp_path
) -> None:
    from ui.documents import DocumentAdmin
    from ui.security import AdminGuard

    uploads = tmp_path / "uploads"
    uploads.mkdir()
    (uploads / "left-over.html").write_bytes(DEEP_HTML)  # as an older version left it
    with TestClient(create_app(app_settings, Assistant(app_settings, embedder=embedder))) as client:
        assert (
            upload(client, "note-1.txt", good_txt(1), "text/plain").status_code == 200
        )  # not held up by it
        admin = DocumentAdmin(app_settings, AdminGuard(ADMIN))
        assert admin.leftover_uploads() == ["left-over.html"]
        assert client.delete("/api/documents/left-over.html").status_code == 401
        removed = client.delete("/api/documents/left-over.html", headers=AUTH)
        assert removed.status_code == 200 and "not indexed" in removed.json()["message"]
        assert sorted(p.name for p in uploads.iterdir()) == ["note-1.txt"]
        assert admin.leftover_uploads() == []
        withheld = client.get("/api/documents/withheld")
        assert withheld.status_code == 401
        assert client.get("/api/documents/withheld", headers=AUTH).json() == {
            "count": 0,
            "withheld": [],
        }


def test_an_upload_recalibrates_refusal_off_the_request(app_settings, embedder) -> None:
    """As the CLI's ingest does: the new revision's calibration is saved beside the store."""
    import sqlite3

    from index.store import open_store
    from index.store.base import revision_tag

    with TestClient(create_app(app_settings, Assistant(app_settings, embedder=embedder))) as client:
        assert upload(client, "note-1.txt", good_txt(1), "text/plain").status_code == 200
        tag = revision_tag(open_store(app_settings).info())
        deadline = time.monotonic() + 60
        keys: list[str] = []
        while time.monotonic() < deadline:
            with sqlite3.connect(f"{app_settings.store}/keyword/council_docs.sqlite3") as db:
                keys = [k for (k,) in db.execute("SELECT key FROM state WHERE key LIKE 'note:%'")]
            if any(k.startswith(f"note:{tag}calibration:") for k in keys):
                break
            time.sleep(0.5)
        assert any(k.startswith(f"note:{tag}calibration:") for k in keys), (tag, keys)
