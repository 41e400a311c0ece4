"""Personal data through the real app: questions and reasons with UK personal data are stored
redacted, the export counts the redactions, the database is 0600, the logs are redacted."""

from __future__ import annotations

import json
import logging
import stat

import pytest
from fastapi.testclient import TestClient

from core.settings import UISettings
from ui.app import create_app

pytestmark = pytest.mark.integration

ADMIN = "privacy-admin-token-9c2d"
QUESTION = (
    "What is zero trust? Resident AB 12 34 56 C, DOB 01/02/1980, SW1A 1AA, jo.bloggs@example.com"
)
REASON = "call me on 07700 900123, card 4111 1111 1111 1111"
PERSONAL = (
    "AB 12 34 56 C",
    "01/02/1980",
    "SW1A 1AA",
    "jo.bloggs@example.com",
    "07700 900123",
    "4111 1111 1111 1111",
)


@pytest.fixture(scope="module")
def app_settings(corpus_settings, tmp_path_factory):
    ui = UISettings(
        admin_token=ADMIN,
        rate_limit_per_minute=1000,
        feedback_db=tmp_path_factory.mktemp("privacy") / "app" / "feedback.sqlite3",
    )
    return corpus_settings.model_copy(update={"ui": ui})


def test_feedback_is_stored_redacted_and_counted(app_settings, corpus_assistant, caplog) -> None:
    with TestClient(create_app(app_settings, corpus_assistant)) as client:
        path = app_settings.ui.feedback_db
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        answer = client.post("/api/ask", json={"question": QUESTION}).json()
        assert (
            client.post(
                "/api/feedback",
                json={"answer_id": answer["answer_id"], "rating": "down", "reason": REASON},
            ).status_code
            == 200
        )
        exported = client.get(
            "/api/feedback/export", headers={"Authorization": f"Bearer {ADMIN}"}
        ).text
        row = json.loads(exported.splitlines()[-1])
        assert row["question"].startswith(
            "What is zero trust? Resident [redacted NI number], DOB [redacted date of birth]"
        )
        assert row["reason"] == "call me on [redacted phone], card [redacted card number]"
        assert row["redactions"]["ni_number"] >= 1 and row["redactions"]["card"] == 1
        assert row["redaction_count"] >= 6
        for value in PERSONAL:
            assert value not in exported
            assert value.encode() not in path.read_bytes()

        with caplog.at_level(logging.INFO, logger="ui.chat"):
            logging.getLogger("ui.chat").error("the chat could not answer %r", QUESTION)
        assert "[redacted email]" in caplog.text
        assert not any(value in caplog.text for value in PERSONAL)
