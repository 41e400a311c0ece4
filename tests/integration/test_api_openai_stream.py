"""The OpenAI-compatible API: a streamed reply is the plain reply, character for character
(line breaks included), for every golden question of the CI subset; every other ``/v1`` path
or method answers in OpenAI's error shape."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from core.settings import UISettings
from evals.dataset import golden_items, select
from evals.runner import DEFAULT_THRESHOLDS, EVALS_DIR, load_thresholds
from ui.app import create_app

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(corpus_settings, corpus_assistant, tmp_path_factory):
    folder = tmp_path_factory.mktemp("v1")
    ui = UISettings(rate_limit_per_minute=100_000, feedback_db=folder / "feedback.sqlite3")
    with TestClient(
        create_app(corpus_settings.model_copy(update={"ui": ui}), corpus_assistant)
    ) as c:
        yield c


def ci_questions() -> list:
    subset = load_thresholds(DEFAULT_THRESHOLDS)["subsets"]["ci"]
    return select(golden_items(EVALS_DIR / "golden.jsonl"), subset=subset)


def messages(item) -> list[dict[str, str]]:
    chat = []
    for turn in item.history:
        chat.append({"role": "user", "content": turn.question})
        if turn.answer:
            chat.append({"role": "assistant", "content": turn.answer})
    return [*chat, {"role": "user", "content": item.question}]


def streamed(client: TestClient, body: dict) -> tuple[str, list[dict]]:
    with client.stream("POST", "/v1/chat/completions", json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        events = [line[6:] for line in response.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert not any("error" in c for c in chunks), chunks
    return "".join(
        c["choices"][0]["delta"].get("content") or "" for c in chunks if c.get("choices")
    ), chunks


def test_the_stream_is_the_plain_reply_for_every_ci_question(client) -> None:
    items = ci_questions()
    assert len(items) >= 20  # the CI subset: answerable, unanswerable, follow-up and hostile rows
    with_lines = 0
    for item in items:
        body = {"model": "council-assistant", "messages": messages(item)}
        plain = client.post("/v1/chat/completions", json=body)
        assert plain.status_code == 200, (item.id, plain.text)
        content = plain.json()["choices"][0]["message"]["content"]
        text, chunks = streamed(client, body)
        assert text == content, item.id
        assert chunks[-1]["refused"] == plain.json()["refused"], item.id
        answer = content.split("\n\nSources:\n")[0]
        with_lines += "\n" in answer
        if not plain.json()["refused"]:
            assert (
                sum(
                    1
                    for c in chunks
                    if c.get("choices") and c["choices"][0]["delta"].get("content")
                )
                >= 2
            ), item.id
    assert with_lines >= 1  # some answers are lists: their line breaks came through the stream


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/chat/completions", 405),
        ("PUT", "/v1/chat/completions", 405),
        ("DELETE", "/v1/models", 405),
        ("GET", "/v1/nothing-here", 404),
        ("POST", "/v1/embeddings", 404),
        ("GET", "/v1", 404),
        ("GET", "/v1/", 404),
    ],
)
def test_every_v1_path_and_method_answers_in_openai_shape(client, method, path, status) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) >= {"message", "type", "code"} and error["message"]
    assert error["code"] == ("method_not_allowed" if status == 405 else "not_found")
    assert error["type"] == ("invalid_request_error" if status == 405 else "not_found_error")
    if status == 405:
        assert response.headers["allow"] in ("POST", "GET")


def test_the_openai_client_reads_those_errors(client) -> None:
    import openai

    api = openai.OpenAI(
        base_url="http://testserver/v1", api_key="x", http_client=client, max_retries=0
    )
    with pytest.raises(openai.NotFoundError) as raised:
        api.embeddings.create(model="council-assistant", input="zero trust")
    assert "unknown path /v1/embeddings" in str(raised.value)
