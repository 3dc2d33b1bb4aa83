#!/usr/bin/env bash
# Build a wheelhouse for an offline install (`install.sh --wheelhouse DIR`): the project's own
# wheel and a binary wheel of every dependency, for Debian 12 / Raspberry Pi OS Bookworm
# (glibc 2.36, CPython 3.11). Run from a checkout, on any machine with the network and
# python3-venv:
#
#   systemd/wheelhouse.sh wheelhouse                 for a Raspberry Pi (aarch64)
#   systemd/wheelhouse.sh --arch x86_64 DIR          for a PC
#
# Nothing is compiled: a dependency without a wheel for the target fails here, not on the Pi.
# Running it again on an unchanged checkout does nothing (no network).
set -euo pipefail

usage() {
    sed -n '2,11s/^# \{0,1\}//p' "$0"
    echo "usage: wheelhouse.sh [--arch aarch64|x86_64] DIR"
}
die() { printf 'wheelhouse.sh: %s\n' "$*" >&2; exit "${2:-1}"; }

ARCH=aarch64
DIR=""
while (($#)); do
    case $1 in
        --arch) (($# >= 2)) || die "--arch needs aarch64 or x86_64 (see --help)" 2; ARCH=$2; shift ;;
        --arch=*) ARCH=${1#--arch=} ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option: $1 (see --help)" 2 ;;
        *) [[ -z $DIR ]] || die "one DIR only (see --help)" 2; DIR=$1 ;;
    esac
    shift
done
[[ -n $DIR ]] || die "which directory? (see --help)" 2
[[ $ARCH == aarch64 || $ARCH == x86_64 ]] || die "--arch $ARCH: aarch64 or x86_64" 2

SOURCE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STAMP=$DIR/.gobo-source
want=$("$SOURCE/systemd/source-hash" "$SOURCE")-$ARCH
if [[ -f $STAMP && $(<"$STAMP") == "$want" ]]; then
    echo "wheelhouse.sh: $DIR is up to date"
    exit 0
fi

mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv" || die "python3 -m venv failed: apt-get install python3-venv"
pip=("$work/venv/bin/pip" --disable-pip-version-check --quiet)

rm -f "$DIR"/gobo_controller-*.whl "$STAMP"
# Built from a copy: setuptools' build/ in a checkout can still hold modules deleted since.
mkdir "$work/source"
cp -r "$SOURCE"/{pyproject.toml,README.md,controller,artwork,schedules,hardware,siteconfig} "$work/source/"
"${pip[@]}" wheel --no-deps --wheel-dir "$DIR" "$work/source"
# Bookworm's glibc is 2.36, which runs manylinux wheels for any glibc from 2.17 (manylinux2014)
# on; pip wants each of those tags named.
platforms=()
for minor in $(seq 36 -1 17); do platforms+=(--platform "manylinux_2_${minor}_$ARCH"); done
"${pip[@]}" download --only-binary=:all: "${platforms[@]}" --platform "manylinux2014_$ARCH" \
    --python-version 3.11 --implementation cp --dest "$DIR" "$DIR"/gobo_controller-*.whl
printf '%s\n' "$want" >"$STAMP"
echo "wheelhouse.sh: $DIR: $(find "$DIR" -maxdepth 1 -name '*.whl' | wc -l) wheels for $ARCH, CPython 3.11"
