#!/usr/bin/env bash
# Helpers shared by the install_<component>.sh scripts. Source it, do not run it.

# apt_install PACKAGE...
#   Installs Debian packages without recommends; updates the lists only when they are missing,
#   so several calls in one script do not each pay for an update. The script that calls it
#   ends with apt_cleanup. dpkg skips its fsync()s (force-unsafe-io, as Docker's own Debian
#   images once set): an image layer is written once and either committed whole or thrown away,
#   and a build syncs nothing faster (shiny-server's 634 packages: 47 s -> 29 s).
apt_install() {
	if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]; then
		apt-get update
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		-o Dpkg::Options::=--force-unsafe-io "$@"
}

# apt_cleanup
#   Drops the package lists, apt's caches and the downloaded .deb files, so they do not end up
#   in the layer (a base made by debootstrap has no docker-clean hook doing it).
apt_cleanup() {
	apt-get clean
	rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb /var/cache/debconf/*-old /var/log/apt/* /var/log/dpkg.log
}

# die MESSAGE...
#   One line on stderr, then exit 1.
die() {
	echo >&2 "error: $*"
	exit 1
}

# installed_version PACKAGE
#   The Debian version of an installed package, or "absent".
installed_version() {
	dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo absent
}

# record_version COMPONENT VERSION
#   Keeps what was installed in /etc/srs/versions, read by the entrypoint and by `srs doctor`.
record_version() {
	mkdir -p /etc/srs
	touch /etc/srs/versions
	sed -i "/^$1=/d" /etc/srs/versions
	echo "$1=$2" >>/etc/srs/versions
}
