#!/usr/bin/env bash
# The whole test suite from a fresh machine: system packages, npm packages, build, every test.
# Ends with one line `N passed, N failed` (test points across all files).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh || { echo "system packages could not be installed"; echo "0 passed, 1 failed"; exit 1; }
bash scripts/npm-deps.sh || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p test/artifacts
out=test/artifacts/tap-output.txt
npm test -- --reporter=tap 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
node scripts/tap-count.mjs "$out" "$status"
