"""The ``eval`` command's arguments and entry point (placeholder until the eval suite lands)."""

from __future__ import annotations

import argparse

from assistant.errors import ConfigError
from assistant.settings import Settings


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", help="golden set (JSONL) or LlamaIndex rag_dataset.json")


def run_eval_command(args: argparse.Namespace, settings: Settings) -> int:
    raise ConfigError("the eval suite is not built yet")
