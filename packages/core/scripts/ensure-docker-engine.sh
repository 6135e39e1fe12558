#!/usr/bin/env bash
# ensure-docker-engine.sh
#   Makes sure a Docker engine answers, idempotently, and trusts one that does: when `docker info`
#   answers (DOCKER_HOST, the current docker context, a local socket, Docker Desktop, colima…)
#   nothing is installed or started. Only when none answers *and* we are root on a Debian-like
#   machine with no other engine configured does it install Debian's docker.io and start dockerd.
#   Everywhere else it says, in one message for that platform, what to do, and exits 1.
#   Environment: DOCKERD_LOG (default /var/log/srs-dockerd.log), ENGINE_WAIT_SECONDS (default 60).
set -Eeuo pipefail

DOCKERD_LOG=${DOCKERD_LOG:-/var/log/srs-dockerd.log}
ENGINE_WAIT_SECONDS=${ENGINE_WAIT_SECONDS:-60}

log() {
	echo "[engine] $*"
}

# fail
#   Prints stdin on stderr, each line marked, and exits 1.
fail() {
	sed 's/^/[engine] /' >&2
	exit 1
}

# engine_answers
engine_answers() {
	docker info >/dev/null 2>&1
}

# remote_engine_configured
#   True when the docker CLI is pointed at an engine other than this machine's default socket:
#   that engine is the user's to start, never ours.
remote_engine_configured() {
	[ -n "${DOCKER_HOST:-}" ] && [ "${DOCKER_HOST}" != unix:///var/run/docker.sock ] && return 0
	[ -n "${DOCKER_CONTEXT:-}" ] && [ "${DOCKER_CONTEXT}" != default ] && return 0
	local context
	context=$(docker context show 2>/dev/null || echo default)
	[ "$context" != default ]
}

# can_install
#   True when we may install Debian packages and start daemons ourselves.
can_install() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(uname -s)" = Linux ]
}

# platform
#   linux, wsl, macos or windows.
platform() {
	case "$(uname -s)" in
		Darwin) echo macos ;;
		MINGW* | MSYS* | CYGWIN*) echo windows ;;
		*) if grep -qi microsoft /proc/version 2>/dev/null; then echo wsl; else echo linux; fi ;;
	esac
}

# explain_no_engine REASON
#   The one message for this platform and reason (the docker CLI's own last line), then exit 1.
explain_no_engine() {
	local reason=$1 target
	if remote_engine_configured; then
		target=${DOCKER_HOST:-docker context "$(docker context show 2>/dev/null || echo "${DOCKER_CONTEXT:-?}")"}
		fail <<-EOM
			error: the Docker engine at ${target} does not answer (${reason}).
			Start it or make it reachable, then try again; nothing is installed or started here for a remote engine.
		EOM
	fi
	case "$(platform)" in
		macos)
			fail <<-EOM
				error: no Docker engine answers (${reason}).
				Start Docker Desktop (or colima: colima start), wait until it says it is running, then try again.
			EOM
			;;
		windows | wsl)
			fail <<-EOM
				error: no Docker engine answers (${reason}).
				Start Docker Desktop and turn on its WSL integration for this distribution (Settings → Resources → WSL integration), then try again.
			EOM
			;;
	esac
	if [[ "$reason" == *"permission denied"* ]]; then
		fail <<-EOM
			error: ${USER:-this user} may not use the Docker engine's socket (${reason}).
			Ask an administrator to add you to the docker group (sudo usermod -aG docker ${USER:-\$USER}), then log in again.
		EOM
	fi
	if ! command -v docker >/dev/null 2>&1; then
		fail <<-EOM
			error: the docker command is not installed.
			Install Docker Engine (https://docs.docker.com/engine/install/; on Debian: sudo apt-get install docker.io), then try again.
		EOM
	fi
	fail <<-EOM
		error: no Docker engine answers (${reason}).
		Start it (sudo systemctl start docker), or ask an administrator to; then try again.
	EOM
}

# install_engine
#   Installs Debian's docker.io when there is no dockerd.
install_engine() {
	command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 && return 0
	log "installing docker.io from Debian's archive…"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null
	log "installed docker.io"
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

# why_not
#   The docker CLI's own last line on why `docker info` fails.
why_not() {
	if ! command -v docker >/dev/null 2>&1; then
		echo "docker: command not found"
		return
	fi
	# docker info fails here by definition: its status is not this function's.
	{ docker info 2>&1 >/dev/null || true; } | sed '/^\s*$/d' | tail -n 1 | sed 's/^ERROR: //; s/^error: //I'
}

_main() {
	if engine_answers; then
		log "engine answers: $(docker version --format '{{.Server.Version}}' 2>/dev/null || echo '?')"
		return 0
	fi
	local reason
	reason=$(why_not)
	if remote_engine_configured || ! can_install; then
		explain_no_engine "$reason"
	fi
	install_engine
	engine_answers || start_dockerd
}

if ! (return 0 2>/dev/null); then
	_main "$@"
fi
