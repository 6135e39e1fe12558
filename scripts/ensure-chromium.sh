#!/usr/bin/env bash
# ensure-chromium.sh
#   Makes sure the headless browser of the end-to-end tests is there, idempotently: Debian's
#   chromium package (driven by playwright-core; Playwright's own browser download is never used).
#   Installs it when missing on a Debian-like machine where we are root; elsewhere says what to
#   install and exits 1. Prints the browser's path. CHROMIUM (default /usr/bin/chromium).
set -Eeuo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() {
	echo "[browser] $*" >&2
}

if [ ! -x "$CHROMIUM" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		cat >&2 <<-EOM
			[browser] error: no Chromium at $CHROMIUM, and this script can install it only as root on Debian/Ubuntu.
			[browser] Install your distribution's chromium package, or set CHROMIUM to its path.
		EOM
		exit 1
	fi
	log "installing Debian's chromium package (once)…"
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	if ! apt-get install -y --no-install-recommends chromium >/dev/null; then
		apt-get update >/dev/null
		apt-get install -y --no-install-recommends chromium >/dev/null
	fi
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo "Chromium at $CHROMIUM")"
echo "$CHROMIUM"
