#!/usr/bin/env bash
# ensure-chromium.sh
#   Makes sure the headless browser of the end-to-end tests is there, idempotently: Debian's
#   chromium package (driven by playwright-core; Playwright's own browser download is never used).
#   Installs it when missing on a Debian-like machine where we are root; elsewhere says what to
#   install and exits 1. Prints the browser's path. CHROMIUM (default /usr/bin/chromium).
set -Eeuo pipefail
# shellcheck source=scripts/lib/debian-packages.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/debian-packages.sh"

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

log() {
	echo "[browser] $*" >&2
}

if [ ! -x "$CHROMIUM" ]; then
	install_debian_packages browser "no Chromium at $CHROMIUM (or set CHROMIUM to its path)" chromium
	[ -x "$CHROMIUM" ] || {
		echo "[browser] error: Debian's chromium is installed, but CHROMIUM=$CHROMIUM is not it" >&2
		exit 1
	}
fi
log "$("$CHROMIUM" --version 2>/dev/null || echo "Chromium at $CHROMIUM")"
echo "$CHROMIUM"
