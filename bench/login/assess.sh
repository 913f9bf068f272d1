#!/bin/sh
# Wall time of a whole `jcstar assess` (full TCP scan, IoT UDP ports,
# identification, default credentials, brute-force test) against one
# testbed login device with six TCP services on its own loopback address,
# so that nothing else listening on 127.0.0.1 is scanned. Target: < 60 s.
#
# Usage: bench/login/assess.sh [path/to/jcstar] [device]   (default device:
# auth-lockout; any name from `jcstar testbed list` starting with auth-)
set -eu
JCSTAR=${1:-target/release/jcstar}
DEVICE=${2:-auth-lockout}
ADDR=${ADDR:-127.0.0.23}
# In a network namespace of its own (as root), so that a service another
# program binds to 0.0.0.0 on this machine is not on the device's address.
if [ "${INSIDE:-}" != 1 ] && [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
  JCSTAR=$(cd "$(dirname "$JCSTAR")" && pwd)/$(basename "$JCSTAR")
  exec env INSIDE=1 unshare --net -- sh -c 'ip link set lo up && exec "$0" "$@"' "$0" "$JCSTAR" "$DEVICE"
fi
W=$(mktemp -d)
TB=""
cleanup() {
  [ -n "$TB" ] && kill "$TB" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT INT TERM

"$JCSTAR" testbed run "$DEVICE" --bind "$ADDR" --json > "$W/tb.json" & TB=$!
i=0
while [ ! -s "$W/tb.json" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
echo "device: $(cat "$W/tb.json")"
t0=$(date +%s.%N)
"$JCSTAR" --lang en assess "$ADDR" --yes -o "$W/ev" > "$W/out.txt" 2> "$W/err.txt" || true
t1=$(date +%s.%N)
cat "$W/out.txt"
grep -E "login services|ACCEPTED|resist|inconclusive" "$W/err.txt" || true
printf 'jcstar assess %s (%s): %.1f s wall\n' "$ADDR" "$DEVICE" "$(echo "$t1 - $t0" | bc -l)"
