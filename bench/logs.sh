#!/usr/bin/env bash
# Log throughput, side by side in one run: a child writes LINES lines of
# about 100 bytes to stdout as fast as it can; we measure the wall time
# until every line is on disk, the lines lost or duplicated, and the CPU
# seconds of the managing daemon, for:
#   raw          a shell redirect into a file (the limit)
#   pipe         the child through a pipe into cat and a file: the limit
#                for anything that reads the child's output, as every
#                manager must
#   tend-plain   tend, no timestamps          (time: false)
#   tend-time    tend, timestamped            (the default)
#   tend-json    tend, JSON lines             (log_type: json)
#   pm2          PM2 (npm install -g pm2), with --time
#   supervisord  supervisord (apt-get install -y supervisor)
# PM2 and supervisord are skipped when not installed. --smoke runs raw and
# tend with few lines and fails if any line is lost (CI).
#
#   [REPEAT=5] bench/logs.sh [--smoke] [LINES]      (default 2000000)
#
# raw and tend run REPEAT times each, interleaved, and report their
# median; the peers, much slower, run once.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
lines=${1:-2000000}
repeat=${REPEAT:-5}
[ $smoke = 1 ] && lines=${1:-20000} && repeat=1

work=$(mktemp -d /tmp/tend-bench.XXXXXX)
trap 'cleanup' EXIT
bin=$work/bin
mkdir -p "$bin"
CGO_ENABLED=0 go build -o "$bin/tend" ./cmd/tend # static, as shipped
go build -o "$bin/burst" ./bench/burst
export PATH=$bin:$PATH

now() { date +%s.%N; }
# cpu PID: user+system seconds of a process. The command name in
# /proc/PID/stat may hold spaces (PM2's does): read the fields after it.
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{printf "%.2f", ($12+$13)/100}'; }
# count FILE...: "total unique" of the numbered lines in the files.
count() { cat "$@" 2>/dev/null | grep -o 'L[0-9]\{10\}' | sort | uniq -c | awk '{t+=$1; u++} END {printf "%d %d\n", t, u}'; }
# sub A B: A - B with two decimals.
sub() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }
# size FILE...: bytes in the files.
size() { stat -c %s "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# settle FILE...: wait until the burst child has ended and the files have
# not grown for a second; print when they were last written (their newest
# modification time, in ns), so the polling's own rhythm is not measured.
# Polling only stats the files, so it costs the managers nothing.
settle() {
	local pid="" last stable=0 s
	for _ in $(seq 20); do
		pid=$(pgrep -f "^$bin/burst $lines\$" | head -1 || true)
		[ -n "$pid" ] && break
		sleep 0.01
	done
	if [ -n "$pid" ]; then
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	fi
	last=$(size "$@")
	while [ $stable -lt 100 ]; do
		sleep 0.01
		s=$(size "$@")
		if [ "$s" != "$last" ]; then last=$s; stable=0; else stable=$((stable + 1)); fi
	done
	stat -c '%.9Y' "$@" | sort -n | tail -1
}
results=()
report() { # name wall total unique daemon_cpu bytes
	local name=$1 wall=$2 total=$3 uniq=$4 dcpu=$5 bytes=$6
	local lost=$((lines - uniq)) dup=$((total - uniq)) pergb=-
	[ "$dcpu" != - ] && pergb=$(awk -v c="$dcpu" -v b="$bytes" 'BEGIN {printf "%.2f", c / (b / 1e9)}')
	results+=("$(printf '%-12s %8.2f %10d %6d %6d %9s %6d %9s' "$name" "$wall" "$total" "$lost" "$dup" "$dcpu" $((bytes / 1000000)) "$pergb")")
	if [ $smoke = 1 ] && [ "$lost" -ne 0 -o "$dup" -ne 0 ]; then
		echo "FAIL: $name lost $lost, duplicated $dup lines" >&2; exit 1
	fi
}
cleanup() {
	[ -n "${TEND_HOME:-}" ] && tend daemon stop >/dev/null 2>&1 || true
	[ -n "${PM2_HOME:-}" ] && pm2 kill >/dev/null 2>&1 || true
	[ -n "${sup_pid:-}" ] && kill "$sup_pid" 2>/dev/null || true
	rm -rf "$work"
}

# run_raw: one run of the limit; prints "wall total unique -".
run_raw() {
	local t0 t1
	t0=$(now); burst "$lines" > "$work/raw.log"; t1=$(now)
	echo "$(sub "$t1" "$t0") $(count "$work/raw.log") - $(size "$work/raw.log")"
	rm -f "$work/raw.log"
}

# run_pipe: one run through a pipe; prints "wall total unique -".
run_pipe() {
	local t0 t1
	t0=$(now); burst "$lines" | cat > "$work/pipe.log"; t1=$(now)
	echo "$(sub "$t1" "$t0") $(count "$work/pipe.log") - $(size "$work/pipe.log")"
	rm -f "$work/pipe.log"
}

# run_tend MODE: one run of tend (plain, time or json), each with its own
# TEND_HOME; prints "wall total unique daemon_cpu".
run_tend() {
	local mode=$1 dpid extra t0 t1 c0 c1
	export TEND_HOME=$work/tend-$mode
	rm -rf "$TEND_HOME"
	tend ls >/dev/null # starts the daemon, outside the timed part
	dpid=$(cat "$TEND_HOME/daemon.lock")
	extra=""
	case $mode in
	plain) extra="    time: false" ;;
	json) extra="    log_type: json" ;;
	esac
	cat > "$work/eco-$mode.yaml" <<YAML
