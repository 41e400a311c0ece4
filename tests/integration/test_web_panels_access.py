"""Restricted documents through the web app's own panels, and through the scores it returns.

Every Gradio handler is called as the page calls it (``tests/gradio_probe.py``), by an
anonymous caller and a user outside the group, with the admin token box empty or wrong: no
restricted title, id or sentence comes back from any of them (the Documents tab's Delete and
Re-index used to answer "Refused" with everyone's table). A member of the group sees the
document through the same handlers (the positive control). And the evidence an outsider gets
is the same for a name found only in a restricted document as for an invented one.
"""

from __future__ import annotations

import httpx
import pytest
from gradio_probe import GradioProbe
from servers import LiveServer, free_port

from core.settings import Settings, UISettings
from index.ingest import ingest
from ui.app import create_app

pytestmark = pytest.mark.integration

TOKEN = "panels-admin-token"
HR_DOC = "hr/grievance.md"
SECRET_TITLE = "Grievance procedure for the Zanzibar depot"
SECRET_TEXT = "chaired by the head of HR"
# Names that appear only in the restricted document, and invented ones of the same shape.
RESTRICTED_NAMES = ("Okonkwo", "Threlkeld", "Pemberton", "Kestrelmoor")
INVENTED_NAMES = ("Quillfeather", "Marrowby", "Ostrander", "Velloway")
HR_USER = {"X-Forwarded-User": "hr.officer", "X-Forwarded-Groups": "hr,staff"}
STAFF_USER = {"X-Forwarded-User": "street.officer", "X-Forwarded-Groups": "staff"}
QUESTION = "Who chairs grievance hearings at the Zanzibar depot?"


@pytest.fixture(scope="module")
def panels_server(tmp_path_factory, embedder):
    from assistant.pipeline import Assistant

    root = tmp_path_factory.mktemp("panels")
    corpus = root / "docs"
    (corpus / "hr").mkdir(parents=True)
    (corpus / "waste.md").write_text(
        "# Garden waste\n\nThe garden waste subscription costs 52 pounds a year."
        " Crews collect the brown bins every other week.\n"
    )
    (corpus / "hr" / ".groups").write_text("hr\n")
    (corpus / HR_DOC).write_text(
        f"---\ntitle: {SECRET_TITLE}\n---\n# Hearings\n\nGrievance hearings at the Zanzibar depot are"
        f" {SECRET_TEXT}. Appeals go to Okonkwo, Threlkeld and Pemberton at the Kestrelmoor office.\n"
    )
    settings = Settings(store=str(root / "store"))
    ingest([corpus], settings, embedder_factory=lambda: embedder)
    ui = UISettings(
        port=free_port(),
        feedback_db=root / "feedback.sqlite3",
        rate_limit_per_minute=1000,
        admin_token=TOKEN,
        identity_header="X-Forwarded-User",
        groups_header="X-Forwarded-Groups",
        trusted_proxies=["127.0.0.1"],
    )
    settings = settings.model_copy(update={"ui": ui})
    with LiveServer(create_app(settings, Assistant(settings, embedder=embedder))) as live:
        yield live


def restricted_in(text: str) -> list[str]:
    """The restricted document's id, title or text found in ``text`` (the question aside)."""
    return [
        s
        for s in (HR_DOC, "grievance.md", SECRET_TITLE, SECRET_TEXT, "Okonkwo, Threlkeld")
        if s in text
    ]


@pytest.mark.parametrize("headers", [{}, STAFF_USER], ids=["anonymous", "other-group"])
@pytest.mark.parametrize("token", ["", "not-the-token"], ids=["empty-token", "wrong-token"])
def test_no_web_handler_shows_an_outsider_a_restricted_document(
    panels_server, headers, token
) -> None:
    with GradioProbe(panels_server.url, headers=headers) as probe:
        assert {"delete-button.click", "reindex-button.click", "refresh-documents.click"} <= {
            h.name.split("#")[0] for h in probe.handlers()
        }
        seen = probe.call_all(
            overrides={"admin-token": token, "question": QUESTION}, skip=("dataset.", ".like")
        )
    leaks = {name: found for name, text in seen.items() if (found := restricted_in(text))}
    assert not leaks, leaks
    admin_actions = [
        k for k in seen if k.startswith(("delete-button", "reindex-button", "upload-button"))
    ]
    assert len(admin_actions) == 3 and all("Refused" in seen[k] for k in admin_actions), seen
    assert "Garden waste" in seen[next(k for k in seen if k.startswith("refresh-documents"))]


