#!/usr/bin/env bash
# build_srspark_jvm.sh --install-jdk
# build_srspark_jvm.sh SOURCE_DIR JAR
#   The first form installs the JDK of the image's Java release (JAVA_VERSION, default 21), in a
#   layer of its own so a change to the sources does not install it again. The second compiles
#   srspark's JVM helper (Java sources under SOURCE_DIR/src) against the Spark jars in
#   $SPARK_HOME/jars (default /opt/spark) into JAR. Runs in a throwaway build stage: the JDK
#   stays out of the image.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

JAVA_VERSION=${JAVA_VERSION:-21}
if [ "${1:-}" = --install-jdk ]; then
	apt_install "openjdk-${JAVA_VERSION}-jdk-headless"
	apt_cleanup
	exit 0
fi
source_dir=${1:?usage: build_srspark_jvm.sh --install-jdk | SOURCE_DIR JAR}
jar=${2:?usage: build_srspark_jvm.sh --install-jdk | SOURCE_DIR JAR}
SPARK_HOME=${SPARK_HOME:-/opt/spark}

command -v javac >/dev/null || die "no JDK: run build_srspark_jvm.sh --install-jdk first"
classes=$(mktemp -d)
mapfile -t sources < <(find "$source_dir/src" -name '*.java' | sort)
[ "${#sources[@]}" -gt 0 ] || die "no Java sources under $source_dir/src"
javac --release "$JAVA_VERSION" -proc:none -Xlint:all,-path -Werror -encoding UTF-8 \
	-cp "$SPARK_HOME/jars/*" -d "$classes" "${sources[@]}"
jar --create --file "$jar" -C "$classes" .
echo "built $jar from ${#sources[@]} Java sources"
