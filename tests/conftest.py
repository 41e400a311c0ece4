"""Shared fixtures: real Chroma (embedded and a `chroma run` server), the real embedder,
and the default corpus indexed once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import ChromaServer

from core.settings import DEFAULT_CORPUS, Settings, set_offline_environment

set_offline_environment()

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
OUTPUT = ROOT / "test-output"


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not DEFAULT_CORPUS.is_dir():
        pytest.fail(
            f"default corpus not found at {DEFAULT_CORPUS} (../shared must sit beside the repo)"
        )
    return DEFAULT_CORPUS


@pytest.fixture(scope="session")
def embedder():
    from index.embedding import load_embedder

    return load_embedder(Settings().embed_model)


@pytest.fixture(scope="session")
def corpus_settings(tmp_path_factory, corpus_dir, embedder) -> Settings:
    """Settings for an embedded store holding the whole default corpus (ingested once)."""
    from index.ingest import ingest

    store = tmp_path_factory.mktemp("corpus-store")
    settings = Settings(store=str(store))
    report = ingest([corpus_dir], settings, embedder_factory=lambda: embedder)
    assert not report.skipped, report.skipped
    return settings


@pytest.fixture(scope="session")
def corpus_assistant(corpus_settings, embedder):
    from assistant.pipeline import Assistant

    return Assistant(corpus_settings, embedder=embedder)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real `chroma run` server on 127.0.0.1 and a free port; yields its URL."""
    server = ChromaServer(tmp_path_factory.mktemp("chroma-server")).start()
    try:
        yield server.url
    finally:
        server.stop()
