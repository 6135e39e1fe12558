#!/usr/bin/env bash
# ensure-docker-engine.sh
#   Makes sure a Docker engine answers, idempotently: on a Debian-like machine where we are root,
#   installs Debian's docker.io (and debootstrap, for the offline base image) when missing and
#   starts dockerd when it is not running. Elsewhere it says what to install and exits 1.
#   Environment: DOCKERD_LOG (default /var/log/srs-dockerd.log), ENGINE_WAIT_SECONDS (default 60).
set -Eeuo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/srs-dockerd.log}
ENGINE_WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}

log() {
	echo "[engine] $*"
}

fail() {
	sed 's/^/[engine] /' >&2
	exit 1
}

# engine_answers
engine_answers() {
	docker info >/dev/null 2>&1
}

# can_install
#   True when we may install Debian packages ourselves.
can_install() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1
}

# install_packages
#   Installs whichever of docker.io, debootstrap and Debian's archive keyring is missing.
install_packages() {
	local missing=()
	command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
	command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
	# debootstrap checks the mirror against it (the offline base image).
	[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
	[ "${#missing[@]}" -eq 0 ] && return 0
	if ! can_install; then
		fail <<-EOM
			error: missing ${missing[*]}, and this is not a Debian-like machine where we are root.
			Install Docker Engine (https://docs.docker.com/engine/install/) and start it, then try again.
		EOM
	fi
	log "installing ${missing[*]} from Debian's archive…"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	log "installed ${missing[*]}"
}

# start_dockerd
#   Starts dockerd in the background (through systemd when it runs) and waits for it to answer.
start_dockerd() {
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		log "starting docker through systemd…"
		systemctl start docker
	else
		log "starting dockerd in the background (log: $DOCKERD_LOG)…"
		# A pid file left by a daemon that died with its machine stops a new one from starting.
		if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
			rm -f /var/run/docker.pid
		fi
		nohup dockerd >>"$DOCKERD_LOG" 2>&1 &
	fi
	local deadline=$((SECONDS + ENGINE_WAIT_SECONDS))
	until engine_answers; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			tail -n 20 "$DOCKERD_LOG" >&2 || true
			echo "error: dockerd did not answer within ${ENGINE_WAIT_SECONDS}s; see $DOCKERD_LOG" | fail
		fi
		sleep 1
	done
	log "engine up: $(docker version --format '{{.Server.Version}}')"
}

_main() {
	install_packages
	if engine_answers; then
		log "engine answers: $(docker version --format '{{.Server.Version}}')"
		return 0
	fi
	can_install || echo "error: no Docker engine answers; start it (systemctl start docker) and try again" | fail
	start_dockerd
}

if ! (return 0 2>/dev/null); then
	_main "$@"
fi
