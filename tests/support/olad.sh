#!/usr/bin/env bash
# OLA's olad as an Art-Net (and, sealed, sACN) receiver for the output tests, on 127.0.0.1.
#
#   bash tests/support/olad.sh start|stop|status
#   GOBO_OLAD_E131=1 bash tests/support/olad.sh start|stop|status   # in unshare --net only
#
# olad refuses to run as root, so it runs as the unprivileged user `olad` (Debian's
# package creates it; else we create it) with a private config dir in /tmp.
# Every plugin is disabled except Art-Net, which is bound to the loopback interface,
# and E1.31 with GOBO_OLAD_E131=1 (below).
# HTTP (and /get_dmx?u=N) answers on 127.0.0.1:9090, RPC on 127.0.0.1:9010.
#
# Universes patched for the tests: Art-Net input ports 0..3 -> OLA universes 1..4,
# which receive Art-Net port addresses 1..4 (net 0, sub-net 0).
#
# E1.31 (sACN), only with GOBO_OLAD_E131=1 and only in a sealed network namespace
# (.ci/run: `unshare --net`): E1.31 input ports 0..3 -> OLA universes 11..14, which
# receive E1.31 universes 11..14 (OLA's E1.31 port listens to the universe it is
# patched to). OLA 0.10's E1.31 plugin never uses a loopback interface and joins its
# multicast groups on the interface it picks, so the script refuses unless every
# interface is loopback or its own veth pair (both ends in this namespace), and adds
# that pair, gobo-sacn0 (192.0.2.1/24) <-> gobo-sacn1, for the plugin to bind to:
# nothing it sends can leave the namespace. The tests send unicast to 127.0.0.1:5568.
set -euo pipefail

E131=${GOBO_OLAD_E131:-0}
if [ "$E131" = 1 ]; then
    # per namespace: a sealed olad never shares (or kills) the host's olad state
    STATE=${GOBO_OLAD_DIR:-/tmp/gobo-olad-netns-$(stat -L -c %i /proc/self/ns/net)}
else
    STATE=${GOBO_OLAD_DIR:-/tmp/gobo-olad}
fi
CONF="$STATE/conf"
PIDFILE="$STATE/olad.pid"
LOG="$STATE/olad.log"
HTTP="http://127.0.0.1:9090"
USER_NAME=olad
PLUGINS="dummy espnet ftdidmx gpio karate kinet milinst opendmx openpixelcontrol osc pathport
         renard sandnet shownet spi stageprofi uartdmx usbdmx usbserial e131"
VETH=gobo-sacn0
VETH_PEER=gobo-sacn1
VETH_IP=192.0.2.1  # TEST-NET-1, reachable only inside this namespace

answering() {
    python3 -c "import urllib.request as u; u.urlopen('$HTTP/json/server_stats', timeout=1)" \
        >/dev/null 2>&1
}

write_config() {
    rm -rf "$CONF"
    mkdir -p "$CONF"
    for plugin in $PLUGINS; do echo "enabled = false" >"$CONF/ola-$plugin.conf"; done
    cat >"$CONF/ola-artnet.conf" <<'EOF'
enabled = true
ip = 127.0.0.1
use_loopback = true
net = 0
subnet = 0
output_ports = 0
always_broadcast = false
use_limited_broadcast = false
short_name = gobo-test
long_name = gobo test receiver
EOF
    if [ "$E131" = 1 ]; then
        cat >"$CONF/ola-e131.conf" <<EOF
enabled = true
ip = $VETH_IP
input_ports = 4
output_ports = 0
ignore_preview = true
prepend_hostname = false
EOF
    fi
    chown -R "$USER_NAME" "$STATE"
}

sealed() {
    # True when every interface is loopback or a veth whose peer is in this namespace too.
    ip -j -d link show | python3 -c '
import json, sys
links = json.load(sys.stdin)
sys.exit(not all(link["link_type"] == "loopback"
                 or (link.get("linkinfo", {}).get("info_kind") == "veth"
                     and "link_netnsid" not in link and link["ifname"] in sys.argv[1:])
                 for link in links))' "$VETH" "$VETH_PEER"
}

seal_e131() {
    sealed || {
        echo "olad.sh: GOBO_OLAD_E131=1 needs a private network namespace with only lo" \
            "(e.g. unshare --net); refusing: OLA's E1.31 would join multicast groups on:" >&2
        ip -br link >&2
        exit 1
    }
    ip link set lo up
    if ! ip link show "$VETH" >/dev/null 2>&1; then
        ip link add "$VETH" type veth peer name "$VETH_PEER"
        ip addr add "$VETH_IP/24" dev "$VETH"
        ip link set "$VETH_PEER" up
        ip link set "$VETH" up
    fi
}

device_id() {
    # The alias of the device whose name starts with $1, from `ola_dev_info` ("Device 1: ArtNet ...").
    ola_dev_info 2>/dev/null | sed -n "s/^Device \([0-9]*\): $1.*/\1/p" | head -n1
}

patch_inputs() {
    # patch_inputs NAME FIRST_UNIVERSE: input ports 0..3 of device NAME -> FIRST_UNIVERSE.. +3
    local device=""
    for _ in $(seq 1 50); do
        device=$(device_id "$1")
        [ -n "$device" ] && break
        sleep 0.1
    done
    [ -n "$device" ] || { echo "olad.sh: no $1 device in olad; see $LOG" >&2; exit 1; }
    for port in 0 1 2 3; do
        ola_patch -d "$device" -p "$port" -i -u $(($2 + port)) >/dev/null
    done
}

start() {
    if answering; then echo "olad already answering on $HTTP"; return 0; fi
    command -v olad >/dev/null || { echo "olad.sh: olad not installed (apt-get install ola)" >&2; exit 1; }
    id "$USER_NAME" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
    [ "$E131" = 1 ] && seal_e131
    mkdir -p "$STATE"
    write_config
    # cwd must be readable by the olad user
    # setpriv execs olad itself (runuser would stay as a parent that ignores SIGTERM)
    (cd "$STATE" && exec setpriv --reuid="$USER_NAME" --regid="$(id -g "$USER_NAME")" \
        --init-groups -- olad -c "$CONF" -i 127.0.0.1 -p 9090 --no-register-with-dns-sd -l 2 \
        >"$LOG" 2>&1) &
    echo $! >"$PIDFILE"
    for _ in $(seq 1 100); do
        answering && break
        sleep 0.1
    done
    answering || { echo "olad.sh: olad did not answer on $HTTP; see $LOG" >&2; exit 1; }
    patch_inputs ArtNet 1
    echo "olad answering on $HTTP (Art-Net on 127.0.0.1, universes 1-4)"
    if [ "$E131" = 1 ]; then
        patch_inputs E1.31 11
        echo "E1.31 on 127.0.0.1:5568 and sealed $VETH, universes 11-14"
    fi
}

stop() {
    if [ -f "$PIDFILE" ]; then
        kill "$(cat "$PIDFILE")" 2>/dev/null || true
        rm -f "$PIDFILE"
        for _ in $(seq 1 30); do answering || break; sleep 0.1; done
    fi
    echo "olad stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) if answering; then echo "olad answering on $HTTP"; else echo "olad not running"; exit 1; fi ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
