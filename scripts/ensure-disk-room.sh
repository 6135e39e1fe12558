#!/usr/bin/env bash
# ensure-disk-room.sh
#   Makes room for the image tests on the engine's disk: every build adds to BuildKit's cache,
#   which Docker 20.10 never trims by itself, and the tests save and load whole images. When the
#   disk of the engine's data (a local engine only) has less than MIN_FREE_GB free (default 20),
#   removes the build cache unused for a day (docker builder prune --filter until=24h) and says
#   how much is free after. Never fails the run: with too little room still, it warns.
set -Eeuo pipefail

MIN_FREE_GB=${MIN_FREE_GB:-20}

log() {
	echo "[disk] $*" >&2
}

free_gb() {
	df -P -BG "$1" | awk 'NR == 2 { sub("G", "", $4); print $4 }'
}

case "${DOCKER_HOST:-unix://}" in
unix://*) ;;
*)
	log "the engine is remote (DOCKER_HOST=$DOCKER_HOST): its disk is not checked from here"
	exit 0
	;;
esac

root=$(docker info --format '{{.DockerRootDir}}' 2>/dev/null || true)
if [ -z "$root" ] || [ ! -d "$root" ]; then
	log "the engine's data directory (${root:-unknown}) is not on this machine: not checked"
	exit 0
fi

free=$(free_gb "$root")
if [ "$free" -ge "$MIN_FREE_GB" ]; then
	log "${free} GB free for $root"
	exit 0
fi
log "only ${free} GB free for $root (under ${MIN_FREE_GB} GB): removing build cache unused for a day"
docker builder prune --force --filter until=24h | tail -n 1 >&2
free=$(free_gb "$root")
if [ "$free" -lt "$MIN_FREE_GB" ]; then
	log "warning: still only ${free} GB free; the image tests save and load whole images and may" \
		"run out of space (docker system df shows what holds it)"
else
	log "${free} GB free now"
fi
