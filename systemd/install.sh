#!/usr/bin/env bash
# Install, upgrade or remove the gobo lighting controller as a systemd service on
# Raspberry Pi OS Bookworm (64-bit) or Debian 12. Run from a checkout of the project:
#
#   sudo systemd/install.sh                       install or upgrade, enable and start `gobo`
#   sudo systemd/install.sh --wheelhouse DIR      the same offline, from wheels built by
#                                                 systemd/wheelhouse.sh
#   sudo systemd/install.sh --uninstall           remove the software, keep config, library, inbox
#   sudo systemd/install.sh --uninstall --purge   remove everything, data included
#
# Running it again changes nothing. An upgrade replaces the software, unit and udev rule, and
# never touches /etc/gobo (configuration), /var/lib/gobo (library, run log) or /srv/gobo (inbox).
set -euo pipefail
umask 022  # the venv and shipped files must stay readable by the gobo user

readonly UNIT=/etc/systemd/system/gobo.service
readonly WEB_UNIT=/etc/systemd/system/gobo-web.service   # the web console beside the daemon
readonly UDEV_RULE=/etc/udev/rules.d/99-gobo-enttec.rules
readonly SYSUSERS=/etc/sysusers.d/gobo.conf
readonly TMPFILES=/etc/tmpfiles.d/gobo.conf
readonly OPT=/opt/gobo
readonly VENV=/opt/gobo/venv
readonly COMMAND=/usr/local/bin/gobo  # technicians type `gobo` over SSH
readonly CONF_DIR=/etc/gobo
readonly SITE=/etc/gobo/site.toml
readonly DATA_DIRS=(/etc/gobo /var/lib/gobo /srv/gobo)
readonly APT_PACKAGES=(python3 python3-venv)

usage() {
    cat <<'EOF'
usage: install.sh [--root DIR] [--source DIR] [--wheelhouse DIR] [--skip-packages] [--no-venv]
       install.sh --uninstall [--purge] [--root DIR]

  --root DIR       install into DIR instead of /: files, users and groups (in DIR/etc),
                   enablement; skips apt, starting the service and reloading udev
  --source DIR     project checkout to install (default: the one this script is in)
  --wheelhouse DIR install the software from the wheels in DIR only, never from the network
                   (build DIR with systemd/wheelhouse.sh); the unit and example come from --source
  --skip-packages  do not install Debian packages (python3, python3-venv)
  --no-venv        do not create or update the virtual environment in /opt/gobo/venv
  --uninstall      stop and remove the service and software; keep data and configuration
  --purge          with --uninstall: also delete /etc/gobo, /var/lib/gobo and /srv/gobo
EOF
}

log() { printf 'install.sh: %s\n' "$*"; }
die() { printf 'install.sh: error: %s\n' "$*" >&2; exit 1; }
usage_error() { printf 'install.sh: %s (see --help)\n' "$*" >&2; exit 2; }

ROOT=""
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ACTION=install
PURGE=0
PACKAGES=1
BUILD_VENV=1
WHEELHOUSE=""

