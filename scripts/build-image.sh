#!/usr/bin/env bash
# build-image.sh [--no-cache] — everything `npm run image:build` needs on a fresh machine:
#   workspace dependencies (pinned pnpm), a Docker engine (installed and started when missing),
#   then the SDK's image pipeline (base image, verified Spark artifact, docker build, labels).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent
bash scripts/ensure-docker-engine.sh
exec node_modules/.bin/tsx packages/sdk/scripts/build-image.ts "$@"
