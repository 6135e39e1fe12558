#!/usr/bin/env bash
# install_supervisor.sh
#   Installs tini (PID 1: reaps zombies, forwards signals) and supervisord (runs the head's
#   services side by side), plus the few tools the entrypoint and health checks use.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install tini supervisor curl ca-certificates procps iproute2 netcat-openbsd
record_version supervisor "$(installed_version supervisor)"
apt_cleanup
