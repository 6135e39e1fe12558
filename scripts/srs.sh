#!/usr/bin/env bash
# srs.sh ARG... — runs the srs CLI from this checkout on a machine with only Node.js and npm:
#   installs the workspace (pinned pnpm, frozen lockfile) and compiles it when needed, then runs
#   `srs ARG...`. `npm run up` is `srs up`; `npm run srs -- status --json` is `srs status --json`.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -d node_modules/.pnpm ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ]; then
	bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent >&2
fi
node_modules/.bin/tsc -b packages/cli >&2
exec node packages/cli/dist/bin/srs.js "$@"