apps:
  - name: burst
    script: $bin/burst
    args: ["$lines"]
    autorestart: never
    log_max_size: 4G
$extra
YAML
	c0=$(cpu "$dpid"); t0=$(now)
	tend start "$work/eco-$mode.yaml" >/dev/null
	t1=$(settle "$TEND_HOME/logs/burst-0-out.log"); c1=$(cpu "$dpid")
	echo "$(sub "$t1" "$t0") $(count "$TEND_HOME/logs/burst-0-out.log") $(sub "$c1" "$c0") $(size "$TEND_HOME/logs/burst-0-out.log")"
	tend daemon stop >/dev/null
	rm -rf "$TEND_HOME"
	unset TEND_HOME
}

# The limit and tend run REPEAT times, interleaved, so that a slow moment
# of this shared machine hits them alike; the medians are reported.
declare -A runs
for _ in $(seq "$repeat"); do
	runs[raw]+="$(run_raw)"$'\n'
	runs[pipe]+="$(run_pipe)"$'\n'
	for mode in plain time json; do
		runs[tend-$mode]+="$(run_tend $mode)"$'\n'
	done
done
# median: of the runs' lines on stdin, the one with the median wall time.
median() { grep . | sort -n | awk '{a[NR] = $0} END {print a[int((NR + 1) / 2)]}'; }
for what in raw pipe tend-plain tend-time tend-json; do
	read -r wall total uniq dcpu bytes < <(printf '%s' "${runs[$what]}" | median)
	report "$what" "$wall" "$total" "$uniq" "$dcpu" "$bytes"
	# Every run must keep every line, not only the median one.
	while read -r _ t u _; do
		[ -z "$t" ] && continue
		if [ "$t" -ne "$lines" ] || [ "$u" -ne "$lines" ]; then
			echo "$what: a run kept $u distinct of $t lines" >&2
			[ $smoke = 1 ] && exit 1
		fi
	done <<< "${runs[$what]}"
done
raw_wall=$(printf '%s' "${runs[raw]}" | median | awk '{print $1}')
pipe_wall=$(printf '%s' "${runs[pipe]}" | median | awk '{print $1}')

if [ $smoke = 0 ] && command -v pm2 >/dev/null; then
	export PM2_HOME=$work/pm2
	pm2 ping >/dev/null 2>&1
	# The God daemon writes the logs; pm2.pid can name another process.
	dpid=$(pgrep -f "God Daemon \($PM2_HOME\)" | head -1)
	c0=$(cpu "$dpid"); t0=$(now)
	pm2 start "$bin/burst" --name burst --no-autorestart --time -o "$work/pm2-out.log" -e "$work/pm2-err.log" -- "$lines" >/dev/null
	t1=$(settle "$work/pm2-out.log"); c1=$(cpu "$dpid")
	read -r total uniq < <(count "$work/pm2-out.log")
	report pm2 "$(sub "$t1" "$t0")" "$total" "$uniq" "$(sub "$c1" "$c0")" "$(size "$work/pm2-out.log")"
	pm2 kill >/dev/null 2>&1
	unset PM2_HOME
fi

if [ $smoke = 0 ] && command -v supervisord >/dev/null; then
	cat > "$work/supervisord.conf" <<CONF
[supervisord]
nodaemon=true
logfile=$work/supervisord.log
pidfile=$work/supervisord.pid
[program:burst]
command=$bin/burst $lines
autostart=true
autorestart=false
startsecs=0
stdout_logfile=$work/sup-out.log
stdout_logfile_maxbytes=0
stderr_logfile=$work/sup-err.log
CONF
	t0=$(now)
	supervisord -c "$work/supervisord.conf" >/dev/null 2>&1 &
	sup_pid=$!
	t1=$(settle "$work/sup-out.log"); c1=$(cpu "$sup_pid")
	read -r total uniq < <(count "$work/sup-out.log")
	report supervisord "$(sub "$t1" "$t0")" "$total" "$uniq" "$c1" "$(size "$work/sup-out.log")"
	kill "$sup_pid"; wait "$sup_pid" 2>/dev/null || true; sup_pid=
fi

echo "lines: $lines of about 100 bytes; $(nproc) CPUs; $(date -u +%FT%TZ)"
printf '%-12s %8s %10s %6s %6s %9s %6s %9s\n' what wall_s lines lost dup daemon_cpu_s MB cpu_s/GB
printf '%s\n' "${results[@]}"
echo "throughput relative to raw (median wall times): $(for r in "${results[@]}"; do
	set -- $r; [ "$1" = raw ] && continue
	awk -v n="$1" -v a="$raw_wall" -v b="$2" 'BEGIN {printf "%s %.0f%%  ", n, 100 * a / b}'
done)"
echo "throughput relative to the pipe (median wall times): $(for r in "${results[@]}"; do
	set -- $r; case $1 in raw|pipe) continue ;; esac
	awk -v n="$1" -v a="$pipe_wall" -v b="$2" 'BEGIN {printf "%s %.0f%%  ", n, 100 * a / b}'
done)"
