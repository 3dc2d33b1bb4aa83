#!/usr/bin/env bash
# `gobo demo` in an arm64 Debian 12 root under qemu-user (binfmt_misc), beside the same demo on
# this machine: the software as the Pi gets it (the aarch64 wheelhouse), at emulated speed. A
# rough upper bound for a Pi until one is measured: qemu-user is typically several times slower
# than a Pi 4 core, which is itself 3-5x slower than a core here.
# Needs root, the network once, and qemu-user registered in binfmt_misc:
#   apt-get install qemu-user-static binfmt-support arch-test
# usage: bash tests/benchmarks/arm64_demo.sh [DATE]     (default 2026-12-04, a winter night)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
date=${1:-2026-12-04}

[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] ||
    { echo "no qemu-aarch64 in binfmt_misc: apt-get install qemu-user-static binfmt-support" >&2; exit 1; }
cache=${GOBO_TEST_CACHE:-/var/cache/gobo-tests}
tar=$cache/bookworm-arm64.tar
if [[ ! -f $tar ]]; then
    mkdir -p "$cache"
    mmdebstrap --arch=arm64 --variant=minbase --include=python3,python3-venv --format=tar \
        --quiet bookworm "$tar.partial"
    mv "$tar.partial" "$tar"
fi
bash tests/system/prepare.sh wheelhouses

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/root"
tar -C "$work/root" -xf "$tar"
cp -r build/wheelhouse-aarch64 "$work/root/wheelhouse"
inside() {
    systemd-nspawn --quiet --register=no --keep-unit --private-network -D "$work/root" "$@"
}
inside sh -c 'python3 -m venv /opt/gobo && /opt/gobo/bin/pip install --quiet --no-index \
    --find-links /wheelhouse gobo-controller'

seconds() { python3 -c 'import json, sys; print(json.load(sys.stdin)["wall_seconds"])'; }
here=$(.venv/bin/gobo demo --date "$date" --out "$work/here" --json | seconds)
arm64=$(inside /opt/gobo/bin/gobo demo --date "$date" --out /tmp/demo --json | seconds)
echo "gobo demo --date $date: $here s on this machine ($(uname -m)), $arm64 s on arm64 under qemu-user"
