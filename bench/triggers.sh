#!/usr/bin/env bash
# The restart triggers' figures (issue 12):
#   - what probes cost the daemon: N apps (the Go example server on a
#     socket of tend's), each with an http health probe every INTERVAL;
#     the daemon's CPU time (user + system, from /proc) over CPU_S
#     seconds, scaled to a minute, beside the same N apps with no probe;
#   - the detection latency of a hung app (SIGSTOP) by a probe of interval
#     1s, timeout 1s, failure_threshold 3 (kill_timeout 1s): from the
#     SIGSTOP to the new pid, against the bound interval x failures +
#     timeout + kill_timeout;
#   - watch: from a file's change to the new process, against watch_delay
#     + 50 ms (WATCHES runs, watch_delay 500ms);
#   - watch over a tree of 10,000 files left alone: the daemon's CPU, beside
#     the same app unwatched;
#   - max_memory_restart 200M on a Node app that grows 10 MB every 100 ms:
#     the largest RSS it reported before its restart, under tend and under
#     PM2 (npm install -g pm2), which polls every 30 s.
#
#   [N=50 INTERVAL=1s CPU_S=60 HUNG=5 WATCHES=10] bench/triggers.sh [--smoke]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-50} INTERVAL=${INTERVAL:-1s} CPU_S=${CPU_S:-60} HUNG=${HUNG:-5} WATCHES=${WATCHES:-10}
smoke=0
if [ "${1:-}" = --smoke ]; then N=3 CPU_S=3 HUNG=1 WATCHES=2 smoke=1; fi

work=$(mktemp -d /tmp/tend-triggers.XXXXXX)
export TEND_HOME=$work/home
cleanup() {
	tend daemon stop >/dev/null 2>&1 || true
	[ -d "$work/pm2" ] && PM2_HOME=$work/pm2 pm2 kill >/dev/null 2>&1 || true
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
tend delete all >/dev/null

# watch: a file's change to the new pid.
mkdir -p "$work/src"
echo 1 > "$work/src/app.js"
(cd "$work" && tend start sleep --name w --watch --min-uptime 0 -- 1000 >/dev/null)
wait_online 1
pidof_w() { tend ls --json | grep -o '"pid": [0-9]*' | cut -d" " -f2; }
for i in $(seq 1 "$WATCHES"); do
	pid=$(pidof_w)
	t0=$(date +%s%N)
	echo "$i" > "$work/src/app.js"
	while :; do
		now=$(pidof_w)
		[ -n "$now" ] && [ "$now" != "$pid" ] && [ "$now" != 0 ] && break
		sleep 0.005
	done
	echo "watch $i: change to new pid $(( ($(date +%s%N) - t0) / 1000000 )) ms (target watch_delay 500 + 50 ms)"
	sleep 0.3
done
tend delete all >/dev/null

# watch over 10,000 files nobody touches: the daemon's CPU beside the same
# app unwatched.
mkdir -p "$work/tree"
for d in $(seq 1 100); do
	mkdir -p "$work/tree/d$d"
	for f in $(seq 1 100); do : > "$work/tree/d$d/f$f.js"; done
done
for mode in unwatched watched; do
	flag=""
	[ $mode = watched ] && flag=--watch
	(cd "$work/tree" && tend start sleep --name t $flag -- 1000 >/dev/null)
	wait_online 1
	sleep 3
	echo "daemon CPU, 1 app over 10,000 files, $mode: $(cpu_per_min) s/min"
	tend delete all >/dev/null
done

# max_memory_restart: the largest RSS the app reported before it was
# restarted, tend beside PM2.
[ $smoke = 1 ] && exit 0
cat > "$work/grow.js" <<'EOF2'
const chunks = [];
setInterval(() => {
  if (chunks.length < 150) chunks.push(Buffer.alloc(10 << 20, 1));
  console.log('rss ' + Math.round(process.memoryUsage().rss / 1048576));
}, 100);
EOF2
peak() { grep -o 'rss [0-9]*' "$1" | awk '{ if ($2 > m) m = $2 } END { print m + 0 }'; }
tend start "$work/grow.js" --name grow --max-memory-restart 200M >/dev/null
for _ in $(seq 1 300); do
	[ "$(tend ls --json | grep -o '"restarts": [0-9]*' | cut -d" " -f2)" -ge 1 ] && break
	sleep 0.1
done
sleep 0.5
echo "max_memory_restart 200M, tend: peak $(peak "$TEND_HOME/logs/grow-0-out.log") MB before the restart ($(tend events grow | grep -o 'memory [0-9]*MB > max_memory_restart 200MB' | head -1))"
tend delete all >/dev/null
if command -v pm2 >/dev/null; then
	export PM2_HOME=$work/pm2
	pm2 start "$work/grow.js" --name grow --max-memory-restart 200M -o "$work/pm2-out.log" >/dev/null
	for _ in $(seq 1 900); do
		[ "$(pm2 jlist 2>/dev/null | grep -o '"restart_time":[0-9]*' | head -1 | cut -d: -f2)" -ge 1 ] 2>/dev/null && break
		sleep 0.1
	done
	echo "max_memory_restart 200M, PM2 $(pm2 -v): peak $(peak "$work/pm2-out.log") MB before the restart"
	pm2 kill >/dev/null
else
	echo "PM2 not installed (npm install -g pm2): its side skipped"
fi
