#!/usr/bin/env bash
# Registry web benchmark (not a test).
#
# Fills a fresh SQLite registry with N generated labels (default 100,000),
# serves it with `jcstar serve` (release build), and measures with wrk:
#   - the product information page (HTML) and its JSON, against nginx serving
#     the very same bytes as static files, in the same run, and against a
#     second server process over the same database with the front door off
#     (`--no-front-door`: every request through the whole middleware stack);
#   - search latency (p50/p99) on the JSON API and the HTML search page;
#   - product-page latency while 16 connections search beside it, on a second
#     server process over the same database with the default anonymous rate
#     limits (clients are told apart by a header, see below).
# The capacity figures are taken with the anonymous limits off (wrk is one
# client address). Everything listens on 127.0.0.1 only; nginx runs from a
# temporary config.
#
# Usage: bench/web/run.sh  (env: N, DUR, CONN, THREADS, PORT_APP, PORT_NGINX, PORT_LIMITED)
# Needs: wrk, nginx (Debian nginx-light), curl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${N:-100000}
DUR=${DUR:-10s}
CONN=${CONN:-64}
THREADS=${THREADS:-2}
PORT_APP=${PORT_APP:-18481}
PORT_NGINX=${PORT_NGINX:-18482}
PORT_LIMITED=${PORT_LIMITED:-18483}
PORT_STACK=${PORT_STACK:-18484}

for tool in wrk nginx curl; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || {
        echo "bench: $tool not found (Debian packages: wrk, nginx-light, curl)" >&2
        exit 2
    }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

cd "$ROOT"
cargo build --release -q -p jcstar-cli
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/jcstar"

WORK=$(mktemp -d)
APP_PID=""
NGINX_PID=""
LIM_PID=""
STACK_PID=""
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    [ -n "$LIM_PID" ] && kill "$LIM_PID" 2>/dev/null || true
    [ -n "$STACK_PID" ] && kill "$STACK_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "bench: seeding $N labels (one-off; not measured)..." >&2
t0=$(date +%s)
"$BIN" serve --listen "127.0.0.1:$PORT_APP" --database "sqlite://$WORK/registry.sqlite" \
    --rate-cheap 0 --rate-expensive 0 --expensive-lanes 0 --max-connections-per-address 4096 \
    --seed-bulk "$N" --json >"$WORK/serve.out" 2>"$WORK/serve.err" &
APP_PID=$!
until grep -q listen "$WORK/serve.out" 2>/dev/null; do
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    sleep 1
done
echo "bench: seeded in $(( $(date +%s) - t0 )) s" >&2
APP="http://127.0.0.1:$PORT_APP"

# A label from the middle of the registry.
NUM=$(curl -sf "$APP/api/v1/labels?per_page=1&page=$((N / 2))" | grep -o '"number":"[^"]*"' | head -1 | cut -d'"' -f4)
[ -n "$NUM" ] || { echo "bench: no label found" >&2; exit 1; }

mkdir -p "$WORK/www/labels" "$WORK/www/api"
# nginx workers drop to an unprivileged user: let them read the files.
chmod 755 "$WORK"
curl -sf "$APP/labels/$NUM" -o "$WORK/www/labels/$NUM.html"
curl -sf "$APP/api/v1/labels/$NUM" -o "$WORK/www/api/$NUM.json"
cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    # nginx at its best for small files here: file handles cached, and a
    # plain copy instead of sendfile (measured on the 2-core machine:
    # 56k req/s with sendfile and no cache, 69k with the cache, 90k with
    # both settings).
    sendfile off;
    open_file_cache max=1000 inactive=60s;
    open_file_cache_valid 60s;
    # Compressed answers from a file compressed beforehand (gzip -6), as
    # jcstar keeps a compressed copy of each cached page.
    gzip_static on;
    server {
        listen 127.0.0.1:$PORT_NGINX;
        root $WORK/www;
        location /labels/ { default_type "text/html; charset=utf-8"; }
        location /api/ { default_type application/json; }
    }
}
CONF
gzip -6 -k "$WORK/www/labels/$NUM.html"
chmod -R a+rX "$WORK/www"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
sleep 2
NG="http://127.0.0.1:$PORT_NGINX"
cmp -s <(curl -sf "$NG/labels/$NUM.html") "$WORK/www/labels/$NUM.html" || { echo "bench: nginx not serving" >&2; exit 1; }

