#!/usr/bin/env bash
# Configures and builds firebreak (release preset: build/release/firebreak).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
cmake --preset release >/dev/null
cmake --build --preset release -j"$(nproc)"
