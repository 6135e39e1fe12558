#!/usr/bin/env bash
# ensure-python-venv.sh
#   Makes sure python3 can make a venv, idempotently: the Spark Connect tests install the laptop's
#   client (pyspark-client from PyPI) into one. Debian splits venv's pip bootstrap (ensurepip) into
#   the python3-venv package; installs it when missing on a Debian-like machine where we are root,
#   elsewhere says what to install and exits 1.
set -Eeuo pipefail

log() {
	echo "[python] $*" >&2
}

if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		cat >&2 <<-EOM
			[python] error: python3 cannot make a venv (no ensurepip), and this script can install it only as root on Debian/Ubuntu.
			[python] Install your distribution's python3-venv package.
		EOM
		exit 1
	fi
	log "installing Debian's python3-venv package (once)…"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	if ! apt-get install -y --no-install-recommends python3-venv >/dev/null; then
		apt-get update >/dev/null
		apt-get install -y --no-install-recommends python3-venv >/dev/null
	fi
fi
log "$(python3 --version) makes venvs"
