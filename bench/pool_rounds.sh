#!/usr/bin/env bash
# tend builds interleaved on the lesson's CPU task, the bare loop in each
# round: per build, a fresh daemon with one pool of 2 Node workers, N
# fib(25) tasks through `tend task --stdin` (after as many to warm up);
# wall a task, and the CPU a task (/proc ticks) of the daemon, the workers
# and the CLI, and the daemon's context switches a task. Interleaving puts
# the machine's noise on every build alike (docs/benchmarks.md, "Task
# pools").
#
#   bench/pool_rounds.sh ROUNDS N BIN@PER_WORKER[@QUEUE_MAX]...   # e.g. 3 3000 /tmp/main@2 /tmp/main@16 /tmp/branch@16
#
# QUEUE_MAX is 100000 unless given: room for every task of a round at once.
# TASK='{"echo":1}' puts a trivial task in fib's place (no bare loop then).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
rounds=$1 n=$2
shift 2
work=$(mktemp -d /tmp/tend-rounds.XXXXXX)
trap 'rm -rf "$work"' EXIT
task=${TASK:-'{"n":25}'}
seq "$n" | sed "s/.*/$task/" >"$work/fib.ndjson"
tick=$(getconf CLK_TCK)
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk -v t="$tick" '{print ($12+$13)/t}'; }
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {s += $2} END {print s}'; }
for r in $(seq "$rounds"); do
	for v in "$@"; do
		IFS=@ read -r bin pw qm <<<"$v"
		qm=${qm:-100000}
		export TEND_HOME=$work/home
		rm -rf "$TEND_HOME"
		mkdir -p "$TEND_HOME"
		cat >"$work/pool.yaml" <<YAML
apps:
  - {name: p, script: $repo/examples/pool/worker.js, instances: 2, pool: {queue_max: $qm, per_worker: $pw}}
YAML
		"$bin" start "$work/pool.yaml" >/dev/null
		for _ in $(seq 100); do "$bin" ls | grep -q "on 2 workers" && break; sleep 0.1; done
		d=$("$bin" daemon status --json | grep -o '"pid": *[0-9]*' | head -1 | grep -o '[0-9]*$')
		workers=$(pgrep -P "$d" node | tr '\n' ' ')
		"$bin" task p --stdin <"$work/fib.ndjson" >/dev/null
		d0=$(cpu "$d") s0=$(switches "$d") w0=0
		for p in $workers; do w0=$(echo "$w0 + $(cpu "$p")" | bc); done
		start=$(date +%s%N)
		/usr/bin/time -f "%U %S" -o "$work/cli" "$bin" task p --stdin <"$work/fib.ndjson" >"$work/out"
		end=$(date +%s%N)
		d1=$(cpu "$d") s1=$(switches "$d") w1=0
		for p in $workers; do w1=$(echo "$w1 + $(cpu "$p")" | bc); done
		done=$(grep -c '"status":"done"' "$work/out" || true)
		[ "$done" = "$n" ] || { echo "$v: $done of $n tasks done"; exit 1; }
		awk -v r="$r" -v v="$v" -v n="$n" -v wall=$(((end - start) / 1000)) -v d="$(echo "$d1 - $d0" | bc)" \
			-v w="$(echo "$w1 - $w0" | bc)" -v c="$(awk '{print $1 + $2}' "$work/cli")" -v sw=$((s1 - s0)) \
			-v rows="$work/rows" \
			'BEGIN {printf "round %d %-32s %7.1f µs a task; CPU a task: daemon %5.1f, workers %6.1f, CLI %5.1f µs; daemon switches a task %.2f\n", r, v, wall / n, d * 1e6 / n, w * 1e6 / n, c * 1e6 / n, sw / n
				printf "%d %s %f %f\n", r, v, wall / n, (d + w + c) * 1e6 / n >>rows}'
		"$bin" daemon stop >/dev/null 2>&1 || true
	done
	[ "$task" = '{"n":25}' ] || continue
	half=$((n / 2))
	node bench/pool/bare.js "$half" 25 cpu >"$work/bare1" &
	node bench/pool/bare.js "$half" 25 cpu >"$work/bare2"
	wait
	sort -g "$work/bare1" "$work/bare2" | tail -1 | awk -v r="$r" -v n="$n" -v rows="$work/rows" \
		-v c="$(cat "$work/bare1" "$work/bare2" | awk '{s += $2} END {print s}')" \
		'{printf "round %d %-32s %7.1f µs a task (two loops, one a core, the slower by its own clock); CPU a task %6.1f µs\n", r, "bare loop", $1 * 1e6 / n, c * 1e6 / n
			printf "%d bare %f %f\n", r, $1 * 1e6 / n, c * 1e6 / n >>rows}'
done
# Each build against the bare loop of its round: the wall and the CPU of
# the whole (daemon, workers, CLI) over the loops', medians over rounds.
[ "$task" = '{"n":25}' ] && awk '
	$2 == "bare" {bw[$1] = $3; bc[$1] = $4; next}
	{k = $2; if (!(k in seen)) {seen[k] = 1; order[++nk] = k}; rw[k, ++cnt[k]] = $3; rr[k, cnt[k]] = $1; rc[k, cnt[k]] = $4}
	function median(a, m,   i, j, t) {
		for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {t = a[j]; a[j] = a[j - 1]; a[j - 1] = t}
		return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	}
	END {
		for (o = 1; o <= nk; o++) {
			k = order[o]; m = cnt[k]; split("", w); split("", c)
			for (i = 1; i <= m; i++) {w[i] = rw[k, i] / bw[rr[k, i]] * 100 - 100; c[i] = rc[k, i] / bc[rr[k, i]] * 100 - 100}
			printf "%-32s against the bare loop, median of %d rounds: wall %+.1f%%, CPU %+.1f%%\n", k, m, median(w, m), median(c, m)
		}
	}' "$work/rows"