def test_the_group_member_sees_the_document_through_the_same_handlers(panels_server) -> None:
    """The positive control: the probe and the leak check can see a restricted document."""
    with GradioProbe(panels_server.url, headers=HR_USER) as probe:
        seen = probe.call_all(
            overrides={"admin-token": "not-the-token", "question": QUESTION},
            skip=("dataset.", ".like"),
        )
    for handler in ("refresh-documents", "delete-button", "reindex-button", "filters.expand"):
        texts = [text for name, text in seen.items() if name.startswith(handler)]
        assert texts and all(restricted_in(t) for t in texts), (handler, texts)
    answered = [text for name, text in seen.items() if name.startswith("question.submit")]
    assert answered and SECRET_TEXT in answered[0]


def ask(http: httpx.Client, question: str, headers: dict[str, str]) -> dict:
    response = http.post("/api/ask", json={"question": question}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_name_only_a_restricted_document_holds_weighs_as_an_invented_one(panels_server) -> None:
    """The existence oracle: term weights came from every document, so query_coverage was
    higher for a restricted name (0.481) than for an invented one (0.421). Now counted within
    what the caller may see, the two are the same to an outsider, and differ for a member."""
    template = "Which team does {} lead for the brown bin collections?"
    with httpx.Client(base_url=panels_server.url, timeout=120) as http:
        for real, invented in zip(RESTRICTED_NAMES, INVENTED_NAMES, strict=True):
            for headers in ({}, STAFF_USER):
                known = ask(http, template.format(real), headers)
                unknown = ask(http, template.format(invented), headers)
                assert not restricted_in(repr(known)), known
                assert (
                    known["evidence"]["query_coverage"] == unknown["evidence"]["query_coverage"]
                ), (real, invented)
                assert known["evidence"]["unknown_names"] == [real] and unknown["evidence"][
                    "unknown_names"
                ] == [invented]
                assert known["refused"] == unknown["refused"]
            member = ask(http, template.format(real), HR_USER)
            assert member["evidence"]["unknown_names"] == []  # the member's documents do name it


def test_multipart_bodies_need_the_admin_token_on_every_gradio_route(panels_server) -> None:
    files = {"data": ("recording.wav", b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav")}
    with httpx.Client(base_url=panels_server.url, timeout=60) as http:
        for path in (
            "/gradio_api/process_recording",
            "/gradio_api/upload",
            "/chat/gradio_api/process_recording",
            "/gradio_api/component_server",
            "/gradio_api/queue/join",
        ):
            for auth in ({}, {"Authorization": "Bearer not-the-token"}):
                refused = http.post(path, files=files, headers=auth)
                assert refused.status_code in (401, 403), (path, refused.status_code, refused.text)
                assert "admin token" in refused.json()["detail"]
        allowed = http.post(
            "/gradio_api/process_recording",
            files=files,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert allowed.status_code not in (401, 403), (
            allowed.text
        )  # Gradio's own answer to the body


def test_client_sent_citations_are_stored_redacted(panels_server) -> None:
    from ui.feedback import FeedbackStore

    body = {
        "rating": "down",
        "question": "bins?",
        "answer": "Tuesday.",
        "citations": [
            {
                "n": 1,
                "document_id": "waste.md",
                "text": "ring jo.bloggs@example.com on 07700 900123",
                "title": {"nested": "AB 12 34 56 C"},
            }
        ],
    }
    with httpx.Client(base_url=panels_server.url, timeout=60) as http:
        response = http.post("/api/feedback", json=body)
    assert response.status_code == 200, response.text
    services = panels_server.server.config.app.state.services
    row = next(
        r for r in FeedbackStore(services.settings.ui.feedback_db).rows() if r.question == "bins?"
    )
    stored = repr(row.citations)
    assert (
        "jo.bloggs@example.com" not in stored
        and "07700 900123" not in stored
        and "AB 12 34 56 C" not in stored
    )
    assert "[redacted email]" in stored and row.citations[0]["document_id"] == "waste.md"
