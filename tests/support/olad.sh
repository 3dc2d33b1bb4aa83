#!/usr/bin/env bash
# OLA's olad as an Art-Net receiver for the output tests, on 127.0.0.1 only.
#
#   bash tests/support/olad.sh start|stop|status
#
# olad refuses to run as root, so it runs as the unprivileged user `olad` (Debian's
# package creates it; else we create it) with a private config dir in /tmp.
# Every plugin is disabled except Art-Net, which is bound to the loopback interface.
# HTTP (and /get_dmx?u=N) answers on 127.0.0.1:9090, RPC on 127.0.0.1:9010.
#
# Universes patched for the tests: Art-Net input ports 0..3 -> OLA universes 1..4,
# which receive Art-Net port addresses 1..4 (net 0, sub-net 0).
#
# E1.31 stays disabled: OLA 0.10's E1.31 plugin cannot bind to loopback (it falls
# back to the first non-loopback interface and joins multicast groups there, which
# sends IGMP off the host). The sACN tests decode packets from their own 127.0.0.1
# listener instead.
set -euo pipefail

STATE=${GOBO_OLAD_DIR:-/tmp/gobo-olad}
CONF="$STATE/conf"
PIDFILE="$STATE/olad.pid"
LOG="$STATE/olad.log"
HTTP="http://127.0.0.1:9090"
USER_NAME=olad
PLUGINS="dummy espnet ftdidmx gpio karate kinet milinst opendmx openpixelcontrol osc pathport
         renard sandnet shownet spi stageprofi uartdmx usbdmx usbserial e131"

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
    chown -R "$USER_NAME" "$STATE"
}

artnet_device() {
    # The alias of the Art-Net device, from `ola_dev_info` ("Device 1: ArtNet ...").
    ola_dev_info -p 2 2>/dev/null | sed -n 's/^Device \([0-9]*\):.*/\1/p' | head -n1
}

start() {
    if answering; then echo "olad already answering on $HTTP"; return 0; fi
    command -v olad >/dev/null || { echo "olad.sh: olad not installed (apt-get install ola)" >&2; exit 1; }
    id "$USER_NAME" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
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
    local device=""
    for _ in $(seq 1 50); do
        device=$(artnet_device)
        [ -n "$device" ] && break
        sleep 0.1
    done
    [ -n "$device" ] || { echo "olad.sh: no Art-Net device in olad; see $LOG" >&2; exit 1; }
    for port in 0 1 2 3; do
        ola_patch -d "$device" -p "$port" -i -u $((port + 1)) >/dev/null
    done
    echo "olad answering on $HTTP (Art-Net on 127.0.0.1, universes 1-4)"
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
