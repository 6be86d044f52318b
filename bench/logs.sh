#!/usr/bin/env bash
# Log throughput, side by side in one run: a child writes LINES lines of
# about 100 bytes to stdout as fast as it can; we measure the wall time
# until every line is on disk, the lines lost or duplicated, and the CPU
# seconds of the managing daemon, for:
#   raw          a shell redirect into a file (the limit)
#   tend-plain   tend, no timestamps          (time: false)
#   tend-time    tend, timestamped            (the default)
#   tend-json    tend, JSON lines             (log_type: json)
#   pm2          PM2 (npm install -g pm2), with --time
#   supervisord  supervisord (apt-get install -y supervisor)
# PM2 and supervisord are skipped when not installed. --smoke runs raw and
# tend with few lines and fails if any line is lost (CI).
#
#   bench/logs.sh [--smoke] [LINES]      (default 2000000)
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; shift; fi
lines=${1:-2000000}
[ $smoke = 1 ] && lines=${1:-20000}

work=$(mktemp -d /tmp/tend-bench.XXXXXX)
trap 'cleanup' EXIT
bin=$work/bin
mkdir -p "$bin"
go build -o "$bin/tend" ./cmd/tend
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
# not grown for a second; print the time they last grew (to 10ms). Polling only
# stats the files, so it costs the managers nothing.
settle() {
	local pid="" last last_t stable=0
	for _ in $(seq 20); do
		pid=$(pgrep -f "^$bin/burst $lines\$" | head -1 || true)
		[ -n "$pid" ] && break
		sleep 0.01
	done
	if [ -n "$pid" ]; then
		while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
	fi
	last=$(size "$@"); last_t=$(now)
	while [ $stable -lt 100 ]; do
		sleep 0.01
		local s
		s=$(size "$@")
		if [ "$s" != "$last" ]; then last=$s; last_t=$(now); stable=0; else stable=$((stable + 1)); fi
	done
	echo "$last_t"
}
results=()
report() { # name wall total unique daemon_cpu
	local name=$1 wall=$2 total=$3 uniq=$4 dcpu=$5
	local lost=$((lines - uniq)) dup=$((total - uniq))
	results+=("$(printf '%-12s %8.2f %10d %6d %6d %9s' "$name" "$wall" "$total" "$lost" "$dup" "$dcpu")")
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

# raw: the limit.
t0=$(now); burst "$lines" > "$work/raw.log"; t1=$(now)
read -r total uniq < <(count "$work/raw.log")
report raw "$(sub "$t1" "$t0")" "$total" "$uniq" -

# tend, three formats, each with its own TEND_HOME.
for mode in plain time json; do
	export TEND_HOME=$work/tend-$mode
	tend daemon status >/dev/null 2>&1 || true
	tend ls >/dev/null # starts the daemon
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
	read -r total uniq < <(count "$TEND_HOME/logs/burst-0-out.log")
	report "tend-$mode" "$(sub "$t1" "$t0")" "$total" "$uniq" "$(sub "$c1" "$c0")"
	tend daemon stop >/dev/null
	unset TEND_HOME
done

if [ $smoke = 0 ] && command -v pm2 >/dev/null; then
	export PM2_HOME=$work/pm2
	pm2 ping >/dev/null 2>&1
	# The God daemon writes the logs; pm2.pid can name another process.
	dpid=$(pgrep -f "God Daemon \($PM2_HOME\)" | head -1)
	c0=$(cpu "$dpid"); t0=$(now)
	pm2 start "$bin/burst" --name burst --no-autorestart --time -o "$work/pm2-out.log" -e "$work/pm2-err.log" -- "$lines" >/dev/null
	t1=$(settle "$work/pm2-out.log"); c1=$(cpu "$dpid")
	read -r total uniq < <(count "$work/pm2-out.log")
	report pm2 "$(sub "$t1" "$t0")" "$total" "$uniq" "$(sub "$c1" "$c0")"
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
	report supervisord "$(sub "$t1" "$t0")" "$total" "$uniq" "$c1"
	kill "$sup_pid"; wait "$sup_pid" 2>/dev/null || true; sup_pid=
fi

echo "lines: $lines of about 100 bytes; $(nproc) CPUs; $(date -u +%FT%TZ)"
printf '%-12s %8s %10s %6s %6s %9s\n' what wall_s lines lost dup daemon_cpu_s
printf '%s\n' "${results[@]}"
