#!/usr/bin/env bash
# test-arm64.sh — builds the arm64 image on this machine under QEMU emulation and runs it: a
#   Spark master, a worker and a PySpark job, all arm64 (`npm run test:arm64`). Slow (tens of
#   minutes), so not part of `npm test`. Registers QEMU's aarch64 emulation with binfmt_misc when
#   it is missing (as root on Debian: qemu-user-static and binfmt-support); elsewhere says what to
#   do and exits 1. Already on an arm64 machine, it builds natively.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/lib/debian-packages.sh
source scripts/lib/debian-packages.sh

log() {
	echo "[arm64] $*" >&2
}

# ensure_emulation
#   QEMU registered for aarch64 binaries, with the F flag (the interpreter is opened at
#   registration, so containers use it without having it).
ensure_emulation() {
	[ "$(uname -m)" = aarch64 ] && return 0
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && return 0
	install_debian_packages arm64 "this $(uname -m) machine cannot run arm64 programs (QEMU's emulation)" \
		qemu-user-static binfmt-support
	mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
	update-binfmts --enable qemu-aarch64
	[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || {
		echo "[arm64] error: QEMU's aarch64 emulation did not register (see update-binfmts --display)" >&2
		exit 1
	}
}

ensure_emulation
log "emulation: $(head -n 1 /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || echo native)"
bash scripts/pnpm.sh install --frozen-lockfile --reporter=silent
bash packages/core/scripts/ensure-docker-engine.sh
exec node --experimental-vm-modules node_modules/jest/bin/jest.js --selectProjects emulated --runInBand --testTimeout=14400000
