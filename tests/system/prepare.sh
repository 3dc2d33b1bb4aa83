#!/usr/bin/env bash
# What the system tests take from the network, made before they run (CI: before the suite's
# `unshare --net`) and kept, so a run on an unchanged checkout downloads nothing:
#
#   $GOBO_TEST_CACHE/bookworm-ARCH.tar   a fresh Debian 12 root by mmdebstrap (root only), booted
#                                        by test_booted.py; shared by every checkout on the machine
#                                        (default /var/cache/gobo-tests)
#   build/wheelhouse-ARCH/               systemd/wheelhouse.sh for this machine, installed there
#   build/wheelhouse-aarch64/            systemd/wheelhouse.sh for the Pi, checked offline
#
# usage: prepare.sh [root] [wheelhouses]    (default: both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Debian's standard system has udev; the rest is what install.sh expects to find or install.
readonly ROOT_PACKAGES=systemd,systemd-sysv,dbus,udev,python3,python3-venv
readonly ROOT_RECIPE="mmdebstrap --variant=minbase --include=$ROOT_PACKAGES bookworm"
ARCH=$(uname -m)

build_root() {
    local cache=${GOBO_TEST_CACHE:-/var/cache/gobo-tests}
    local tar=$cache/bookworm-$ARCH.tar partial
    [[ $EUID -eq 0 ]] || { echo "prepare.sh: building a Debian root needs root" >&2; exit 1; }
    mkdir -p "$cache"
    exec {lock}>"$cache/.lock"
    flock "$lock"  # another checkout's run may be building it now
    if [[ -f $tar && $(cat "$tar.recipe" 2>/dev/null) == "$ROOT_RECIPE" ]]; then
        return
    fi
    echo "prepare.sh: building $tar (mmdebstrap, about a minute)"
    rm -f "$tar" "$tar.recipe"
    partial=$(mktemp "$cache/.partial-XXXXXX.tar")
    $ROOT_RECIPE --format=tar --quiet "$partial"
    mv "$partial" "$tar"
    printf '%s\n' "$ROOT_RECIPE" >"$tar.recipe"
}

build_wheelhouses() {
    systemd/wheelhouse.sh --arch "$ARCH" "build/wheelhouse-$ARCH"
    [[ $ARCH == aarch64 ]] || systemd/wheelhouse.sh --arch aarch64 build/wheelhouse-aarch64
}

(($#)) || set -- root wheelhouses
for what; do
    case $what in
        root) build_root ;;
        wheelhouses) build_wheelhouses ;;
        *) echo "usage: prepare.sh [root] [wheelhouses]" >&2; exit 2 ;;
    esac
done
