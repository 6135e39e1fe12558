#!/usr/bin/env bash
# pnpm.sh ARG... — runs the pnpm version pinned in package.json's packageManager, through npx,
# so a machine with only Node.js and npm needs nothing else.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
exec npx --yes "pnpm@${version}" "$@"
