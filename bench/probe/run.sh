#!/usr/bin/env bash
# Probe benchmark: full TCP scan and service identification, jcstar vs nmap,
# against the same loopback targets in the same run.
#
# Everything runs inside a private network namespace (unshare --net), so
# the targets are exactly the daemons started here: a testbed camera and
# real Debian daemons (busybox httpd with basic auth, dropbear, mosquitto,
# inetutils telnetd). Needs root, nmap, hyperfine, busybox, dropbear-bin,
# mosquitto, inetutils-inetd, inetutils-telnetd.
#
#   cargo build --release -p jcstar-cli
#   bench/probe/run.sh            # JCSTAR=path/to/jcstar to override
#
# RUNS (default 5) hyperfine runs of the full scan, ID_RUNS (default 2) of
# the identification. Exits 1 if the open-port sets differ, in any run.
set -euo pipefail
cd "$(dirname "$0")/../.."
JCSTAR=${JCSTAR:-$(pwd)/target/release/jcstar}
[ -x "$JCSTAR" ] || { echo "build first: cargo build --release -p jcstar-cli" >&2; exit 2; }
for b in nmap hyperfine busybox dropbear dropbearkey mosquitto inetutils-inetd; do
  command -v "$b" >/dev/null || { echo "missing $b: install its Debian package" >&2; exit 2; }
done
RUNS=${RUNS:-5}
ID_RUNS=${ID_RUNS:-2}

if [ "${1:-}" != "--inside" ]; then
  exec unshare --net -- "$0" --inside
fi
ip link set lo up
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$W"' EXIT

# Targets
"$JCSTAR" testbed run camera --json > "$W/tb.json" &
mkdir -p "$W/www" && echo '<html>admin</html>' > "$W/www/index.html"
echo '/:admin:secret' > "$W/httpd.conf"
busybox httpd -f -p 127.0.0.1:8080 -h "$W/www" -c "$W/httpd.conf" &
dropbearkey -t ed25519 -f "$W/hostkey" >/dev/null 2>&1
dropbear -F -E -r "$W/hostkey" -P "$W/db.pid" -p 127.0.0.1:2222 2>/dev/null &
printf 'user root\npersistence false\nlistener 1883 127.0.0.1\nallow_anonymous true\n' > "$W/mq.conf"
mosquitto -c "$W/mq.conf" 2>/dev/null &
echo "127.0.0.1:2323 stream tcp nowait root /usr/sbin/telnetd telnetd" > "$W/inetd.conf"
inetutils-inetd -d "$W/inetd.conf" 2>/dev/null &
for i in $(seq 1 50); do [ -s "$W/tb.json" ] && break; sleep 0.1; done
sleep 1

nmap_open() { grep -o '[0-9]*/open/tcp' "$1" | cut -d/ -f1 | sort -n | paste -sd, -; }
ours_open() {
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(",".join(str(p["port"]) for p in sorted(r["ports"], key=lambda p: p["port"]) if p["transport"]=="tcp" and p["state"]=="open"))' "$1"
}
# The open-port sets are compared on separate runs before and after the
# timing, so a port that only sometimes answers shows up as a mismatch.
SAME=yes
for round in 1 2 3; do
  nmap -sT -p- -Pn -n -oG "$W/nmap.gnmap" 127.0.0.1 >/dev/null
  NMAP_OPEN=$(nmap_open "$W/nmap.gnmap")
  "$JCSTAR" probe 127.0.0.1 --tcp all --udp none --scan-only --json > "$W/scan.json" || true
  OURS_OPEN=$(ours_open "$W/scan.json")
  echo "round $round open ports  nmap:   $NMAP_OPEN"
  echo "round $round open ports  jcstar: $OURS_OPEN"
  [ -n "$NMAP_OPEN" ] && [ "$NMAP_OPEN" = "$OURS_OPEN" ] || SAME=NO
done
echo "identical open sets: $SAME"

median() { python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; print(" ".join("%.3f" % x["median"] for x in r))' "$1"; }

hyperfine -N -i --warmup 1 --runs "$RUNS" --export-json "$W/scan-h.json" \
  "nmap -sT -p- -Pn -n 127.0.0.1" \
  "$JCSTAR probe 127.0.0.1 --tcp all --udp none --scan-only --json" >/dev/null
read -r NMAP_SCAN OUR_SCAN < <(median "$W/scan-h.json")

hyperfine -N -i --runs "$ID_RUNS" --export-json "$W/id-h.json" \
  "nmap -sV -Pn -n -p $NMAP_OPEN 127.0.0.1" \
  "$JCSTAR probe 127.0.0.1 --tcp $NMAP_OPEN --udp none --no-tls-assessment --json" >/dev/null
read -r NMAP_ID OUR_ID < <(median "$W/id-h.json")

python3 - "$NMAP_SCAN" "$OUR_SCAN" "$NMAP_ID" "$OUR_ID" "$SAME" "$NMAP_OPEN" <<'PY'
import sys
ns, os_, ni, oi, same, ports = sys.argv[1:]
ns, os_, ni, oi = map(float, (ns, os_, ni, oi))
print(f"full TCP scan (65,535 ports): nmap -sT -p- {ns:.3f} s, jcstar {os_:.3f} s, ratio {os_/ns:.2f} (target <= 0.35); open sets identical: {same}")
print(f"identification of {len(ports.split(','))} open ports: nmap -sV {ni:.3f} s, jcstar {oi:.3f} s, ratio {oi/ni:.3f} (target <= 0.01)")
PY
nmap --version | head -1
[ "$SAME" = yes ] || { echo "FAIL: open-port sets differ" >&2; exit 1; }
