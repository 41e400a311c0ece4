#!/usr/bin/env bash
# Installs everything the project needs on a fresh Debian machine: the Python venv (CPU torch
# from the pinned local build), the optional LLM runtime and small model, Chromium + axe-core
# for the browser tests. Idempotent: steps already done are skipped.
set -euo pipefail
PYTHON=${1:-python3.11}
VENV=${2:-.venv}
cd "$(dirname "$0")/.."

command -v "$PYTHON" >/dev/null || PYTHON=python3
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --upgrade pip
# torch first and pinned: an unpinned torch pulls a multi-GB CUDA build.
"$VENV/bin/pip" install -q "torch==2.13.0"
"$VENV/bin/pip" install -q -e ".[test]"
# The optional local LLM (llama-cpp-python built with portable CPU flags, SmolLM2 GGUF): the
# LLM backends' tests run against it.
PYTHON="$VENV/bin/python" bash scripts/install-llm.sh
# Debian's Chromium and axe-core for the browser tests.
bash scripts/install-browser.sh
