#!/usr/bin/env bash
# Task pools, side by side in one run: a trivial task (echo) and the
# lesson's CPU task (fib 25), 2 workers on this machine, through
# `tend task --stdin` (Node workers, per_worker 1 and 16; Go's ServeTasks),
# against the lesson's WorkerPool (a new worker thread per task),
# piscina 4 (npm), Python's multiprocessing.Pool(2) (chunksize 1 and 100),
# two bare Go parents with one task at a time each (per_worker 1's raw
# limit), and one process spawned per task; the fib task against the same code in
# a bare loop, one a core; one POST's round trip, beside the raw limits
# of its two hops (curl to a hello-world Go HTTP server, a bare Go parent
# to an idle Node worker); the daemon's RSS while
# a million tasks go through it.
#
#   [ECHO=100000 FIB=2000 MILLION=1000000 POSTS=300] bench/pool.sh [--smoke]
#
# --smoke (what CI runs): tend only, a few thousand tasks; fails if a
# figure cannot be taken or a task does not end done.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; fi
ECHO=${ECHO:-100000} FIB=${FIB:-2000} FIBN=${FIBN:-25} MILLION=${MILLION:-1000000} POSTS=${POSTS:-300}
if [ $smoke = 1 ]; then ECHO=2000 FIB=20 MILLION=0 POSTS=20; fi

