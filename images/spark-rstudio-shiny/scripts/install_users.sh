#!/usr/bin/env bash
# install_users.sh
#   The image's service accounts and groups, with fixed ids so volumes keep their owners across
#   images:
#     spark (uid/gid 185, as in the Apache Spark images)  runs the Spark daemons; the group may
#         use the cluster, because it reads the Spark secret: Shiny's R sessions and the IDE
#         user join it.
#     shiny-authors (gid 186)  may write Shiny apps into /srv/shiny-server; the IDE user joins
#         it, the shiny user (which runs the apps) does not, so an app cannot rewrite the others.
#   The IDE user itself is made at container start (its name is a setting).
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

groupadd --system --gid 185 spark
useradd --system --uid 185 --gid spark --home-dir /opt/spark --shell /usr/sbin/nologin spark
groupadd --system --gid 186 shiny-authors
id shiny >/dev/null 2>&1 || die "the shiny user is missing; install_shiny_server.sh runs first"
usermod --append --groups spark shiny
# The data volume's mount point: Spark's executors (spark) and drivers (group spark) share it.
install -d -o root -g spark -m 2775 /data
