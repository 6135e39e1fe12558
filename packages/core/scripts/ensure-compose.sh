#!/usr/bin/env bash
# ensure-compose.sh
#   Makes sure a Docker Compose CLI runs (for the stack's Compose mode), idempotently: the docker
#   CLI's compose plugin or the standalone docker-compose. On a Debian-like machine where we are
#   root, installs Debian's docker-compose when neither runs. Elsewhere it says what to install
#   and exits 1. Prints which Compose it found.
set -Eeuo pipefail

log() {
	echo "[compose] $*"
}

# compose_version
#   The Compose CLI that runs, and its version; nothing when none does.
compose_version() {
	local version
	if version=$(docker compose version --short 2>/dev/null); then
		echo "docker compose plugin $version"
	elif version=$(docker-compose version --short 2>/dev/null); then
		echo "standalone docker-compose $version"
	fi
}

found=$(compose_version)
if [ -z "$found" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing Debian's docker-compose…"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-compose >/dev/null
		found=$(compose_version)
	fi
fi
if [ -z "$found" ]; then
	echo "[compose] no Docker Compose CLI runs here: install the docker-compose-plugin (docker compose) or docker-compose" >&2
	exit 1
fi
log "$found"
