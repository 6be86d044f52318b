#!/usr/bin/env bash
# What probes cost the daemon: N apps (the Go example server on a socket
# of tend's), each with an http health probe every INTERVAL; the daemon's
# CPU time (user + system, from /proc) over CPU_S seconds, scaled to a
# minute, beside the same N apps with no probe. Then the detection
# latency of a hung app (SIGSTOP) by a probe of interval 1s, timeout 1s,
# failure_threshold 3 (kill_timeout 1s): from the SIGSTOP to the new
# pid, against the bound interval x failures + timeout + kill_timeout.
#
#   [N=50 INTERVAL=1s CPU_S=60 HUNG=5] bench/probes.sh [--smoke]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50} INTERVAL=${INTERVAL:-1s} CPU_S=${CPU_S:-60} HUNG=${HUNG:-5}
if [ "${1:-}" = --smoke ]; then N=3 CPU_S=3 HUNG=1; fi

work=$(mktemp -d /tmp/tend-probes.XXXXXX)
export TEND_HOME=$work/home
cleanup() {
	tend daemon stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend
go build -o "$work/bin/server" ./examples/cluster/go
export PATH=$work/bin:$PATH

eco() { # eco PROBE: an ecosystem file of N servers, with the probe or without
	echo "apps:"
	for i in $(seq 1 "$N"); do
		echo "  - name: s$i"
		echo "    script: $work/bin/server"
		echo "    listen: tcp://127.0.0.1:0"
		if [ "$1" = probe ]; then
			echo "    health: {http: 'http://127.0.0.1:\${PORT}/', interval: $INTERVAL}"
		fi
	done
}
cputicks() { awk '{print $14 + $15}' "/proc/$(cat "$TEND_HOME/daemon.lock")/stat"; }
cpu_per_min() { # the daemon's CPU seconds per minute over CPU_S
	local a b hz
	hz=$(getconf CLK_TCK)
	a=$(cputicks)
	sleep "$CPU_S"
	b=$(cputicks)
	awk -v a="$a" -v b="$b" -v hz="$hz" -v s="$CPU_S" 'BEGIN { printf "%.2f", (b - a) / hz * 60 / s }'
}
online() { [ "$(tend ls --json | grep -c '"status": "online"')" -eq "$1" ]; }
wait_online() {
	for _ in $(seq 1 600); do online "$1" && return 0; sleep 0.1; done
	echo "probes: not all $1 online" >&2
	exit 1
}

for mode in none probe; do
	eco $mode > "$work/$mode.yaml"
	tend start "$work/$mode.yaml" >/dev/null
	wait_online "$N"
	sleep 3
	echo "daemon CPU, $N apps, probe $mode (every $INTERVAL): $(cpu_per_min) s/min"
	tend delete all >/dev/null
done

cat > "$work/hung.yaml" <<EOF2
apps:
  - name: hung
    script: $work/bin/server
    listen: tcp://127.0.0.1:0
    kill_timeout: 1s
    health: {http: 'http://127.0.0.1:\${PORT}/', interval: 1s, timeout: 1s, failure_threshold: 3}
EOF2
tend start "$work/hung.yaml" >/dev/null
wait_online 1
for i in $(seq 1 "$HUNG"); do
	pid=$(tend ls --json | grep -o '"pid": [0-9]*' | cut -d" " -f2)
	t0=$(date +%s%N)
	kill -STOP "$pid"
	while :; do
		now=$(tend ls --json | grep -o '"pid": [0-9]*' | cut -d" " -f2)
		[ -n "$now" ] && [ "$now" != "$pid" ] && [ "$now" != 0 ] && break
		sleep 0.02
	done
	echo "hung app $i: restarted after $(( ($(date +%s%N) - t0) / 1000000 )) ms (bound 1s x 3 + 1s + 1s = 5000 ms)"
	wait_online 1
done