work=$(mktemp -d /tmp/tend-pool.XXXXXX)
cleanup() {
	TEND_HOME=$work/tend "$work/bin/tend" daemon stop >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend
CGO_ENABLED=0 go build -o "$work/bin/hello" ./bench/hello
CGO_ENABLED=0 go build -o "$work/bin/fib-go" ./examples/pool/go
CGO_ENABLED=0 go build -o "$work/bin/hellohttp" ./bench/hellohttp
CGO_ENABLED=0 go build -o "$work/bin/hop" ./bench/pool/hop
export PATH=$work/bin:$PATH TEND_HOME=$work/tend

peers=0
if [ $smoke = 0 ]; then
	peers=1
	(cd "$work" && npm install --silent --no-audit --no-fund piscina@4 >/dev/null 2>&1) || { echo "piscina did not install: its row is skipped"; }
fi

now() { date +%s.%N; }
# row WHO TASK N SECONDS
row() { awk -v w="$1" -v t="$2" -v n="$3" -v s="$4" 'BEGIN {printf "%-52s %-8s %8d tasks in %7.3f s: %9.0f tasks/s, %8.1f µs a task\n", w, t, n, s, n / s, s / n * 1e6}'; }

seq "$ECHO" | sed 's/.*/{"echo":&}/' >"$work/echo.ndjson"
seq "$FIB" | sed "s/.*/{\"n\":$FIBN}/" >"$work/fib.ndjson"

cat >"$work/pools.yaml" <<YAML
apps:
  - {name: node1, script: $repo/examples/pool/worker.js, instances: 2, pool: {queue_max: 100000}}
  - {name: node2, script: $repo/examples/pool/worker.js, instances: 2, pool: {queue_max: 100000, per_worker: 2}}
  - {name: node16, script: $repo/examples/pool/worker.js, instances: 2, pool: {queue_max: 100000, per_worker: 16}}
  - {name: million, script: $repo/examples/pool/worker.js, instances: 2, pool: {per_worker: 16}}
  - {name: go16, script: $work/bin/fib-go, instances: 2, pool: {queue_max: 100000, per_worker: 16}}
YAML
tend start "$work/pools.yaml" >/dev/null
for p in node1 node2 node16 million go16; do
	for _ in $(seq 100); do tend ls | grep -q "pool $p: .* on 2 workers" && break; sleep 0.1; done
done
daemon=$(tend daemon status --json | grep -o '"pid": *[0-9]*' | head -1 | grep -o '[0-9]*$')

# through_tend POOL FILE N LABEL TASK
through_tend() {
	local s e done
	s=$(now)
	tend task "$1" --stdin <"$2" >"$work/out.ndjson" || true
	e=$(now)
	done=$(grep -c '"status":"done"' "$work/out.ndjson" || true)
	if [ "$done" != "$3" ]; then echo "tend $1: $done of $3 tasks done"; exit 1; fi
	row "$4" "$5" "$3" "$(echo "$e - $s" | bc)"
}

echo "== echo (a trivial task), 2 workers"
through_tend node1 "$work/echo.ndjson" "$ECHO" "tend task --stdin, Node workers, per_worker 1" echo
through_tend node16 "$work/echo.ndjson" "$ECHO" "tend task --stdin, Node workers, per_worker 16" echo
through_tend go16 "$work/echo.ndjson" "$ECHO" "tend task --stdin, Go ServeTasks, per_worker 16" echo
if [ $peers = 1 ]; then
	n=$((ECHO / 100))
	row "the lesson's WorkerPool(2), a thread per task" echo "$n" "$(node bench/pool/lesson.js 2 "$n" '{"echo":1}')"
	[ -d "$work/node_modules/piscina" ] && row "piscina 4, 2 threads" echo "$ECHO" "$(NODE_PATH=$work/node_modules node bench/pool/piscina.js 2 "$ECHO" '{"echo":1}')"
	row "multiprocessing.Pool(2), chunksize 1" echo "$ECHO" "$(python3 bench/pool/mp.py 2 "$ECHO" 1 '{"echo":1}')"
	row "multiprocessing.Pool(2), chunksize 100" echo "$ECHO" "$(python3 bench/pool/mp.py 2 "$ECHO" 100 '{"echo":1}')"
	# The raw limit for per_worker 1: two Go parents, no tend, each with
	# one task at a time in flight to its own Node worker.
	s=$(now)
	hop 0s $((ECHO / 2)) node "$repo/examples/pool/worker.js" >/dev/null &
	other=$!
	hop 0s $((ECHO / 2)) node "$repo/examples/pool/worker.js" >/dev/null
	wait "$other"
	e=$(now)
	row "two bare Go parents, one task at a time each" echo "$ECHO" "$(echo "$e - $s" | bc)"
	n=$((ECHO / 50))
	s=$(now); seq "$n" | xargs -P 2 -n 1 "$work/bin/hello" >/dev/null; e=$(now)
	row "a process spawned per task (hello-world binary)" echo "$n" "$(echo "$e - $s" | bc)"
fi

# bare COUNT N: two bare loops side by side, each fib(N) COUNT times; the
# slower one's own time. Node's start (~50 ms) is left out, as the pool's
# workers' is: timed from outside, it made the loop look 8% slower than it
# is, and tend that much closer.
bare() {
	node bench/pool/bare.js "$1" "$2" >"$work/bare1" & node bench/pool/bare.js "$1" "$2" >"$work/bare2"
	wait
	sort -g "$work/bare1" "$work/bare2" | tail -1
}

echo "== fib($FIBN) (the lesson's CPU task), 2 workers"
through_tend node1 "$work/fib.ndjson" "$FIB" "tend task --stdin, Node workers, per_worker 1" fib
through_tend node2 "$work/fib.ndjson" "$FIB" "tend task --stdin, Node workers, per_worker 2" fib
# 16 in hand: the daemon reads each worker's answers in batches (pool's Linger).
through_tend node16 "$work/fib.ndjson" "$FIB" "tend task --stdin, Node workers, per_worker 16" fib
if [ $peers = 1 ]; then
	half=$((FIB / 2))
	row "the same fib in a bare loop, one process a core" fib "$FIB" "$(bare "$half" "$FIBN")"
	row "the lesson's WorkerPool(2), a thread per task" fib "$((FIB / 10))" "$(node bench/pool/lesson.js 2 "$((FIB / 10))" "{\"n\":$FIBN}")"
	[ -d "$work/node_modules/piscina" ] && row "piscina 4, 2 threads" fib "$FIB" "$(NODE_PATH=$work/node_modules node bench/pool/piscina.js 2 "$FIB" "{\"n\":$FIBN}")"
	row "multiprocessing.Pool(2), chunksize 1 (Python's fib)" fib "$((FIB / 10))" "$(python3 bench/pool/mp.py 2 "$((FIB / 10))" 1 "{\"n\":$FIBN}")"
	n=$((FIB / 20))
	s=$(now); seq "$n" | xargs -P 2 -I{} node -e "require('$repo/bench/pool/task.js')({n:$FIBN})"; e=$(now)
	row "a node process spawned per task" fib "$n" "$(echo "$e - $s" | bc)"
	# A larger task (fib 30, ~3.5 ms): the per-task cost shrinks beside it.
	n=$((FIB / 5))
	seq "$n" | sed 's/.*/{"n":30}/' >"$work/fib30.ndjson"
	through_tend node2 "$work/fib30.ndjson" "$n" "tend task --stdin, Node workers, per_worker 2" fib30
	through_tend node16 "$work/fib30.ndjson" "$n" "tend task --stdin, Node workers, per_worker 16" fib30
	row "the same fib in a bare loop, one process a core" fib30 "$n" "$(bare "$((n / 2))" 30)"
fi

echo "== one task a request: POST /v1/pools/node1/tasks, round trip (curl's time_total)"
# curls SOCKET URL CURL_ARGS...: each request's time, one curl a request;
# fails on an answer that is not 200.
curls() {
	local sock=$1 url=$2
	shift 2
	for _ in $(seq "$POSTS"); do
		curl -s -o /dev/null -w '%{time_total} %{http_code}\n' --unix-socket "$sock" "$@" "$url"
	done | awk '$2 != 200 {print "HTTP " $2 > "/dev/stderr"; bad = 1} {print $1} END {exit bad}' |
		sort -n | awk '{a[NR]=$1} END {printf "median %.3f ms, p90 %.3f ms over %d requests\n", a[int(NR/2)+1]*1000, a[int(NR*0.9)]*1000, NR}'
}
took=$(curls "$TEND_HOME/tend.sock" http://tend/v1/pools/node1/tasks -X POST -d '{"echo":1}')
echo "POST, Node workers, per_worker 1: $took"
if [ $peers = 1 ]; then
	# The raw limits of its two hops: curl to a Go HTTP server that does
	# nothing, and a bare Go parent to the same idle Node worker.
	took=$(curls "$TEND_HOME/tend.sock" http://tend/v1/pools/node1)
	echo "GET /v1/pools/node1 (no hop to a worker): $took"
	hellohttp "$work/hello.sock" 2>/dev/null &
	hello=$!
	for _ in $(seq 50); do [ -S "$work/hello.sock" ] && break; sleep 0.02; done
	took=$(curls "$work/hello.sock" http://hello/)
	kill "$hello"
	echo "curl to a hello-world Go HTTP server on a Unix socket: $took"
	took=$(hop 3ms "$POSTS" node "$repo/examples/pool/worker.js")
	echo "a bare Go parent to one idle Node worker, 3 ms apart: $took"
fi
s=$(now); for _ in $(seq 20); do tend task node1 '{"echo":1}' >/dev/null; done; e=$(now)
awk -v s="$(echo "$e - $s" | bc)" 'BEGIN {printf "tend task (the CLI, one task): %.1f ms a call, over 20\n", s / 20 * 1000}'

rss() { awk '/VmRSS/ {print $2}' "/proc/$daemon/status"; }
if [ "$MILLION" -gt 0 ]; then
	# A pool with the default queue_max (10,000): what the daemon holds is
	# bounded by it, whatever goes through. The peak is taken over each
	# quarter of the run: flat means the last quarter's is the first's.
	echo "== daemon RSS while $MILLION echo tasks go through one pool (queue_max 10000, per_worker 16)"
	before=$(rss)
	seq "$MILLION" | sed 's/.*/{"echo":&}/' >"$work/million.ndjson"
	(while [ ! -e "$work/stop" ]; do rss >>"$work/rss"; sleep 0.25; done) &
	sampler=$!
	s=$(now); tend task million --stdin <"$work/million.ndjson" | grep -c '"status":"done"' >"$work/mdone"; e=$(now)
	touch "$work/stop"; wait $sampler
	sleep 2
	row "tend task --stdin, Node workers, per_worker 16" echo "$MILLION" "$(echo "$e - $s" | bc)"
	awk -v b="$before" -v a="$(rss)" -v d="$(cat "$work/mdone")" '{r[NR]=$1} END {
		q = int(NR / 4); if (q < 1) q = 1
		printf "daemon RSS: %.1f MB before;", b/1024
		for (k = 0; k < 4; k++) { m = 0; for (i = k*q+1; i <= (k+1)*q && i <= NR; i++) if (r[i] > m) m = r[i]; printf " quarter %d at most %.1f MB;", k+1, m/1024 }
		printf " %.1f MB after; %d tasks done\n", a/1024, d }' "$work/rss"
fi
