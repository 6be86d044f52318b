#!/usr/bin/env bash
# Cluster mode, side by side in one run: the Node server of
# examples/cluster (an ordinary http server calling listen(PORT)):
#   - requests/s (wrk, keep-alive) with 1 and 2 instances under tend
#     (shared socket, and listen_mode reuseport) and PM2 7 cluster mode;
#   - failed requests while reloading every 2s under load with a new
#     connection per request: tend reload vs pm2 reload;
#   - how evenly 300 new connections spread over 2 instances;
#   - the exec shim's cost: exec of a program through `tend
#     __tend_exec_shim` vs directly.
# PM2 is skipped when not installed. --smoke: 2s runs, tend only, fails
# if a tend reload fails a request.
#
#   bench/cluster.sh [--smoke] [SECONDS]     (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
dur=${1:-10}
[ $smoke = 1 ] && dur=${1:-4}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install -y wrk)" >&2; exit 1; }

work=$(mktemp -d /tmp/tend-cluster.XXXXXX)
cleanup() {
	[ -n "${TEND_HOME:-}" ] && tend daemon stop >/dev/null 2>&1 || true
	[ -n "${PM2_HOME:-}" ] && pm2 kill >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
go build -o "$work/bin/tend" ./cmd/tend
export PATH=$work/bin:$PATH
server=$PWD/examples/cluster/node-server.js
port=27990
url=http://127.0.0.1:$port/

rps() { wrk -t2 -c50 -d"${dur}s" "$url" | awk '/Requests\/sec/ {print $2}'; }
# failures: total failed requests in a wrk report on stdin.
failures() { awk '/Socket errors/ {gsub(",", ""); f += $4 + $6 + $8 + $10} /Non-2xx/ {f += $5} END {print f + 0}'; }
# under_reload CMD...: wrk with a new connection per request while CMD
# runs every 2s; prints "requests failed".
under_reload() {
	local hdr=(-H 'Connection: close')
	if [ "$1" = --keepalive ]; then hdr=(); shift; fi
	wrk -t2 -c50 -d"${dur}s" "${hdr[@]}" "$url" > "$work/wrk.out" &
	local w=$! n=$(( dur / 2 - 1 ))
	for _ in $(seq "$n"); do sleep 2; "$@" >/dev/null 2>&1 || echo "reload failed: $*" >&2; done
	wait $w
	echo "$(awk '/requests in/ {print $1}' "$work/wrk.out") $(failures < "$work/wrk.out")"
}
# spread: of 300 new connections, the requests each pid answered, most first.
spread() {
	for _ in $(seq 300); do curl -s -H 'Connection: close' "$url"; done | grep -o 'pid [0-9]*' | sort | uniq -c | sort -rn | awk '{printf "%s ", $1}'
}
wait_online() { for _ in $(seq 200); do curl -s "$url" >/dev/null 2>&1 && return; sleep 0.05; done; echo "server did not come up" >&2; exit 1; }

results=()
tend_run() { # MODE INSTANCES
	export TEND_HOME=$work/tend-$1-$2
	tend start "$server" --name nc -i "$2" --listen "tcp://127.0.0.1:$port" --listen-mode "$1" >/dev/null
	wait_online
	for _ in $(seq 100); do tend ls | grep -q "nc:$(( $2 - 1 )) *online" && break; sleep 0.05; done
	local r; r=$(rps)
	local line="tend $1 ×$2: $r req/s"
	if [ "$2" = 2 ]; then
		line+="; spread over 300 connections: $(spread)"
		read -r total failed < <(under_reload tend reload nc)
		line+="; reload every 2s: $failed of $total failed"
		if [ $smoke = 1 ] && [ "$failed" != 0 ]; then echo "FAIL: $line" >&2; exit 1; fi
		read -r total failed < <(under_reload --keepalive tend reload nc)
		line+=" (keep-alive: $failed of $total failed; $(grep 'Socket errors' "$work/wrk.out" || echo 'no socket errors'))"
	fi
	results+=("$line")
	tend daemon stop >/dev/null
	unset TEND_HOME
}
for n in 1 2; do tend_run shared $n; done
[ $smoke = 0 ] && tend_run reuseport 2

if [ $smoke = 0 ] && command -v pm2 >/dev/null; then
	export PM2_HOME=$work/pm2
	for n in 1 2; do
		PORT=$port pm2 start "$server" --name nc -i $n >/dev/null
		wait_online; sleep 1
		line="pm2 cluster ×$n: $(rps) req/s"
		if [ $n = 2 ]; then
			line+="; spread over 300 connections: $(spread)"
			read -r total failed < <(under_reload pm2 reload nc)
			line+="; reload every 2s: $failed of $total failed"
			read -r total failed < <(under_reload --keepalive pm2 reload nc)
			line+=" (keep-alive: $failed of $total failed; $(grep 'Socket errors' "$work/wrk.out" || echo 'no socket errors'))"
		fi
		results+=("$line")
		pm2 delete nc >/dev/null
	done
	pm2 kill >/dev/null 2>&1; unset PM2_HOME
fi

# The exec shim: 200 execs of /bin/true through it and directly.
t0=$(date +%s.%N); for _ in $(seq 200); do /bin/true; done; t1=$(date +%s.%N)
for _ in $(seq 200); do tend __tend_exec_shim /bin/true true; done; t2=$(date +%s.%N)
results+=("$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "exec shim: %.2f ms per start through it, %.2f ms direct (200 each)", (c - b) * 5, (b - a) * 5}')")

echo "Node cluster: wrk -t2 -c50 ${dur}s; $(nproc) CPUs; $(date -u +%FT%TZ)"
printf '%s\n' "${results[@]}"
