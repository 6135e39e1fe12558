#!/usr/bin/env bash
# ensure-python-venv.sh
#   Makes sure python3 can make a venv, idempotently: the Spark Connect tests install the laptop's
#   client (pyspark-client from PyPI) into one. Debian splits venv's pip bootstrap (ensurepip) into
#   the python3-venv package; installs it when missing on a Debian-like machine where we are root,
#   elsewhere says what to install and exits 1.
set -Eeuo pipefail
# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-packages.sh"

log() {
	echo "[python] $*" >&2
}

if ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
	install_debian_packages python "python3 cannot make a venv (no ensurepip)" python3-venv
fi
log "$(python3 --version) makes venvs"
