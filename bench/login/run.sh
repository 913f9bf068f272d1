#!/bin/sh
# Password guessing against loopback daemons: THC-Hydra (default 16 tasks)
# versus jcstar's credential check, same 200-entry list with the right
# password last. Reports whether each tool found it and the attempt rates.
#
# Usage: bench/login/run.sh [path/to/jcstar]   (run as root: SSH needs a
# throwaway system user; only 127.0.0.1 is touched)
set -eu
JCSTAR=${1:-target/release/jcstar}
RUNS=${RUNS:-2}
# Concurrent guesses for jcstar, fixed (--login-tasks); unset, jcstar's
# adaptive default is used (SSH starts at 5, HTTP 4; hydra's is 16).
TASKS=${TASKS:-}
TASKS_ARG=""
[ -n "$TASKS" ] && TASKS_ARG="--login-tasks $TASKS"
W=$(mktemp -d)
PIDS=""
USERNAME="jcb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  userdel "$USERNAME" 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
now() { date +%s.%N; }

PASS="Bn-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
# 199 wrong passwords, then the right one.
i=1; : > "$W/pw.txt"
while [ $i -le 199 ]; do echo "wrong-$i-$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')" >> "$W/pw.txt"; i=$((i+1)); done
echo "$PASS" >> "$W/pw.txt"

# busybox httpd with Basic auth
mkdir "$W/www"; echo ok > "$W/www/index.html"
echo "/:admin:$PASS" > "$W/httpd.conf"
HP=$(free_port)
busybox httpd -f -p "127.0.0.1:$HP" -h "$W/www" -c "$W/httpd.conf" & PIDS="$PIDS $!"

# dropbear with a throwaway user
useradd -M -s /bin/sh -d /tmp "$USERNAME"
echo "$USERNAME:$PASS" | chpasswd
dropbearkey -t ed25519 -f "$W/hk" >/dev/null 2>&1
SP=$(free_port)
dropbear -F -E -r "$W/hk" -P "$W/db.pid" -p "127.0.0.1:$SP" 2>/dev/null & PIDS="$PIDS $!"
sleep 1

run_pair() { # service user port hydra-module
  svc=$1; user=$2; port=$3; module=$4
  sed "s/^/$user:/" "$W/pw.txt" > "$W/pairs.txt"
  r=1
  while [ $r -le "$RUNS" ]; do
    t0=$(now)
    if hydra -l "$user" -P "$W/pw.txt" -s "$port" -I -f 127.0.0.1 $module > "$W/hydra.out" 2>&1 \
       && grep -q "password: $PASS" "$W/hydra.out"; then hf=yes; else hf=no; fi
    t1=$(now)
    "$JCSTAR" --lang en assess 127.0.0.1 --no-scan --service "$svc:$port" \
      --credentials "$W/pairs.txt" --default-attempts 200 $TASKS_ARG --no-brute-force --yes \
      -o "$W/ev-$svc-$r" > "$W/jc.out" 2>&1 || true
    t2=$(now)
    if grep -q '"status": "fail"' "$W/ev-$svc-$r/login.json"; then jf=yes; else jf=no; fi
    ht=$(echo "$t1 - $t0" | bc -l); jt=$(echo "$t2 - $t1" | bc -l)
    printf '%-12s run %d  hydra: found=%s %6.2fs %7.1f/s   jcstar: found=%s %6.2fs %7.1f/s   rate ratio jcstar/hydra %.2f\n' \
      "$svc" "$r" "$hf" "$ht" "$(echo "200 / $ht" | bc -l)" "$jf" "$jt" "$(echo "200 / $jt" | bc -l)" "$(echo "$ht / $jt" | bc -l)"
    r=$((r+1))
  done
}

echo "hydra $(hydra -h 2>&1 | head -1 | cut -c1-40); 200 passwords, right one last; $RUNS runs; jcstar ${TASKS_ARG:-with its default tasks}"
run_pair http-basic admin "$HP" "http-get /"
run_pair ssh "$USERNAME" "$SP" "ssh"
