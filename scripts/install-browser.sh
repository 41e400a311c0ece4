#!/usr/bin/env bash
# Installs what the browser tests need, idempotently:
#   - Debian's chromium (driven by Playwright through executable_path; never `playwright install`)
#   - axe-core from npm into tests/browser/node_modules (pinned by tests/browser/package-lock.json)
# Safe to run again: each step is skipped when its result is already there.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_DIR="$ROOT/tests/browser"

if [ ! -x /usr/bin/chromium ]; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo 'not runnable')"

if ! command -v npm >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -f "$NODE_DIR/node_modules/axe-core/axe.min.js" ]; then
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "axe-core: $(node -p "require('$NODE_DIR/node_modules/axe-core/package.json').version")"
