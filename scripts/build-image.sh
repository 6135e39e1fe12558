#!/usr/bin/env bash
# build-image.sh [--no-cache] — everything `npm run image:build` needs on a fresh machine:
#   workspace dependencies (pinned pnpm), a Docker engine (installed and started when missing),
#   then `srs build` (the image package's pipeline: base image, verified artifacts, docker
#   build, labels).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash packages/core/scripts/ensure-docker-engine.sh
exec bash scripts/srs.sh build "$@"