while (($#)); do
    case $1 in
        --root) (($# >= 2)) || usage_error "--root needs a directory"; ROOT=$2; shift ;;
        --root=*) ROOT=${1#--root=} ;;
        --source) (($# >= 2)) || usage_error "--source needs a directory"; SOURCE=$2; shift ;;
        --source=*) SOURCE=${1#--source=} ;;
        --wheelhouse) (($# >= 2)) || usage_error "--wheelhouse needs a directory"; WHEELHOUSE=$2; shift ;;
        --wheelhouse=*) WHEELHOUSE=${1#--wheelhouse=} ;;
        --skip-packages) PACKAGES=0 ;;
        --no-venv) BUILD_VENV=0 ;;
        --uninstall) ACTION=uninstall ;;
        --purge) PURGE=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage_error "unknown option: $1" ;;
    esac
    shift
done

((PURGE == 0)) || [[ $ACTION == uninstall ]] || usage_error "--purge goes with --uninstall"
[[ -d $SOURCE ]] || usage_error "--source $SOURCE: no such directory"
SOURCE=$(cd "$SOURCE" && pwd)
if [[ -n $WHEELHOUSE ]]; then
    [[ -d $WHEELHOUSE ]] || usage_error "--wheelhouse $WHEELHOUSE: no such directory"
    WHEELHOUSE=$(cd "$WHEELHOUSE" && pwd)
    compgen -G "$WHEELHOUSE/gobo_controller-*.whl" >/dev/null ||
        usage_error "--wheelhouse $WHEELHOUSE has no gobo_controller wheel (systemd/wheelhouse.sh DIR)"
fi
if [[ -n $ROOT ]]; then
    [[ -d $ROOT ]] || usage_error "--root $ROOT: no such directory"
    ROOT=$(cd "$ROOT" && pwd)
    [[ $ROOT != / ]] || ROOT=""
fi
ROOT_OPT=()
[[ -z $ROOT ]] || ROOT_OPT=(--root="$ROOT")
[[ -n $ROOT || $EUID -eq 0 ]] || die "run as root (sudo $0), or use --root DIR"

live() { [[ -z $ROOT ]]; }
at() { printf '%s%s' "$ROOT" "$1"; }

# Numeric id of a user or group in the target system's own database (which may be under --root).
id_in() {
    local db=$1 name=$2 id
    id=$(awk -F: -v n="$name" '$1 == n { print $3; exit }' "$(at "/etc/$db")")
    [[ -n $id ]] || die "no $name in $(at "/etc/$db")"
    printf '%s' "$id"
}

CHANGED=0        # anything the running service depends on changed: restart it
UNIT_CHANGED=0
RULE_CHANGED=0

# Copy SRC to DEST (a path in the target, mode 0644, owned by root) unless it is already there
# like that, so a second run leaves every file untouched. Returns 1 when nothing changed.
put_file() {
    local src=$1 dest
    dest=$(at "$2")
    if [[ -f $dest ]] && cmp -s "$src" "$dest" && [[ $(stat -c '%a %u %g' "$dest") == "644 0 0" ]]
    then
        return 1
    fi
    install -D -m 0644 -o 0 -g 0 "$src" "$dest"
    log "installed $2"
}

install_packages() {
    if ! live || ((PACKAGES == 0)); then
        log "skipped Debian packages (${APT_PACKAGES[*]})"
        return
    fi
    local missing=() pkg
    for pkg in "${APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$pkg")
    done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_accounts_and_dirs() {
    mkdir -p "$(at /etc)"
    put_file "$SOURCE/systemd/gobo.sysusers" "$SYSUSERS" || true
    systemd-sysusers "${ROOT_OPT[@]}" "$(at "$SYSUSERS")"
    put_file "$SOURCE/systemd/gobo.tmpfiles" "$TMPFILES" || true
    systemd-tmpfiles "${ROOT_OPT[@]}" --create "$(at "$TMPFILES")"
    # Installs before the library was shared with group gobo left its catalogue 0640 (SQLite's
    # own default), so technicians could not approve. The directory is sticky now: these files
    # are the gobo user's own, not a technician's link planted in their place.
    find "$(at /var/lib/gobo)" -maxdepth 1 -type f -name 'library.sqlite3*' \
        -user "$(id_in passwd gobo)" ! -perm -g+w -exec chmod g+w {} +
}

# The example configuration goes in only where there is none: a technician's site.toml is
# never overwritten, nor the schedule file it includes.
install_config() {
    local example="$SOURCE/controller/data/example-site.toml" gid include
    [[ -f $example ]] || die "$example is missing: is --source a gobo checkout?"
    gid=$(id_in group gobo)
    install -d -m 0755 -o 0 -g 0 "$(at "$CONF_DIR")"
    if [[ -e $(at "$SITE") ]]; then
        log "kept $SITE"
    else
        install -m 0640 -o 0 -g "$gid" "$example" "$(at "$SITE")"
        log "installed $SITE (the example; edit it, then: gobo check && systemctl reload gobo)"
    fi
    include=$(sed -n 's/^include *= *"\([^"/]*\)".*/\1/p' "$example" | head -n 1)
    if [[ -n $include && -f $SOURCE/schedules/$include && ! -e $(at "$CONF_DIR/$include") ]]; then
        install -m 0640 -o 0 -g "$gid" "$SOURCE/schedules/$include" "$(at "$CONF_DIR/$include")"
        log "installed $CONF_DIR/$include"
    fi
}

# Fingerprint of what pip would install (the checkout, or the wheels), so an unchanged one
# skips the rebuild.
source_hash() {
    if [[ -n $WHEELHOUSE ]]; then
        (cd "$WHEELHOUSE" && find . -maxdepth 1 -name '*.whl' -print0 |
            LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
        return
    fi
    "$SOURCE/systemd/source-hash" "$SOURCE"
}

install_venv() {
    if ((BUILD_VENV == 0)); then
        log "skipped the virtual environment (--no-venv)"
        return
    fi
    local venv stamp want
    venv=$(at "$VENV")
    stamp="$venv/.gobo-source"
    want=$(source_hash)
    if [[ -x $venv/bin/gobo && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return
    fi
    install -d -m 0755 -o 0 -g 0 "$(at "$OPT")"
    [[ -x $venv/bin/python ]] || python3 -m venv "$venv"
    local pip=("$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade)
    if [[ -n $WHEELHOUSE ]]; then
        log "installing gobo from the wheels in $WHEELHOUSE into $VENV (pip, offline)"
        "${pip[@]}" --no-index --only-binary=:all: --find-links "$WHEELHOUSE" gobo-controller
    else
        log "installing gobo from $SOURCE into $VENV (pip)"
        "${pip[@]}" "$SOURCE"
    fi
    printf '%s\n' "$want" >"$stamp"
    CHANGED=1
}

# `gobo check` on the installed configuration, when there is an installed gobo to run.
config_ok() {
    local gobo
    gobo=$(at "$VENV")/bin/gobo
    [[ ! -x $gobo ]] || "$gobo" --config "$(at "$SITE")" check >/dev/null
}

# /usr/local/bin/gobo -> the venv's, so `gobo status` works in a technician's SSH session.
install_command() {
    local link target
    link=$(at "$COMMAND")
    target=$VENV/bin/gobo
    [[ ! -L $link || $(readlink "$link") != "$target" ]] || return 0
    [[ ! -e $link || -L $link ]] || { log "kept $COMMAND (not ours: a file, not a link)"; return; }
    install -d -m 0755 "$(dirname "$link")"
    ln -sfn "$target" "$link"
    log "installed $COMMAND -> $target"
}

install_units() {
    if put_file "$SOURCE/systemd/gobo.service" "$UNIT"; then
        UNIT_CHANGED=1
        CHANGED=1
    fi
    if put_file "$SOURCE/systemd/gobo-web.service" "$WEB_UNIT"; then
        UNIT_CHANGED=1
        CHANGED=1
    fi
    if put_file "$SOURCE/systemd/99-gobo-enttec.rules" "$UDEV_RULE"; then
        RULE_CHANGED=1
    fi
}

enable_service() {
    if ! live; then
        systemctl "${ROOT_OPT[@]}" --quiet enable gobo.service gobo-web.service 2>/dev/null
        log "enabled gobo.service and gobo-web.service under $ROOT (not started: --root)"
        return
    fi
    ((UNIT_CHANGED == 0)) || systemctl daemon-reload
    if ((RULE_CHANGED)) && reload_udev; then
        udevadm trigger --subsystem-match=tty --action=change
    fi
    systemctl --quiet enable gobo.service gobo-web.service
}

start_service() {
    live || return 0
    if systemctl --quiet is-active gobo.service; then
        ((CHANGED == 0)) || { log "restarting gobo"; systemctl restart gobo.service; }
    else
        log "starting gobo"
        systemctl start gobo.service ||
            die "gobo did not start; see: journalctl -u gobo -n 50"
    fi
    log "gobo is $(systemctl is-active gobo.service); logs: journalctl -u gobo"
    if systemctl --quiet is-active gobo-web.service; then
        ((CHANGED == 0)) || systemctl restart gobo-web.service
    else
        systemctl start gobo-web.service || log "gobo-web did not start; see: journalctl -u gobo-web"
    fi
    log "web console is $(systemctl is-active gobo-web.service) ([web] listen in $SITE);" \
        "add users: sudo -u gobo $VENV/bin/gobo web user add NAME --role curator"
    log "technicians: sudo usermod -aG gobo USER; artists' uploads: group gobo-artists"
}

do_install() {
    [[ -f $SOURCE/systemd/gobo.service ]] || die "$SOURCE is not a gobo checkout (--source)"
    install_packages
    install_accounts_and_dirs
    install_config
    install_venv
    install_command
    install_units
    enable_service
    config_ok || die "$SITE has errors (above); fix them, then: sudo systemctl restart gobo"
    start_service
}

# A container or chroot has no udevd: the rule on disk is read at the next boot.
reload_udev() {
    if [[ -S /run/udev/control ]] && udevadm control --reload; then
        return 0
    fi
    log "no udevd running here (a container?): udev reads the rule change at the next boot"
    return 1
}

remove() {
    local path=$1
    [[ -e $(at "$path") || -L $(at "$path") ]] || return 0
    rm -rf -- "$(at "$path")"
    log "removed $path"
}

do_uninstall() {
    local unit
    for unit in "$UNIT" "$WEB_UNIT"; do
        [[ -e $(at "$unit") ]] || continue
        if live; then
            systemctl --quiet disable --now "${unit##*/}"
        else
            systemctl "${ROOT_OPT[@]}" --quiet disable "${unit##*/}" 2>/dev/null
        fi
    done
    remove "$UNIT"
    remove "$WEB_UNIT"
    remove "$UDEV_RULE"
    remove "$SYSUSERS"
    remove "$TMPFILES"
    remove "$OPT"
    [[ $(readlink "$(at "$COMMAND")" 2>/dev/null) != "$VENV/bin/gobo" ]] || remove "$COMMAND"
    if live; then
        systemctl daemon-reload
        reload_udev || true
    fi
    local dir
    if ((PURGE)); then
        remove "$UNIT.d"
        remove "$WEB_UNIT.d"
        for dir in "${DATA_DIRS[@]}"; do remove "$dir"; done
    else
        log "kept ${DATA_DIRS[*]} (configuration, library, run log, inbox); --purge deletes them"
    fi
    log "kept users and groups gobo, gobo-artists (files may still belong to them)"
}

"do_$ACTION"
