#!/usr/bin/env bash
# ensure-node24.sh
#   Makes sure a Node.js 24 binary is at hand for running the tests of the CLI and the SDK on the
#   Node users run today (the machine's own Node may be older), idempotently: the `node` package
#   of the npm registry at NODE24_VERSION (default 24.21.0), installed once into
#   $SRS_CACHE_DIR/tools/node-$NODE24_VERSION (default ~/.cache/spark-rstudio-shiny). Prints the
#   binary's path.
set -Eeuo pipefail

NODE24_VERSION=${NODE24_VERSION:-24.21.0}
prefix="${SRS_CACHE_DIR:-$HOME/.cache/spark-rstudio-shiny}/tools/node-$NODE24_VERSION"
binary="$prefix/node_modules/.bin/node"

log() {
	echo "[node24] $*" >&2
}

if [ ! -x "$binary" ] || [ "$("$binary" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
	log "installing Node.js $NODE24_VERSION from the npm registry into $prefix (once)…"
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --loglevel=error "node@$NODE24_VERSION" >&2
fi
if [ "$("$binary" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
	echo "[node24] error: $binary does not run Node.js $NODE24_VERSION; remove $prefix and try again" >&2
	exit 1
fi
log "$("$binary" --version) at $binary"
echo "$binary"
