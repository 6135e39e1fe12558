#!/usr/bin/env bash
# lint-shell.sh — shellcheck over every shell script of the project (installed from Debian when
# missing and we are root; skipped with a notice otherwise).
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v shellcheck >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
	else
		echo "shellcheck is not installed; skipping the shell lint" >&2
		exit 0
	fi
fi
mapfile -t scripts < <(git ls-files '*.sh' '.ci/run' 'images/*/rootfs/usr/local/bin/*')
shellcheck -x -P SCRIPTDIR -P SCRIPTDIR/.. "${scripts[@]}"
echo "shellcheck: ${#scripts[@]} scripts clean"
