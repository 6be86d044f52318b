#!/usr/bin/env bash
# Cluster mode, side by side in one run, wrk on loopback:
#   - requests/s (keep-alive) of the Node example server
#     (examples/cluster/node-server.js, an ordinary server calling
#     listen(PORT)) with 1 and 2 instances under tend (shared socket, and
#     listen_mode reuseport) and PM2 7 cluster mode;
#   - how evenly 300 new connections spread over 2 instances;
#   - failed requests while reloading every 2s under load, with a new
#     connection per request and with keep-alive connections: tend reload
#     vs pm2 reload of the Node server; tend reload of the Go and Python
#     examples and of Debian's gunicorn;
#   - the keep-alive control: a Node server that calls server.close()
#     itself, reloaded by tend; and the same server with no reload at all,
#     closing its idle connections every 2s;
#   - the exec shim's cost: exec of a program through `tend
#     __tend_exec_shim` vs directly.
# PM2 and gunicorn are skipped when not installed. --smoke: short runs,
# tend and the Node server only, fails if a tend reload fails a request.
#
#   bench/cluster.sh [--smoke] [SECONDS]     (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
dur=${1:-30}
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
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend # static, as shipped
export PATH=$work/bin:$PATH
examples=$PWD/examples/cluster
node=$examples/node-server.js
port=27990
url=http://127.0.0.1:$port/

rps() { wrk -t2 -c50 -d"${dur}s" "$url" | awk '/Requests\/sec/ {print $2}'; }
# failed: "F of N failed" from a wrk report on stdin, with F's kinds.
failed() {
	awk '/requests in/ {n = $1}
		/Socket errors/ {gsub(",", ""); k = ""; for (i = 3; i < NF; i += 2) if ($(i+1) > 0) { k = k sep $i " " $(i+1); sep = ", " }; f += $4 + $6 + $8 + $10}
		/Non-2xx/ {f += $5; k = k sep "non-2xx " $5}
		END {printf "%d of %d failed%s", f, n, (k == "" ? "" : " (" k ")")}'
}
# under_reload [--keepalive] CMD...: wrk for the run's duration, with a
# new connection per request unless --keepalive, while CMD runs every 2s
# (`true` for none); prints failed's line.
under_reload() {
	local hdr=(-H 'Connection: close')
	if [ "$1" = --keepalive ]; then hdr=(); shift; fi
	wrk -t2 -c50 -d"${dur}s" "${hdr[@]}" "$url" > "$work/wrk.out" &
	local w=$! n=$(( dur / 2 - 1 ))
	for _ in $(seq "$n"); do sleep 2; "$@" >/dev/null 2>&1 || echo "reload failed: $*" >&2; done
	wait $w
	failed < "$work/wrk.out"
}
# both RELOAD...: the two under_reload runs, as one line.
both() {
	local close keep
	close=$(under_reload "$@")
	if [ $smoke = 1 ] && [[ $close != "0 of"* ]]; then echo "FAIL: reload every 2s: $close" >&2; exit 1; fi
	keep=$(under_reload --keepalive "$@")
	echo "new connection per request: $close; keep-alive: $keep"
}
# spread: of 300 new connections, the requests each pid answered, most first.
spread() {
	for _ in $(seq 300); do curl -s -H 'Connection: close' "$url"; done | grep -o 'pid [0-9]*' | sort | uniq -c | sort -rn | awk '{printf "%s ", $1}'
}
wait_online() { # APP INSTANCES
	for _ in $(seq 300); do tend ls | grep -q "$1:$(( $2 - 1 )) *online" && curl -s "$url" >/dev/null 2>&1 && return; sleep 0.05; done
	echo "$1 did not come up" >&2; tend ls >&2; exit 1
}

results=()
# tend_up NAME INSTANCES START-ARGS...: a fresh daemon running one app.
tend_up() {
	local name=$1 n=$2; shift 2
	export TEND_HOME=$work/tend-$name-$n
	tend start --name "$name" -i "$n" --listen "tcp://127.0.0.1:$port" "$@" >/dev/null
	wait_online "$name" "$n"
}
tend_down() { tend daemon stop >/dev/null; rm -rf "$TEND_HOME"; unset TEND_HOME; }

for mode in shared reuseport; do
	for n in 1 2; do
		[ $smoke = 1 ] && [ $mode = reuseport ] && continue
		tend_up nc $n "$node" --listen-mode $mode
		line="node, tend $mode ×$n: $(rps) req/s"
		if [ $n = 2 ]; then
			line+="; spread over 300 connections: $(spread)"
			line+="; reload every 2s, $(both tend reload nc)"
		fi
		results+=("$line")
		tend_down
	done
done

if [ $smoke = 0 ] && command -v pm2 >/dev/null; then
	export PM2_HOME=$work/pm2
	for n in 1 2; do
		PORT=$port pm2 start "$node" --name nc -i $n >/dev/null
		for _ in $(seq 100); do curl -s "$url" >/dev/null 2>&1 && break; sleep 0.05; done
		sleep 1
		line="node, pm2 $(pm2 --version | tail -1) cluster ×$n: $(rps) req/s"
		if [ $n = 2 ]; then
			line+="; spread over 300 connections: $(spread)"
			line+="; reload every 2s, $(both pm2 reload nc)"
		fi
		results+=("$line")
		pm2 delete nc >/dev/null
	done
	pm2 kill >/dev/null 2>&1; unset PM2_HOME
fi

if [ $smoke = 0 ]; then
	# The keep-alive control: failures that come from the app closing
	# idle keep-alive connections, with tend reloading it, and with
	# nothing reloading it at all.
	own=$PWD/bench/servers/node-own-close.js
	tend_up own 2 "$own"
	results+=("node closing its server itself on SIGTERM, tend ×2, reload every 2s, keep-alive: $(under_reload --keepalive tend reload own)")
	tend_down
	tend_up own 2 "$own" --env CLOSE_IDLE_EVERY_MS=2000
	results+=("the same server, tend ×2, no reload, closing its idle connections every 2s, keep-alive: $(under_reload --keepalive true)")
	tend_down

	# The other servers of the issue, reloaded the same way.
	go build -o "$work/bin/go-server" ./examples/cluster/go
	tend_up go 2 "$work/bin/go-server" --ready notify
	results+=("go example (pkg/tend), tend ×2, reload every 2s, $(both tend reload go)")
	tend_down
	tend_up py 2 "$examples/python-server.py" --ready notify
	results+=("python example (stdlib), tend ×2, reload every 2s, $(both tend reload py)")
	tend_down
	if [ -x /usr/bin/gunicorn ]; then
		tend_up gu 2 /usr/bin/gunicorn --interpreter none --ready-log-line 'Booting worker' -- --workers 1 --chdir "$PWD/bench/servers" wsgi:app
		results+=("gunicorn $(/usr/bin/gunicorn --version | awk '{print $3}' | tr -d ')'), tend ×2, reload every 2s, $(both tend reload gu)")
		tend_down
	fi
fi

# The exec shim: 200 execs of /bin/true through it and directly.
t0=$(date +%s.%N); for _ in $(seq 200); do /bin/true; done; t1=$(date +%s.%N)
for _ in $(seq 200); do LISTEN_FDS=0 tend __tend_exec_shim /bin/true true; done; t2=$(date +%s.%N)
results+=("$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "exec shim: %.2f ms per start through it, %.2f ms direct (200 each)", (c - b) * 5, (b - a) * 5}')")

echo "cluster: wrk -t2 -c50 ${dur}s per run; $(nproc) CPUs; $(date -u +%FT%TZ)"
printf '%s\n' "${results[@]}"
