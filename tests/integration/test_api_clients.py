"""What integrators use, against the real app under uvicorn: the OpenAI-compatible API through the
official ``openai`` client (answers, the usage chunk, every error readable as the client shows it),
and ``gradio_client``, which finds no endpoints because the chat's events are private."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import openai
import pytest
from servers import LiveServer, free_port

from core.errors import BackendError
from core.settings import Settings, UISettings
from core.types import Passage, Turn

pytestmark = pytest.mark.integration

ZERO_TRUST = "What is zero trust?"


def live_settings(base: Settings, tmp, **ui) -> Settings:
    values = dict(
        rate_limit_per_minute=1000, feedback_db=tmp / "feedback.sqlite3", port=free_port()
    )
    values.update(ui)
    return base.model_copy(update={"ui": UISettings(**values)})


def client_for(url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{url}/v1", api_key="not-needed", max_retries=0, timeout=120)


@pytest.fixture(scope="module")
def server(corpus_settings, corpus_assistant, tmp_path_factory) -> Iterator[str]:
    from ui.app import create_app

    settings = live_settings(corpus_settings, tmp_path_factory.mktemp("openai-client"))
    with LiveServer(create_app(settings, corpus_assistant)) as live:
        yield live.url


def test_completion_with_citations(server) -> None:
    reply = client_for(server).chat.completions.create(
        model="council-assistant", messages=[{"role": "user", "content": ZERO_TRUST}]
    )
    content = reply.choices[0].message.content or ""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "[1]" in answer and "    [1] " in sources
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage is not None and reply.usage.completion_tokens > 0
    assert (
        reply.model_extra
        and reply.model_extra["citations"]
        and reply.model_extra["refused"] is False
    )


def test_stream_with_the_usage_chunk(server) -> None:
    chunks = list(
        client_for(server).chat.completions.create(
            model="council-assistant",
            messages=[{"role": "user", "content": ZERO_TRUST}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    *content_chunks, usage_chunk = chunks
    assert usage_chunk.choices == [] and usage_chunk.usage is not None
    assert all(c.usage is None for c in content_chunks)
    text = "".join(c.choices[0].delta.content or "" for c in content_chunks)
    assert "[1]" in text and "Sources:" in text
    assert usage_chunk.usage.completion_tokens == len(text.split())
    assert (
        usage_chunk.usage.total_tokens
        == usage_chunk.usage.prompt_tokens + usage_chunk.usage.completion_tokens
    )
    assert content_chunks[-1].choices[0].finish_reason == "stop"

    plain = list(
        client_for(server).chat.completions.create(
            model="council-assistant",
            messages=[{"role": "user", "content": ZERO_TRUST}],
            stream=True,
        )
    )
    assert all(c.choices for c in plain)  # no usage chunk unless asked for


@pytest.mark.parametrize(
    "messages, words",
    [
        ([], "messages"),
        (
            [{"role": "assistant", "content": "hello"}],
            "the last message must be the user's question",
        ),
        ([{"role": "user", "content": "   "}], "the question is empty"),
        ([{"role": "user", "content": "word " * 600}], "ask in at most 2,000"),
        ([{"role": "wizard", "content": "hi"}], "role"),
    ],
)
def test_bad_requests_show_their_message_in_the_client(server, messages, words) -> None:
    for stream in (False, True):
        with pytest.raises(openai.BadRequestError) as caught:
            client_for(server).chat.completions.create(
                model="council-assistant", messages=messages, stream=stream
            )
        error = caught.value
        assert error.status_code == 400 and words in error.message
        assert error.type == "invalid_request_error" and error.code
        assert isinstance(error.body, dict) and words in error.body["message"]


def test_too_large_and_refused_origin_are_openai_errors(server) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        client_for(server).chat.completions.create(
            model="council-assistant", messages=[{"role": "user", "content": "x " * 1_500_000}]
        )
    assert caught.value.status_code == 413 and "limit" in caught.value.message
    assert caught.value.code == "request_too_large"

    evil = openai.OpenAI(
        base_url=f"{server}/v1",
        api_key="x",
        max_retries=0,
        default_headers={"Origin": "https://evil.example"},
    )
    with pytest.raises(openai.PermissionDeniedError) as refused:
        evil.chat.completions.create(
            model="council-assistant", messages=[{"role": "user", "content": ZERO_TRUST}]
        )
    assert "not allowed" in refused.value.message and refused.value.code == "origin_not_allowed"


def test_rate_limit_is_a_rate_limit_error(corpus_settings, corpus_assistant, tmp_path) -> None:
    from ui.app import create_app

    settings = live_settings(corpus_settings, tmp_path, rate_limit_per_minute=1)
    with LiveServer(create_app(settings, corpus_assistant)) as live:
        client = client_for(live.url)
        client.chat.completions.create(
            model="m", messages=[{"role": "user", "content": ZERO_TRUST}]
        )
        with pytest.raises(openai.RateLimitError) as caught:
            client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": ZERO_TRUST}]
            )
    assert (
        "at most 1 a minute" in caught.value.message and caught.value.code == "rate_limit_exceeded"
    )
    assert caught.value.response.headers["retry-after"]


class StopsMidAnswer:
    """The real extractive backend, cut off after its first sentence (a model that died)."""

    name = "stops-mid-answer"

    def __init__(self, real) -> None:
        self.real = real

    def draft(self, question: str, passages: Sequence[Passage], history: Sequence[Turn]):
        return self.real.draft(question, passages, history)

    def stream(
        self, question: str, passages: Sequence[Passage], history: Sequence[Turn]
    ) -> Iterator[str]:
        text = "".join(self.real.stream(question, passages, history))
        first, _, rest = text.partition("]. ")
        yield first + "]. "
        yield rest[:20]
        raise BackendError("the answer model stopped responding")

    def rewrite_followup(self, question: str, history: Sequence[Turn]) -> str | None:
        return None


def test_a_failure_mid_stream_is_an_error_event_the_client_raises(
    corpus_settings, corpus_assistant, embedder, tmp_path
) -> None:
    from assistant.pipeline import Assistant
    from ui.app import create_app

    settings = live_settings(corpus_settings, tmp_path)
    assistant = Assistant(
        settings, backend=StopsMidAnswer(corpus_assistant.backend), embedder=embedder
    )
    with LiveServer(create_app(settings, assistant)) as live:
        stream = client_for(live.url).chat.completions.create(
            model="m", messages=[{"role": "user", "content": ZERO_TRUST}], stream=True
        )
        received = []
        with pytest.raises(openai.APIError) as caught:
            for chunk in stream:
                received.append(chunk.choices[0].delta.content or "")
    assert "[1]" in "".join(received)  # the checked first sentence had streamed
    assert "the answer model stopped responding" in caught.value.message
    assert (
        isinstance(caught.value.body, dict) and caught.value.body["code"] == "backend_unavailable"
    )


def test_gradio_client_sees_no_endpoints(server) -> None:
    """The chat's Gradio events are private (the README points programs at the HTTP APIs)."""
    from gradio_client import Client

    api = Client(server + "/", verbose=False).view_api(print_info=False, return_format="dict")
    assert api["named_endpoints"] == {} and api["unnamed_endpoints"] == {}
