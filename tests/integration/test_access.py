"""Who may see what, end to end: two users in two groups behind a trusted proxy, through the
real app on a real port. No passage, title or count of a restricted document reaches the other."""

from __future__ import annotations

import httpx
import pytest
from servers import LiveServer, free_port

from core.settings import Settings, UISettings
from core.types import Access
from index.ingest import ingest
from ui.app import create_app

pytestmark = pytest.mark.integration

HR_DOC = "hr/grievance.md"
SECRET_TITLE = "Grievance procedure for the Zanzibar depot"
SECRET_TEXT = "chaired by the head of HR"
QUESTION = "Who chairs grievance hearings at the Zanzibar depot?"
HR_USER = {"X-Forwarded-User": "hr.officer", "X-Forwarded-Groups": "hr,staff"}
STAFF_USER = {"X-Forwarded-User": "street.officer", "X-Forwarded-Groups": "staff"}


@pytest.fixture(scope="module")
def access_settings(tmp_path_factory, embedder) -> Settings:
    root = tmp_path_factory.mktemp("access")
    corpus = root / "docs"
    (corpus / "hr").mkdir(parents=True)
    (corpus / "waste.md").write_text(
        "# Garden waste\n\nThe garden waste subscription costs 52 pounds a year.\n"
    )
    (corpus / "hr" / ".groups").write_text("hr\n")
    (corpus / HR_DOC).write_text(
        f"---\ntitle: {SECRET_TITLE}\n---\n# Hearings\n\n"
        f"Grievance hearings at the Zanzibar depot are {SECRET_TEXT}.\n"
    )
    settings = Settings(store=str(root / "store"))
    ingest([corpus], settings, embedder_factory=lambda: embedder)
    port = free_port()
    ui = UISettings(
        port=port,
        feedback_db=root / "feedback.sqlite3",
        rate_limit_per_minute=1000,
        identity_header="X-Forwarded-User",
        groups_header="X-Forwarded-Groups",
        trusted_proxies=["127.0.0.1"],
    )
    return settings.model_copy(update={"ui": ui})


@pytest.fixture(scope="module")
def server(access_settings, embedder):
    from assistant.pipeline import Assistant

    app = create_app(access_settings, Assistant(access_settings, embedder=embedder))
    with LiveServer(app) as live:
        yield live


def leaks(data: object) -> bool:
    text = repr(data)
    return HR_DOC in text or SECRET_TITLE in text or SECRET_TEXT in text or "grievance.md" in text


def test_the_group_member_gets_the_answer_and_the_other_user_nothing_of_it(server) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        allowed = http.post("/api/ask", json={"question": QUESTION}, headers=HR_USER).json()
        assert not allowed["refused"] and allowed["citations"][0]["document_id"] == HR_DOC
        for headers in (STAFF_USER, {}):
            denied = http.post("/api/ask", json={"question": QUESTION}, headers=headers).json()
            assert denied["refused"] and not leaks(denied), denied
            assert denied["evidence"]["unknown_names"] == ["Zanzibar"]  # as if it did not exist
            chat = http.post(
                "/v1/chat/completions",
                headers=headers,
                json={
                    "model": "council-assistant",
                    "messages": [{"role": "user", "content": QUESTION}],
                },
            ).json()
            assert not leaks(chat), chat
            stream = http.post(
                "/v1/chat/completions",
                headers=headers,
                json={
                    "model": "council-assistant",
                    "stream": True,
                    "messages": [{"role": "user", "content": QUESTION}],
                },
            ).text
            assert not leaks(stream)


def test_document_lists_and_counts_are_per_user(server) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        hr = http.get("/api/documents", headers=HR_USER).json()
        staff = http.get("/api/documents", headers=STAFF_USER).json()
        assert hr["count"] == 2 and staff["count"] == 1
        assert not leaks(staff) and hr["chunks"] > staff["chunks"]
        assert http.get("/healthz", headers=STAFF_USER).json()["documents"] == 1
        assert http.get("/healthz", headers=HR_USER).json()["documents"] == 2


def test_identity_headers_from_an_untrusted_address_are_ignored(access_settings, embedder) -> None:
    from assistant.pipeline import Assistant

    ui = access_settings.ui.model_copy(
        update={"trusted_proxies": ["10.9.9.9"], "port": free_port()}
    )
    settings = access_settings.model_copy(update={"ui": ui})
    with LiveServer(create_app(settings, Assistant(settings, embedder=embedder))) as live:
        with httpx.Client(base_url=live.url, timeout=120) as http:
            answer = http.post("/api/ask", json={"question": QUESTION}, headers=HR_USER).json()
            assert answer["refused"] and not leaks(answer)
            assert http.get("/api/documents", headers=HR_USER).json()["count"] == 1


def test_a_saved_answer_is_withheld_once_its_document_is_out_of_reach(
    access_settings, embedder
) -> None:
    from assistant.pipeline import Assistant
    from ui.services import Services

    services = Services.build(access_settings, Assistant(access_settings, embedder=embedder))
    hr_access = Access("hr.officer", frozenset({"hr"}))
    answer = services.assistant.ask(QUESTION, access=hr_access)
    assert not answer.refused
    assert services.screen(answer, hr_access) == answer
    shown = services.screen(answer, Access("hr.officer", frozenset({"staff"})))  # moved out of HR
    assert shown.refused and not leaks(shown.to_dict())


def test_documents_without_groups_stay_visible_to_everyone(server) -> None:
    with httpx.Client(base_url=server.url, timeout=120) as http:
        for headers in (HR_USER, STAFF_USER, {}):
            answer = http.post(
                "/api/ask",
                json={"question": "How much is the garden waste subscription?"},
                headers=headers,
            ).json()
            assert not answer["refused"] and "52 pounds" in answer["answer"]


def test_the_command_line_answers_as_a_given_group_when_asked(access_settings) -> None:
    """`ask --as-groups` shows a maintainer what a user in those groups would get."""
    import json

    from servers import run_cli

    def ask(*extra: str) -> dict:
        done = run_cli("ask", QUESTION, "--store", access_settings.store, "--json", *extra)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert ask()["citations"][0]["document_id"] == HR_DOC  # the operator sees everything
    assert ask("--as-groups", "hr")["citations"][0]["document_id"] == HR_DOC
    for groups in ("staff", ""):
        denied = ask("--as-groups", groups)
        assert denied["refused"] and not leaks(denied), denied
