#!/usr/bin/env bash
# What the system tests take from the network, made before they run (CI: before the suite's
# `unshare --net`) and cached, so a run on an unchanged checkout downloads nothing:
#
#   $CACHE/bookworm-ARCH.tar     a fresh Debian 12 root by mmdebstrap (root only), booted by
#                                tests/system/test_booted.py
#   $CACHE/wheelhouse-ARCH/      systemd/wheelhouse.sh for this machine, installed offline there
#   $CACHE/wheelhouse-aarch64/   systemd/wheelhouse.sh for the Raspberry Pi, checked offline
#
# CACHE is $GOBO_TEST_CACHE, default /var/cache/gobo-tests (a user's ~/.cache/gobo-tests).
# usage: prepare.sh [root] [wheelhouses]    (default: both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# Debian's standard system has udev; the rest is what install.sh expects to find or install.
readonly ROOT_PACKAGES=systemd,systemd-sysv,dbus,udev,python3,python3-venv
readonly ROOT_RECIPE="mmdebstrap --variant=minbase --include=$ROOT_PACKAGES bookworm"
ARCH=$(uname -m)
if [[ $EUID -eq 0 ]]; then default_cache=/var/cache/gobo-tests; else default_cache=~/.cache/gobo-tests; fi
CACHE=${GOBO_TEST_CACHE:-$default_cache}
mkdir -p "$CACHE"

build_root() {
    local tar=$CACHE/bookworm-$ARCH.tar
    if [[ -f $tar && $(cat "$tar.recipe" 2>/dev/null) == "$ROOT_RECIPE" ]]; then
        return
    fi
    [[ $EUID -eq 0 ]] || { echo "prepare.sh: building a Debian root needs root" >&2; exit 1; }
    echo "prepare.sh: building $tar (mmdebstrap, about a minute)"
    rm -f "$tar" "$tar.recipe"
    $ROOT_RECIPE --format=tar --quiet "$CACHE/.partial.tar"
    mv "$CACHE/.partial.tar" "$tar"
    printf '%s\n' "$ROOT_RECIPE" >"$tar.recipe"
}

build_wheelhouses() {
    systemd/wheelhouse.sh --arch "$ARCH" "$CACHE/wheelhouse-$ARCH"
    [[ $ARCH == aarch64 ]] || systemd/wheelhouse.sh --arch aarch64 "$CACHE/wheelhouse-aarch64"
}

(($#)) || set -- root wheelhouses
for what; do
    case $what in
        root) build_root ;;
        wheelhouses) build_wheelhouses ;;
        *) echo "usage: prepare.sh [root] [wheelhouses]" >&2; exit 2 ;;
    esac
done