rps() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" "$1" | awk '/Requests\/sec/ {print $2}'; }
# As browsers ask: compressed.
GZ_HEADER="Accept-Encoding: gzip, deflate, br, zstd"
rpsgz() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" -H "$GZ_HEADER" "$1" | awk '/Requests\/sec/ {print $2}'; }
# CPU time (user + system, all threads) the given processes spent, in clock
# ticks: with wrk and the server sharing the cores, CPU per request says what
# a request costs the server whatever else the machine is doing.
ticks() { local s=0 f; for p in "$@"; do for f in /proc/"$p"/task/*/stat; do s=$((s + $(sed 's/.*) //' "$f" 2>/dev/null | awk '{print $12 + $13}' || echo 0))); done; done; echo "$s"; }
# Microseconds of server CPU per request: cpu_per_req URL PID...
cpu_per_req() {
    local url=$1; shift
    local c0 c1 n
    c0=$(ticks "$@")
    n=$(wrk -t"$THREADS" -c"$CONN" -d"$DUR" "$url" | awk '/requests in/ {print $1}')
    c1=$(ticks "$@")
    awk -v c=$((c1 - c0)) -v n="$n" -v t="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", c / t / n * 1e6 }'
}
lat() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency "$1" | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print r, p50, p99}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

"$BIN" serve --listen "127.0.0.1:$PORT_STACK" --database "sqlite://$WORK/registry.sqlite" \
    --rate-cheap 0 --rate-expensive 0 --expensive-lanes 0 --max-connections-per-address 4096 \
    --no-front-door --json >"$WORK/stack.out" 2>"$WORK/stack.err" &
STACK_PID=$!
until grep -q listen "$WORK/stack.out" 2>/dev/null; do
    kill -0 "$STACK_PID" 2>/dev/null || { cat "$WORK/stack.err" >&2; exit 1; }
    sleep 1
done
STACK="http://127.0.0.1:$PORT_STACK"
cmp -s <(curl -sf "$STACK/labels/$NUM") "$WORK/www/labels/$NUM.html" || { echo "bench: the two servers differ" >&2; exit 1; }

echo "bench: wrk -t$THREADS -c$CONN -d$DUR, label $NUM, $N labels" >&2
html_app=$(rps "$APP/labels/$NUM")
html_ngx=$(rps "$NG/labels/$NUM.html")
json_app=$(rps "$APP/api/v1/labels/$NUM")
json_ngx=$(rps "$NG/api/$NUM.json")
[ "$(curl -s -o /dev/null -w '%{size_download}' -H "$GZ_HEADER" "$NG/labels/$NUM.html")" -lt "$(stat -c %s "$WORK/www/labels/$NUM.html")" ] || { echo "bench: nginx does not send the compressed file" >&2; exit 1; }
gz_app=$(rpsgz "$APP/labels/$NUM")
gz_ngx=$(rpsgz "$NG/labels/$NUM.html")
gz_stk=$(rpsgz "$STACK/labels/$NUM")
html_stk=$(rps "$STACK/labels/$NUM")
json_stk=$(rps "$STACK/api/v1/labels/$NUM")
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
# shellcheck disable=SC2086
cpu_app=$(cpu_per_req "$APP/labels/$NUM" "$APP_PID")
# shellcheck disable=SC2086
cpu_ngx=$(cpu_per_req "$NG/labels/$NUM.html" $NGINX_WORKERS)
cpu_stk=$(cpu_per_req "$STACK/labels/$NUM" "$STACK_PID")
kill "$STACK_PID" 2>/dev/null || true
STACK_PID=""
read -r s_rps s_p50 s_p99 < <(lat "$APP/api/v1/labels?q=camera&status=active&per_page=20")
read -r sm_rps sm_p50 sm_p99 < <(lat "$APP/api/v1/labels?model=M00$((N / 3))")
read -r sh_rps sh_p50 sh_p99 < <(lat "$APP/search?company=Daikoku&level=1")
# The worst case of a filtered text search: the generated labels are all ★1,
# so every one of the 10% "Daikoku" matches is read and none is kept.
read -r sw_rps sw_p50 sw_p99 < <(lat "$APP/search?company=Daikoku&level=2")

# The same database behind the default limits. wrk is a single address, so
# the server takes the client address from X-Bench-Client: product-page
# requests come from random addresses (many visitors), the search load from
# 16 addresses.
"$BIN" serve --listen "127.0.0.1:$PORT_LIMITED" --database "sqlite://$WORK/registry.sqlite" \
    --client-ip-header x-bench-client --max-connections-per-address 4096 \
    --json >"$WORK/limited.out" 2>"$WORK/limited.err" &
LIM_PID=$!
until grep -q listen "$WORK/limited.out" 2>/dev/null; do
    kill -0 "$LIM_PID" 2>/dev/null || { cat "$WORK/limited.err" >&2; exit 1; }
    sleep 1
done
LIM="http://127.0.0.1:$PORT_LIMITED"
cat >"$WORK/visitors.lua" <<'LUA'
request = function()
    local ip = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format(nil, nil, { ["X-Bench-Client"] = ip })
end
LUA
cat >"$WORK/searchers.lua" <<'LUA'
request = function()
    return wrk.format(nil, nil, { ["X-Bench-Client"] = "10.99.0." .. math.random(1, 16) })
end
LUA
plat() { wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency -s "$WORK/visitors.lua" "$1" | awk '/Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} END {print r, p50, p99}'; }
read -r q_rps q_p50 q_p99 < <(plat "$LIM/labels/$NUM")
SECS=${DUR%s}
wrk -t1 -c16 -d"$((SECS + 4))s" -s "$WORK/searchers.lua" "$LIM/api/v1/labels?q=camera&status=active&per_page=20" >"$WORK/searchers.out" &
SEARCH_PID=$!
sleep 2
read -r l_rps l_p50 l_p99 < <(plat "$LIM/labels/$NUM")
wait "$SEARCH_PID"
ld_rps=$(awk '/Requests\/sec/ {print $2}' "$WORK/searchers.out")
ld_refused=$(awk '/Non-2xx/ {print $5}' "$WORK/searchers.out")
ld_total=$(awk '/requests in/ {print $1}' "$WORK/searchers.out")

cat <<OUT
| measurement (${N} labels, wrk -t$THREADS -c$CONN -d$DUR) | jcstar serve | nginx static | ratio |
| --- | ---: | ---: | ---: |
| product page HTML, req/s | $html_app | $html_ngx | $(ratio "$html_app" "$html_ngx") |
| product page JSON, req/s | $json_app | $json_ngx | $(ratio "$json_app" "$json_ngx") |
| product page HTML, server CPU per request (µs) | $cpu_app | $cpu_ngx | $(ratio "$cpu_ngx" "$cpu_app") |
| product page HTML gzip (as browsers ask), req/s | $gz_app | $gz_ngx | $(ratio "$gz_app" "$gz_ngx") |

| front door off (\`--no-front-door\`, same database) | jcstar serve | nginx static | ratio |
| --- | ---: | ---: | ---: |
| product page HTML, req/s | $html_stk | $html_ngx | $(ratio "$html_stk" "$html_ngx") |
| product page JSON, req/s | $json_stk | $json_ngx | $(ratio "$json_stk" "$json_ngx") |
| product page HTML, server CPU per request (µs) | $cpu_stk | $cpu_ngx | $(ratio "$cpu_ngx" "$cpu_stk") |
| product page HTML gzip (as browsers ask), req/s | $gz_stk | $gz_ngx | $(ratio "$gz_stk" "$gz_ngx") |

| search (jcstar serve) | req/s | p50 | p99 |
| --- | ---: | ---: | ---: |
| JSON \`q=camera&status=active\` | $s_rps | $s_p50 | $s_p99 |
| JSON \`model=M00$((N / 3))\` | $sm_rps | $sm_p50 | $sm_p99 |
| HTML \`/search?company=Daikoku&level=1\` | $sh_rps | $sh_p50 | $sh_p99 |
| HTML \`/search?company=Daikoku&level=2\` (no match: worst case) | $sw_rps | $sw_p50 | $sw_p99 |

| product page HTML, default rate limits (wrk -c$CONN, random client addresses) | req/s | p50 | p99 |
| --- | ---: | ---: | ---: |
| alone | $q_rps | $q_p50 | $q_p99 |
| beside 16 connections searching from 16 addresses | $l_rps | $l_p50 | $l_p99 |

Search load beside it: $ld_total requests at $ld_rps req/s, ${ld_refused:-0} refused (429/503).
Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)
OUT
