#!/usr/bin/env bash
# install_spark.sh [VERSION]
#   Installs Spark into $SPARK_HOME (default /opt/spark) from an artifact that the host fetched
#   and verified, and verifies it again here so a corrupted build context cannot slip through.
#   VERSION comes from $1, then $SPARK_VERSION.
#   Environment:
#     SPARK_ARTIFACT           path of the artifact inside the build (required)
#     SPARK_ARTIFACT_CHECKSUM  "sha512:<hex>" or "sha256:<hex>" (required)
#     SPARK_ARTIFACT_SOURCE    apache (spark-<v>-bin-hadoop3.tgz) or pypi (pyspark-<v>.tar.gz)
#   Both layouts end up the same: bin/ jars/ sbin/ python/lib/ examples/ (and R/ from apache).
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SPARK_VERSION=${1:-${SPARK_VERSION:?SPARK_VERSION or an argument is required}}
SPARK_HOME=${SPARK_HOME:-/opt/spark}
: "${SPARK_ARTIFACT:?SPARK_ARTIFACT is required}"
: "${SPARK_ARTIFACT_CHECKSUM:?SPARK_ARTIFACT_CHECKSUM is required}"
: "${SPARK_ARTIFACT_SOURCE:?SPARK_ARTIFACT_SOURCE is required}"

# verify_checksum FILE ALGO:HEX
#   Stops the build naming the file and both hashes when they differ.
verify_checksum() {
	local file=$1 algo=${2%%:*} expected=${2#*:} actual
	case "$algo" in
		sha256 | sha512) ;;
		*) die "unsupported checksum algorithm '$algo' for $file (use sha256 or sha512)" ;;
	esac
	actual=$("${algo}sum" "$file" | cut -d' ' -f1)
	if [ "${actual,,}" != "${expected,,}" ]; then
		cat >&2 <<-EOM
			error: checksum mismatch for $(basename "$file")
			  expected $algo: $expected
			  actual   $algo: $actual
			Delete the cached artifact and build again; if it happens again, the source is serving a different file.
		EOM
		exit 1
	fi
	echo "verified $(basename "$file") ($algo)"
}

# unpack_apache TARBALL
#   The official binary distribution already has the final layout.
unpack_apache() {
	tar -xzf "$1" -C "$SPARK_HOME" --strip-components=1 --no-same-owner
}

# unpack_pypi SDIST
#   The PyPI sdist keeps Spark under deps/ and the Python side under lib/; rearrange it into
#   the distribution's layout so that nothing downstream cares where Spark came from.
unpack_pypi() {
	local work
	work=$(mktemp -d)
	tar -xzf "$1" -C "$work" --strip-components=1 --no-same-owner
	mv "$work/deps/bin" "$work/deps/jars" "$SPARK_HOME/"
	[ -d "$work/deps/sbin" ] && mv "$work/deps/sbin" "$SPARK_HOME/"
	[ -d "$work/deps/data" ] && mv "$work/deps/data" "$SPARK_HOME/"
	mkdir -p "$SPARK_HOME/python/lib" "$SPARK_HOME/examples/src/main"
	mv "$work"/lib/*.zip "$SPARK_HOME/python/lib/"
	[ -d "$work/deps/examples" ] && mv "$work/deps/examples" "$SPARK_HOME/examples/src/main/python"
	rm -rf "$work"
}

# drop_foreign_rocksdb_libraries
#   rocksdbjni (Spark's optional disk stores) carries RocksDB's native library for 14 platforms,
#   about 200 MB unpacked and 70 MB in the jar: keep only this machine's. Needs Python (the
#   image's last stage has it; the stage that only compiles against the jars keeps them whole).
drop_foreign_rocksdb_libraries() {
	local jar keep
	jar=$(find "$SPARK_HOME/jars" -maxdepth 1 -name 'rocksdbjni-*.jar' -print -quit)
	if [ -z "$jar" ] || ! command -v python3 >/dev/null; then return 0; fi
	case "$(dpkg --print-architecture)" in
		amd64) keep=librocksdbjni-linux64.so ;;
		arm64) keep=librocksdbjni-linux-aarch64.so ;;
		*) return 0 ;;
	esac
	python3 - "$jar" "$keep" <<-'PY'
		import os, sys, zipfile
		jar, keep = sys.argv[1], sys.argv[2]
		with zipfile.ZipFile(jar) as source:
		    names = [entry.filename for entry in source.infolist()]
		    if keep not in names:
		        sys.exit(f"error: {jar} has no {keep}")
		    with zipfile.ZipFile(jar + ".new", "w") as target:
		        for entry in source.infolist():
		            if entry.filename.startswith("librocksdbjni-") and entry.filename != keep:
		                continue
		            target.writestr(entry, source.read(entry), compress_type=entry.compress_type)
		os.replace(jar + ".new", jar)
	PY
}

main() {
	verify_checksum "$SPARK_ARTIFACT" "$SPARK_ARTIFACT_CHECKSUM"
	mkdir -p "$SPARK_HOME"
	case "$SPARK_ARTIFACT_SOURCE" in
		apache) unpack_apache "$SPARK_ARTIFACT" ;;
		pypi) unpack_pypi "$SPARK_ARTIFACT" ;;
		*) die "unknown SPARK_ARTIFACT_SOURCE '$SPARK_ARTIFACT_SOURCE' (expected apache or pypi)" ;;
	esac
	# Windows launchers are dead weight in a Linux image.
	rm -f "$SPARK_HOME"/bin/*.cmd
	drop_foreign_rocksdb_libraries
	mkdir -p "$SPARK_HOME/conf" "$SPARK_HOME/work" "$SPARK_HOME/logs"
	# A version-free name for py4j, so PYTHONPATH can be set once in the Dockerfile.
	local py4j
	py4j=$(find "$SPARK_HOME/python/lib" -maxdepth 1 -name 'py4j-*-src.zip' -print -quit)
	[ -n "$py4j" ] || die "$SPARK_ARTIFACT has no python/lib/py4j-*-src.zip"
	ln -sfn "$(basename "$py4j")" "$SPARK_HOME/python/lib/py4j-src.zip"
	local core
	core=$(find "$SPARK_HOME/jars" -maxdepth 1 -name "spark-core_*-${SPARK_VERSION}.jar" -print -quit)
	[ -n "$core" ] || die "$SPARK_ARTIFACT does not contain Spark $SPARK_VERSION (no spark-core_*-${SPARK_VERSION}.jar)"
	echo "installed Spark $SPARK_VERSION from $SPARK_ARTIFACT_SOURCE into $SPARK_HOME"
}

main "$@"
