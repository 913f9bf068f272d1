#!/usr/bin/env bash
# TLS assessment of one port: jcstar (crates/probe, example `tls_assess`)
# against sslscan, on the same loopback servers, in the same run.
#
# Servers (all on 127.0.0.1, ports picked here, stopped on exit):
#   modern   lighttpd, TLS 1.2 + 1.3, ECDSA P-256 certificate
#   open     openssl s_server, TLS 1.0-1.3, every suite at @SECLEVEL=0 (91 suites)
#   legacy   openssl s_server, TLS 1.0 only, NULL/anonymous suites, RSA-1024/SHA-1
#   tls13    openssl s_server, TLS 1.3 only (certificate needs a real handshake)
#
# For each: hyperfine mean times, the ratio jcstar/sslscan (target <= 0.1),
# and whether the verdicts match (accepted versions, accepted suite code
# points per version, certificate expired/self-signed).
#
# Needs: openssl, sslscan, lighttpd + lighttpd-mod-openssl, hyperfine.
# Usage: bench/tls/run.sh [RUNS]   (default 10)
set -euo pipefail

RUNS=${1:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

for t in openssl sslscan lighttpd hyperfine; do
  command -v "$t" >/dev/null || { echo "missing $t: install the Debian package" >&2; exit 1; }
done

(cd "$ROOT" && cargo build --quiet --release -p jcstar-probe --example tls_assess)
JC="$TARGET/release/examples/tls_assess"

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  # A port in a high range that nothing answers on.
  local p
  while :; do
    p=$(( 20000 + RANDOM % 20000 ))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "server on port $1 did not start" >&2
  exit 1
}

cd "$WORK"
openssl req -x509 -nodes -days 30 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
  -keyout ec.key -out ec.crt -subj /CN=router.example 2>/dev/null
openssl req -x509 -nodes -days 30 -newkey rsa:2048 \
  -keyout rsa.key -out rsa.crt -subj /CN=cam.example 2>/dev/null
openssl req -x509 -nodes -days 30 -newkey rsa:1024 -sha1 \
  -keyout old.key -out old.crt -subj /CN=old.device 2>/dev/null

start_s_server() {
  local port=$1; shift
  openssl s_server -accept "127.0.0.1:$port" -www -quiet -naccept 1000000 "$@" \
    </dev/null >/dev/null 2>&1 &
  PIDS+=($!)
  wait_port "$port"
}

P_MODERN=$(free_port)
mkdir -p www && echo ok > www/index.html
cat > lighttpd.conf <<EOF
server.modules = ("mod_openssl")
server.document-root = "$WORK/www"
server.bind = "127.0.0.1"
server.port = $P_MODERN
server.errorlog = "$WORK/lighttpd.log"
ssl.engine = "enable"
ssl.pemfile = "$WORK/ec.crt"
ssl.privkey = "$WORK/ec.key"
ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.2")
EOF
lighttpd -D -f lighttpd.conf </dev/null >/dev/null 2>&1 &
PIDS+=($!)
wait_port "$P_MODERN"

P_OPEN=$(free_port);   start_s_server "$P_OPEN" -cert rsa.crt -key rsa.key -cipher 'ALL:@SECLEVEL=0'
P_LEGACY=$(free_port); start_s_server "$P_LEGACY" -cert old.crt -key old.key -tls1 -cipher 'ALL:eNULL:@SECLEVEL=0'
P_TLS13=$(free_port);  start_s_server "$P_TLS13" -cert rsa.crt -key rsa.key -tls1_3

sslscan_summary() {
  sslscan --no-colour --xml=- "$1" | sed -n \
    -e 's/.*<protocol type="ssl" version="\([0-9.]*\)" enabled="1".*/protocol SSLv\1/p' \
    -e 's/.*<protocol type="tls" version="\([0-9.]*\)" enabled="1".*/protocol TLSv\1/p' \
    -e 's/.*<cipher status="[a-z]*" sslversion="\([^"]*\)".* id="\(0x[0-9A-Fa-f]*\)".*/cipher \1 \2/p' \
    -e 's/.*<expired>\(.*\)<\/expired>.*/expired=\1/p' \
    -e 's/.*<self-signed>\(.*\)<\/self-signed>.*/self_signed=\1/p' |
  awk '/^expired=/ {e=$0; next} /^self_signed=/ {s=$0; next} {print} END {if (e != "") print "cert " e " " s}' |
  sort
}

printf '\n%-8s %12s %12s %8s  %s\n' server "jcstar ms" "sslscan ms" ratio verdicts
ALL_OK=1
for name in modern open legacy tls13; do
  case $name in
    modern) port=$P_MODERN ;; open) port=$P_OPEN ;;
    legacy) port=$P_LEGACY ;; tls13) port=$P_TLS13 ;;
  esac
  target="127.0.0.1:$port"
  "$JC" --summary "$target" > "jc-$name.txt"
  sslscan_summary "$target" > "ss-$name.txt"
  if diff -q "jc-$name.txt" "ss-$name.txt" >/dev/null; then
    verdict="match ($(grep -c '^cipher' "jc-$name.txt") suites)"
  else
    verdict="DIFFER: $(diff "jc-$name.txt" "ss-$name.txt" | grep -c '^[<>]') lines"
    diff "jc-$name.txt" "ss-$name.txt" | sed 's/^/    /' >&2 || true
    ALL_OK=0
  fi
  hyperfine --style none --warmup 1 --runs "$RUNS" --export-json "h-$name.json" \
    -n jcstar "$JC $target" -n sslscan "sslscan --no-colour $target" >/dev/null
  means=$(grep '"mean"' "h-$name.json" | sed 's/.*: *\([0-9.eE+-]*\).*/\1/')
  jm=$(echo "$means" | sed -n 1p); sm=$(echo "$means" | sed -n 2p)
  awk -v n="$name" -v j="$jm" -v s="$sm" -v v="$verdict" \
    'BEGIN { printf "%-8s %12.1f %12.1f %8.3f  %s\n", n, j*1000, s*1000, j/s, v }'
done
echo
echo "jcstar: tls_assess (release build), sslscan $(sslscan --version | grep -o '[0-9]*\.[0-9]*\.[0-9]*' | head -1), runs=$RUNS"
[ "$ALL_OK" = 1 ] || { echo "verdicts differ (< jcstar, > sslscan), see above" >&2; exit 1; }
