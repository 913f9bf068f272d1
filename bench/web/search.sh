#!/usr/bin/env bash
# Search benchmark (not a test): every search class the procurement issue
# names, on SQLite or PostgreSQL, against nginx serving one search answer's
# bytes in the same run.
#
# Fills a fresh registry with N generated labels (default 100,000), serves it
# with `jcstar serve` (release build, anonymous limits off: wrk is one
# address), and runs wrk per class. Each request of a class draws its query
# at random from many (a Lua script), so the server's result cache answers
# only what real traffic would repeat:
#   text3   q=<company> <number>         50,000 different texts, 3+ characters
#   short   company=<2 letters>&level=1  676 different two-letter texts
#   common  q=<product word>&status=...  48 different (8 words x 6 statuses)
#   model   model=M<7 digits>&model_match=exact   N different model numbers
#   company company=<name>&level=<1|2>   20 different (10 names x 2 levels)
# Everything listens on 127.0.0.1 only; nginx runs from a temporary config.
#
# Usage: bench/web/search.sh   (env: BACKEND=sqlite|postgres, N, DUR, CONN,
#        CLASSES (default: all five; empty: the bulk verification only),
#        THREADS, PORT_APP, PORT_NGINX; PostgreSQL: PGURL, default
#        postgres://$USER@127.0.0.1:5432, a database jcstar_bench is created
#        and dropped)
# Needs: wrk, nginx (Debian nginx-light), curl, python3; psql for PostgreSQL.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BACKEND=${BACKEND:-sqlite}
N=${N:-100000}
DUR=${DUR:-10s}
CONN=${CONN:-64}
THREADS=${THREADS:-2}
PORT_APP=${PORT_APP:-18491}
PORT_NGINX=${PORT_NGINX:-18492}
PGURL=${PGURL:-postgres://$(id -un)@127.0.0.1:5432}

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
cleanup() {
    [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
    wait 2>/dev/null || true
    if [ "$BACKEND" = postgres ]; then
        dropdb --if-exists -d "$PGURL/postgres" jcstar_bench 2>/dev/null \
            || psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS jcstar_bench" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

case "$BACKEND" in
sqlite) DB="sqlite://$WORK/registry.sqlite" ;;
postgres)
    export PGOPTIONS="--client-min-messages=warning"
    psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS jcstar_bench" >/dev/null
    psql "$PGURL/postgres" -qc "CREATE DATABASE jcstar_bench" >/dev/null
    DB="$PGURL/jcstar_bench"
    ;;
*) echo "bench: BACKEND is sqlite or postgres" >&2; exit 2 ;;
esac

echo "bench: seeding $N labels on $BACKEND (one-off; not measured)..." >&2
t0=$(date +%s)
"$BIN" serve --listen "127.0.0.1:$PORT_APP" --database "$DB" \
    --rate-cheap 0 --rate-expensive 0 --expensive-lanes 0 --max-connections-per-address 4096 \
    --seed-bulk "$N" --json >"$WORK/serve.out" 2>"$WORK/serve.err" &
APP_PID=$!
until grep -q listen "$WORK/serve.out" 2>/dev/null; do
    kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/serve.err" >&2; exit 1; }
    sleep 1
done
echo "bench: seeded in $(( $(date +%s) - t0 )) s" >&2
APP="http://127.0.0.1:$PORT_APP"
# The first search waits for the index the server builds as it starts.
t0=$(date +%s.%N)
curl -sf "$APP/api/v1/labels?q=warm-up" >/dev/null
echo "bench: index ready $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after start" >&2

# nginx serves one 20-hit search answer (JSON) as a file.
mkdir -p "$WORK/www/api"
chmod 755 "$WORK"
curl -sf "$APP/api/v1/labels?q=camera&status=active&per_page=20" -o "$WORK/www/api/search.json"
cat >"$WORK/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    sendfile on;
    server {
        listen 127.0.0.1:$PORT_NGINX;
        root $WORK/www;
        location /api/ { default_type application/json; }
    }
}
CONF
chmod -R a+rX "$WORK/www"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" &
NGINX_PID=$!
sleep 2
NG="http://127.0.0.1:$PORT_NGINX"
curl -sf "$NG/api/search.json" >/dev/null || { echo "bench: nginx not serving" >&2; exit 1; }

# One Lua script per class: each request picks its query at random.
cat >"$WORK/classes.lua" <<'LUA'
-- The generated labels: company "<name> <k> K.K." for k = i % 5000, name
-- number i % 10; products "<name> <word> <i % 997>"; models M<i, 7 digits>.
local names = { "aoba devices", "benten electric", "chidori systems", "daikoku labs", "ebisu home",
    "fukurou tech", "ginga networks", "hotaru sensors", "inari robotics", "jizo security" }
