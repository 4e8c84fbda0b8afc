#!/usr/bin/env bash
# README command (b): install what is needed, build, and run every test:
# the GoogleTest unit tests (ctest) and the end-to-end tests (pytest + boto3 against moto).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/build.sh
echo "== unit tests"
ctest --preset release
echo "== end-to-end tests (moto on 127.0.0.1)"
FIREBREAK_BIN="$root/build/release/firebreak" "$root/.venv/bin/python" -m pytest -q tests/e2e
