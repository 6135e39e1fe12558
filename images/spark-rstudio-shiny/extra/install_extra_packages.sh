#!/usr/bin/env bash
# install_extra_packages.sh WHEELS_DIR
#   Installs a user's packages into the image: APT_PACKAGES (Debian package names, from the
#   image's own Debian) and PIP_REQUIREMENTS (name==version, from the wheels in WHEELS_DIR that
#   the host fetched; what the image's Python environment already has is not installed again).
#   Records both in /etc/srs/versions (extra-apt, extra-pip) for the image's labels.
set -Eeuo pipefail
# shellcheck source=../scripts/lib.sh
source /usr/local/lib/srs/lib.sh

wheels=${1:?usage: install_extra_packages.sh WHEELS_DIR}
read -ra apt_packages <<<"${APT_PACKAGES:-}"
read -ra requirements <<<"${PIP_REQUIREMENTS:-}"

if [ "${#apt_packages[@]}" -gt 0 ]; then
	apt_install "${apt_packages[@]}"
	apt_cleanup
fi
if [ "${#requirements[@]}" -gt 0 ]; then
	/opt/jupyter/bin/pip install --no-cache-dir --no-index --find-links "$wheels" "${requirements[@]}"
	/opt/jupyter/bin/python -c 'import sys, importlib.metadata as m; [m.version(r.split("==")[0].split("[")[0]) for r in sys.argv[1:]]' "${requirements[@]}"
fi
record_version extra-apt "${APT_PACKAGES:-none}"
record_version extra-pip "${PIP_REQUIREMENTS:-none}"
