#!/usr/bin/env bash
# test.sh — the whole test suite, as the README's test command runs it:
#   type check, shell lint, unit tests (on this machine's Node and on Node 24), a release dry run
#   of the packages, then integration tests against a real Docker engine (started here when
#   needed) with the image built (cached layers and artifacts are reused).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() {
	echo
	echo "==> $*"
}

step "workspace dependencies (pinned pnpm, frozen lockfile)"
bash scripts/pnpm.sh install --frozen-lockfile --reporter=append-only

step "type check (sources, tests, scripts)"
npx tsc -b packages/cli
npx tsc -p tsconfig.test.json
npx tsc -p examples/tsconfig.json

step "shell lint"
bash scripts/lint-shell.sh

step "format (prettier; npm run format fixes it) and width (100 characters)"
npx prettier --check --log-level warn "**/*.{ts,mts}"
npx tsx scripts/check-width.ts

step "unit tests"
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit

step "unit tests again on Node.js 24 (what users run; this machine's node is $(node --version))"
NODE24=$(bash scripts/ensure-node24.sh)
"$NODE24" --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects unit --silent

step "release dry run (packed tarballs checked, installed strictly, run on Node $(node --version) and 24)"
mkdir -p .artifacts
npx tsx scripts/release-dry.ts --node "$NODE24" >.artifacts/release-dry.json || {
	cat .artifacts/release-dry.json
	exit 1
}
echo "release dry run: ok (.artifacts/release-dry.json)"

step "Docker engine"
bash packages/core/scripts/ensure-docker-engine.sh

step "room on the engine's disk (old build cache removed when under 20 GB free)"
bash scripts/ensure-disk-room.sh

step "Docker Compose (for the stack's Compose mode)"
bash packages/core/scripts/ensure-compose.sh

step "headless browser (Debian's chromium, for the Shiny app's end-to-end test)"
SRS_CHROMIUM=$(bash scripts/ensure-chromium.sh)
export SRS_CHROMIUM

step "python3 with venv (the Spark Connect tests' client venv)"
bash scripts/ensure-python-venv.sh

step "the image under test (built once here; every integration test uses it)"
node packages/cli/dist/bin/srs.js build
export SRS_TEST_IMAGE=spark-rstudio-shiny:4.2.1

# Each test file has stacks, names and ports of its own, so two run at a time: most of a test's
# time is waiting for Swarm and Spark, not computing.
step "integration tests (real engine, two test files at a time)"
node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects integration --maxWorkers=2 --testTimeout=900000
