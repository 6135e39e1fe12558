#!/usr/bin/env bash
# install_rstudio_server.sh [DEB]
#   Installs RStudio Server from Posit's .deb when the host could provide one (verified there
#   against a pinned sha256, and again here). Without one, records that RStudio is absent so
#   the entrypoint skips it and the image label says so; it never fakes the component.
#   DEB comes from $1, then $RSTUDIO_DEB. RSTUDIO_SHA256 is required with a DEB.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RSTUDIO_DEB=${1:-${RSTUDIO_DEB:-}}

if [ -z "$RSTUDIO_DEB" ] || [ ! -f "$RSTUDIO_DEB" ]; then
	echo "RStudio Server: no verified .deb was provided; building without it"
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
apt_install "$RSTUDIO_DEB"
# The supervisor starts it; the package's own service start does nothing in a build.
record_version rstudio-server "$(installed_version rstudio-server)"
