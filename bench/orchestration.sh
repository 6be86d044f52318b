#!/usr/bin/env bash
# The orchestration figures (issue 13):
#   - a 3-level dependency chain of 20 apps (db; 9 apps that need db ready;
#     10 that each need one of those ready), each ready READY_MS after it
#     starts (ready_log_line): the time from `tend start FILE` to all 20
#     online, against the chain's sum of readiness times (3 x READY_MS),
#     the least any manager that honours the order can take; median of
#     CHAINS runs;
#   - a job's drift: a job scheduled every second, JOBS runs; for each,
#     its start minus its time (from `tend show JOB --json`): median, the
#     largest, and how many were within 100 ms;
#   - the daemon back after kill -9: 20 apps, the daemon kept by a stand-in
#     for the unit of `tend startup` (Restart=always, RestartSec=100ms: a
#     shell loop that runs `tend daemon run` again 100 ms after it ends,
#     as systemd would; this machine's init is not systemd), KILLS times:
#     from the kill to every app running again (new pids), read through
#     the socket with curl (a tend command would start a daemon itself).
#
#   [CHAINS=5 READY_MS=200 JOBS=100 KILLS=10] bench/orchestration.sh [--smoke]
set -euo pipefail
cd "$(dirname "$0")/.."
CHAINS=${CHAINS:-5} READY_MS=${READY_MS:-200} JOBS=${JOBS:-100} KILLS=${KILLS:-10}
if [ "${1:-}" = --smoke ]; then CHAINS=1 JOBS=3 KILLS=1; fi

work=$(mktemp -d /tmp/tend-orch.XXXXXX)
export TEND_HOME=$work/home
cleanup() {
	[ -n "${keeper:-}" ] && kill "$keeper" 2>/dev/null || true
	tend daemon stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend
export PATH=$work/bin:$PATH

ready_s=$(awk -v ms="$READY_MS" 'BEGIN { printf "%.3f", ms / 1000 }')
app() { # app NAME [DEPENDENCY]: an app ready READY_MS after it starts
	echo "  - name: $1"
	echo "    script: sh"
	echo "    args: [\"-c\", \"sleep $ready_s; echo up; exec sleep 1000\"]"
	echo "    ready: log"
	echo "    ready_log_line: up"
	[ -n "${2:-}" ] && echo "    depends_on: {$2: ready}"
	return 0
}
{
	echo "apps:"
	app db
	for i in $(seq 1 9); do app "mid$i" db; done
	for i in $(seq 1 10); do app "top$i" "mid$(((i - 1) % 9 + 1))"; done
} >"$work/chain.yaml"

now_ms() { date +%s%3N; }
times=()
for _ in $(seq 1 "$CHAINS"); do
	tend delete all >/dev/null 2>&1 || true
	t0=$(now_ms)
	tend start "$work/chain.yaml" >/dev/null
	until [ "$(tend ls --json | grep -c '"status": "online"')" -eq 20 ]; do sleep 0.01; done
	times+=($(($(now_ms) - t0)))
done
tend delete all >/dev/null
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
chain=$(median "${times[@]}")
echo "dependency chain, 20 apps in 3 levels, each ready ${READY_MS} ms after its start:"
echo "  tend start to all online: median ${chain} ms of $CHAINS runs (${times[*]}); the chain's readiness sum $((3 * READY_MS)) ms; overhead $((chain - 3 * READY_MS)) ms"

cat >"$work/job.yaml" <<'YAML'
apps:
  - name: tick
    script: "true"
    schedule: "* * * * * *"
YAML
tend start "$work/job.yaml" >/dev/null
# The history keeps 20 runs: read it every 10 s and keep every run seen.
seen=$work/runs.txt
: >"$seen"
deadline=$(($(date +%s) + JOBS + 30))
while [ "$(sort -u "$seen" | wc -l)" -lt "$JOBS" ] && [ "$(date +%s)" -lt "$deadline" ]; do
	sleep "$((JOBS < 10 ? 1 : 10))"
	tend show tick --json | python3 -c '
import json, sys
from datetime import datetime
for r in json.load(sys.stdin).get("runs", []):
    if r.get("due") and r["result"] == "ok":
        due = datetime.fromisoformat(r["due"].replace("Z", "+00:00"))
        start = datetime.fromisoformat(r["start"].replace("Z", "+00:00"))
        print(r["due"], round((start - due).total_seconds() * 1000, 1))
' >>"$seen"
done
sort -u "$seen" | head -n "$JOBS" | awk '{ print $2 }' | sort -n >"$work/drift.txt"
n=$(wc -l <"$work/drift.txt")
awk -v n="$n" '{ a[NR] = $1; if ($1 <= 100) ok++ } END {
	printf "job drift, every second, %d runs: median %.1f ms, largest %.1f ms, %d of %d within 100 ms\n", n, a[int((n + 1) / 2)], a[n], ok, n
}' "$work/drift.txt"
[ "$n" -ge "$JOBS" ] || { echo "only $n of $JOBS runs seen" >&2; exit 1; }

# The daemon back after kill -9, under a stand-in for Restart=always.
tend delete all >/dev/null
tend daemon stop >/dev/null
(while :; do tend daemon run >/dev/null 2>&1 || true; sleep 0.1; done) 2>/dev/null &
keeper=$!
sock=$TEND_HOME/tend.sock
api() { curl -s --max-time 1 --unix-socket "$sock" "http://tend/v1/$1" 2>/dev/null || true; }
until [ -n "$(api version)" ]; do sleep 0.01; done
{
	echo "apps:"
	for i in $(seq 1 20); do
		echo "  - {name: s$i, script: sleep, args: [\"1000\"], min_uptime: 0}"
	done
} >"$work/twenty.yaml"
tend start "$work/twenty.yaml" >/dev/null
pidsnow() { api apps | python3 -c 'import json,sys; print(" ".join(str(i["pid"]) for i in json.load(sys.stdin) if i["pid"]))' 2>/dev/null || true; }
backs=()
for _ in $(seq 1 "$KILLS"); do
	until [ "$(pidsnow | wc -w)" -eq 20 ]; do sleep 0.01; done
	old=" $(pidsnow) "
	t0=$(now_ms)
	kill -9 "$(cat "$TEND_HOME/daemon.lock")"
	while :; do
		cur=$(pidsnow)
		n=0
		for p in $cur; do case "$old" in *" $p "*) ;; *) n=$((n + 1)) ;; esac; done
		[ "$n" -eq 20 ] && break
		sleep 0.01
	done
	backs+=($(($(now_ms) - t0)))
done
back=$(median "${backs[@]}")
largest=$(printf '%s\n' "${backs[@]}" | sort -n | tail -1)
echo "kill -9 of the daemon, 20 apps, Restart=always with RestartSec=100ms (a shell-loop stand-in): every app running again after median ${back} ms, largest ${largest} ms, of $KILLS kills (${backs[*]}); target 2000 ms"
kill "$keeper"
keeper=
tend daemon stop >/dev/null 2>&1 || true
[ "$largest" -le 2000 ] || { echo "over the 2 s target" >&2; exit 1; }
