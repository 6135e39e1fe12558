#!/usr/bin/env bash
# debian-packages.sh — sourced by the scripts that set up what the tests need on this machine.
#
#   install_debian_packages TAG WHAT PACKAGE...
#     Installs Debian's PACKAGEs (apt-get, once; the package lists are refreshed only when the
#     install fails without them) when we are root on a Debian-like machine. Elsewhere prints
#     "[TAG] error: WHAT" and which packages to install, and exits 1.

install_debian_packages() {
	local tag=$1 what=$2
	shift 2
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
		cat >&2 <<-EOM
			[$tag] error: $what, and only root on Debian/Ubuntu can install it here.
			[$tag] Install your distribution's $* package(s), then try again.
		EOM
		exit 1
	fi
	echo "[$tag] installing Debian's $* (once)…" >&2
	export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
	if ! apt-get install -y --no-install-recommends "$@" >/dev/null; then
		apt-get update >/dev/null
		apt-get install -y --no-install-recommends "$@" >/dev/null
	fi
}
