#!/usr/bin/env bash
# install_rstudio_server.sh [DEB]
#   Installs RStudio Server from Posit's .deb when the host could provide one (verified there
#   against a pinned sha256, and again here). Its dependencies come from Debian through apt;
#   when one cannot be had, the build stops naming it, before anything is installed. Without a
#   .deb, records that RStudio is absent so the entrypoint skips it and the image label says
#   so; it never fakes the component.
#   DEB comes from $1, then $RSTUDIO_DEB. RSTUDIO_SHA256 is required with a DEB; its architecture
#   must be TARGETARCH (BuildKit sets it), else dpkg's.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RSTUDIO_DEB=${1:-${RSTUDIO_DEB:-}}

if [ -z "$RSTUDIO_DEB" ] || [ ! -f "$RSTUDIO_DEB" ]; then
	echo "RStudio Server: no verified .deb was provided; building without it (JupyterLab is the IDE)"
	record_version rstudio-server absent
	exit 0
fi

: "${RSTUDIO_SHA256:?RSTUDIO_SHA256 is required to install $RSTUDIO_DEB}"
actual=$(sha256sum "$RSTUDIO_DEB" | cut -d' ' -f1)
if [ "$actual" != "${RSTUDIO_SHA256,,}" ]; then
	cat >&2 <<-EOM
		error: checksum mismatch for $(basename "$RSTUDIO_DEB")
		  expected sha256: $RSTUDIO_SHA256
		  actual   sha256: $actual
	EOM
	exit 1
fi

# The .deb must be for this image's architecture (TARGETARCH from BuildKit, else dpkg's own).
deb_arch=$(dpkg-deb --field "$RSTUDIO_DEB" Architecture)
image_arch=${TARGETARCH:-$(dpkg --print-architecture)}
if [ "$deb_arch" != "$image_arch" ]; then
	die "$(basename "$RSTUDIO_DEB") is for $deb_arch and this image is for $image_arch; fetch the $image_arch .deb"
fi

# unmet_dependencies DEB
#   The dependencies of DEB that apt can satisfy with no package of this Debian (each group of
#   alternatives "a | b" is met when one of them is).
unmet_dependencies() {
	local group alternative name met
	while IFS= read -r group; do
		met=
		IFS='|' read -ra alternatives <<<"$group"
		for alternative in "${alternatives[@]}"; do
			name=$(awk '{ print $1 }' <<<"$alternative")
			name=${name%%:*}
			# A real package with a candidate, or a virtual one something provides.
			if apt-cache policy "$name" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -qv '(none)' ||
				apt-cache showpkg "$name" 2>/dev/null | sed -n '/^Reverse Provides:/,$p' | tail -n +2 | grep -q .; then
				met=yes
				break
			fi
		done
		[ -n "$met" ] || echo "${group# }"
	done < <({
		dpkg-deb --field "$1" Pre-Depends
		echo ,
		dpkg-deb --field "$1" Depends
	} | tr '\n' ' ' | tr ',' '\n' | sed 's/^ *//; s/ *$//; /^$/d')
}

apt-get update
unmet=$(unmet_dependencies "$RSTUDIO_DEB")
if [ -n "$unmet" ]; then
	cat >&2 <<-EOM
		error: RStudio Server's $(basename "$RSTUDIO_DEB") needs packages this Debian does not have:
		  ${unmet//$'\n'/$'\n'  }
		Nothing was installed. Pick a release built for this Debian (SRS_RSTUDIO_VERSION and
		SRS_RSTUDIO_SHA256), or build without RStudio (JupyterLab stays).
	EOM
	exit 1
fi
apt_install "$RSTUDIO_DEB"
# The supervisor starts it; the package's own service start does nothing in a build.
record_version rstudio-server "$(installed_version rstudio-server)"
apt_cleanup