local words = { "router", "camera", "plug", "gateway", "thermostat", "lock", "speaker", "hub" }
local statuses = { "", "active", "expired", "withdrawn", "revoked", "under_surveillance" }
local class = os.getenv("CLASS")
local n = tonumber(os.getenv("LABELS"))
-- Every one- and two-character piece of the company names.
local pieces = {}
for _, name in ipairs(names) do
    for i = 1, #name - 1 do
        local two = name:sub(i, i + 1)
        if not two:find(" ") then table.insert(pieces, two) end
    end
end
for c in ("abcdefghijklmnopqrstuvwxyz"):gmatch(".") do table.insert(pieces, c) end
math.randomseed(os.time() + math.floor(os.clock() * 1e6))
local function pick(t) return t[math.random(1, #t)] end
local function enc(s) return (s:gsub(" ", "%%20")) end
request = function()
    local q
    if class == "text3" then
        local k = math.random(0, 4999)
        q = "q=" .. enc(names[k % 10 + 1] .. " " .. k)
    elseif class == "short" then
        q = "company=" .. pick(pieces) .. "&level=1"
    elseif class == "common" then
        q = "q=" .. pick(words) .. "&status=" .. pick(statuses)
    elseif class == "model" then
        q = string.format("model=M%07d&model_match=exact", math.random(0, n - 1))
    else
        q = "company=" .. enc(pick(names)) .. "&level=" .. math.random(1, 2)
    end
    return wrk.format(nil, "/api/v1/labels?per_page=20&" .. q)
end
LUA

# req/s, p50, p99, non-2xx answers, mean bytes per answer (headers included).
lat() {
    wrk -t"$THREADS" -c"$CONN" -d"$DUR" --latency "$@" | awk '
        function bytes(v) { u = v; gsub(/[0-9.]/, "", u); x = v + 0;
            return x * (u == "KB" ? 1024 : u == "MB" ? 1048576 : u == "GB" ? 1073741824 : 1) }
        /Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx/ {bad=$5}
        /Transfer\/sec/ {t=bytes($2)}
        END {printf "%s %s %s %d %.0f\n", r, p50, p99, bad, t / r}'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

echo "bench: wrk -t$THREADS -c$CONN -d$DUR, $N labels, $BACKEND" >&2
read -r ngx_rps ngx_p50 ngx_p99 _ ngx_bytes < <(lat "$NG/api/search.json")
echo "| search class ($N labels, $BACKEND, wrk -t$THREADS -c$CONN -d$DUR) | req/s | p50 | p99 | non-2xx | bytes/answer | ratio to nginx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
for class in ${CLASSES-text3 short common model company}; do
    read -r rps p50 p99 bad bytes < <(CLASS=$class LABELS=$N lat -s "$WORK/classes.lua" "$APP")
    echo "| $class | $rps | $p50 | $p99 | $bad | $bytes | $(ratio "$rps" "$ngx_rps") |"
done
echo "| nginx, one 20-hit answer as a file | $ngx_rps | $ngx_p50 | $ngx_p99 | 0 | $ngx_bytes | 1 |"

# Bulk verification: 1,000 rows (600 model numbers as buyers type them, in
# full width, without hyphens or as printed; 200 registration numbers; 200
# models nobody labeled), answered as one POST, five times.
nums=$(curl -sf "$APP/api/v1/labels?per_page=200&page=7" | grep -o '"number":"[^"]*"' | cut -d'"' -f4)
python3 - "$N" $nums >"$WORK/verify.json" <<'PY'
import json, sys
n = int(sys.argv[1])
full = str.maketrans("M0123456789", "Ｍ０１２３４５６７８９")
rows = []
for i in range(1, 601):
    m = (i * 7919) % n
    rows.append([f"M{m:07d}-B", f"m{m:07d}b", f"M{m:07d}".translate(full)][i % 3])
rows += sys.argv[2:]
rows += [f"UNLABELED-{i:04d}" for i in range(1, 201)]
print(json.dumps({"rows": rows}, ensure_ascii=False))
PY
rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["rows"]))' "$WORK/verify.json")
vt=()
for _ in 1 2 3 4 5; do
    vt+=("$(curl -sf -o "$WORK/verify.out" -w '%{time_total}' -H 'content-type: application/json' \
        --data-binary @"$WORK/verify.json" "$APP/api/v1/verify")")
done
labeled=$(grep -o '"labeled": *true' "$WORK/verify.out" | wc -l || true)
echo "Bulk verification, $rows rows in one POST /api/v1/verify: ${vt[*]} s (five runs); $labeled rows labeled."
echo
echo "Server resident memory at the end: $(awk '/VmRSS/ {print $2, $3}' /proc/$APP_PID/status). Load average: $(cut -d' ' -f1-3 /proc/loadavg)"
