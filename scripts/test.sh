#!/usr/bin/env bash
# The README's test command: system packages, build, then unit, integration and e2e
# tests against real services that the test harness starts and stops itself.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system-deps.sh
[ -d node_modules ] || npm ci
npm run build
npx vitest run
npx playwright test
