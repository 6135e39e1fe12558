#!/usr/bin/env bash
# install_shiny_server.sh
#   Installs Shiny Server from Debian and lays out /srv/shiny-server for the `shiny` user.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install shiny-server
# The package starts nothing in a container; we run it under the supervisor.
id shiny >/dev/null 2>&1 || useradd --system --create-home --home-dir /home/shiny --shell /usr/sbin/nologin shiny
mkdir -p /srv/shiny-server /var/log/shiny-server /var/lib/shiny-server
# The Debian package ships sample apps; the image publishes its own.
rm -rf /srv/shiny-server/*
chown -R shiny:shiny /srv/shiny-server /var/log/shiny-server /var/lib/shiny-server
record_version shiny-server "$(installed_version shiny-server)"
apt_cleanup
