#!/usr/bin/env bash
# install_java.sh [MAJOR]
#   Installs the headless OpenJDK runtime Spark runs on.
#   MAJOR comes from $1, then $JAVA_VERSION, then 21 (Spark 4.x supports 17 and 21).
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAVA_VERSION=${1:-${JAVA_VERSION:-21}}

apt_install "openjdk-${JAVA_VERSION}-jre-headless"
# A stable path for JAVA_HOME whatever the architecture suffix is.
ln -sfn "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")" /usr/lib/jvm/default-java
java -version
record_version java "$(installed_version "openjdk-${JAVA_VERSION}-jre-headless")"
apt_cleanup
