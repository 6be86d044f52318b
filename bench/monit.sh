#!/usr/bin/env bash
# The dashboards and the metrics, side by side: tend monit against pm2
# monit on the same N apps (each printing a line a second), each opened in
# tmux as a user would; the CPU of the dashboard process and of the daemon
# with it open, against the daemon idle; then the time and size of a
# /metrics scrape with N and LARGE instances.
#
#   [N=50 LARGE=1000 SECS=30 SCRAPES=20] bench/monit.sh [--smoke]
#
# --smoke (what CI runs): 5 apps, tend only, a few seconds; fails if a
# figure cannot be taken.
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; fi
N=${N:-50} LARGE=${LARGE:-1000} SECS=${SECS:-30} SCRAPES=${SCRAPES:-20}
if [ $smoke = 1 ]; then N=5 LARGE=0 SECS=3 SCRAPES=3; fi
command -v tmux >/dev/null || { echo "tmux is needed (apt-get install -y tmux)"; exit 1; }

work=$(mktemp -d /tmp/tend-monit.XXXXXX)
cleanup() {
	tmux -S "$work/tmux.sock" kill-server 2>/dev/null || true
	TEND_HOME=$work/tend tend daemon stop >/dev/null 2>&1 || true
	[ -d "$work/pm2" ] && PM2_HOME=$work/pm2 pm2 kill >/dev/null 2>&1 || true
	sleep 0.5
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend
export PATH=$work/bin:$PATH TEND_HOME=$work/tend PM2_HOME=$work/pm2 LANG=C.UTF-8

tools=(tend)
if [ $smoke = 0 ]; then
	command -v pm2 >/dev/null && tools+=(pm2) || echo "pm2 not installed: skipped (npm install -g pm2)"
fi

ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12+$13}'; }
pct() { awk -v a="$1" -v b="$2" -v s="$SECS" 'BEGIN {printf "%.2f", (b - a) / s}'; } # ticks of 10 ms over s seconds: percent of a core
script='while :; do echo tick; sleep 1; done'
start_apps() {
	local t=$1 n=$2
	case $t in
	tend)
		{ echo "apps:"; for i in $(seq "$n"); do printf '  - {name: p%d, script: sh, args: ["-c", "%s"], min_uptime: 0}\n' "$i" "$script"; done; } >"$work/tend.yaml"
		tend start "$work/tend.yaml" >/dev/null ;;
	pm2)
		{ echo '{"apps": ['; for i in $(seq "$n"); do
			[ "$i" -gt 1 ] && echo ','
			printf '{"name": "p%d", "script": "sh", "args": ["-c", "%s"], "interpreter": "none", "min_uptime": 0}' "$i" "$script"
		done; echo ']}'; } >"$work/pm2.json"
		pm2 start "$work/pm2.json" >/dev/null ;;
	esac
}
daemon_pid() {
	case $1 in
	tend) tend daemon status --json | grep -o '"pid": *[0-9]*' | head -1 | grep -o '[0-9]*$' ;;
	pm2) cat "$PM2_HOME/pm2.pid" ;;
	esac
}
dash_cmd() { case $1 in tend) echo "tend monit" ;; pm2) echo "pm2 monit" ;; esac; }

out=()
say() { out+=("$1"); echo "$1"; }
for t in "${tools[@]}"; do
	start_apps "$t" "$N"
	sleep 10
	d=$(daemon_pid "$t")
	a=$(ticks "$d"); sleep "$SECS"; b=$(ticks "$d")
	idle=$(pct "$a" "$b")
	tmux -S "$work/tmux.sock" new-session -d -x 160 -y 50 -e TEND_HOME="$TEND_HOME" -e PM2_HOME="$PM2_HOME" -e PATH="$PATH" -e LANG=C.UTF-8 "$(dash_cmd "$t")"
	sleep 5
	m=$(pgrep -n -f "^[^ ]*(node|tend)[^ ]* .*monit$|^tend monit$" || true)
	[ -n "$m" ] || { echo "no $t dashboard process found"; exit 1; }
	a=$(ticks "$d"); ma=$(ticks "$m"); sleep "$SECS"; b=$(ticks "$d"); mb=$(ticks "$m")
	say "$t, $N apps: daemon idle $idle% of a core; with $(dash_cmd "$t") open $(pct "$a" "$b")%; the dashboard itself $(pct "$ma" "$mb")% (over ${SECS} s)"
	tmux -S "$work/tmux.sock" kill-server 2>/dev/null || true
	case $t in
	tend) tend delete all >/dev/null ;;
	pm2) pm2 kill >/dev/null ;;
	esac
done

# The web dashboard open in headless chromium (bench/webopen: logged in,
# an app selected, its charts, logs and events following), over the same
# N apps: the daemon's CPU with it open.
tend serve --web 127.0.0.1:0 >/dev/null
base=$(tend serve --json | grep -o '"address": *"[^"]*"' | cut -d'"' -f4)
token=$(tend serve --json | grep -o '"token": *"[^"]*"' | cut -d'"' -f4)
if [ $smoke = 0 ] && command -v chromium >/dev/null; then
	go build -o "$work/bin/webopen" ./bench/webopen
	start_apps tend "$N"
	sleep 10
	d=$(daemon_pid tend)
	a=$(ticks "$d"); sleep "$SECS"; b=$(ticks "$d")
	idle=$(pct "$a" "$b")
	webopen -url "http://$base" -token "$token" -secs $((SECS + 10)) > "$work/webopen.out" &
	wo=$!
	for _ in $(seq 100); do grep -q open "$work/webopen.out" 2>/dev/null && break; sleep 0.1; done
	sleep 5
	a=$(ticks "$d"); sleep "$SECS"; b=$(ticks "$d")
	say "tend, $N apps: daemon idle $idle% of a core; with the web dashboard open (an app selected) $(pct "$a" "$b")% (over ${SECS} s)"
	wait "$wo" || true
	tend delete all >/dev/null
fi

# /metrics: scrape time (curl's total, median of SCRAPES) and size.
url=$(tend serve --json | grep -o '"metrics_url": *"[^"]*"' | cut -d'"' -f4)
scrape() { # scrape N: start N sleep apps, time the scrape, delete them
	local n=$1
	{ echo "apps:"; for i in $(seq "$n"); do printf '  - {name: m%d, script: sleep, args: ["100000"], min_uptime: 0}\n' "$i"; done; } >"$work/m.yaml"
	tend start "$work/m.yaml" >/dev/null
	sleep 3
	local times=() size
	for _ in $(seq "$SCRAPES"); do times+=("$(curl -s -o /dev/null -w '%{time_total}' "$url")"); done
	size=$(curl -s "$url" | wc -c)
	local med; med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] * 1000}')
	say "tend /metrics, $n instances: scrape median ${med} ms, $size bytes"
	[ "$size" -gt 0 ] || { echo "empty scrape"; exit 1; }
	tend delete all >/dev/null
}
scrape "$N"
[ "$LARGE" -gt 0 ] && scrape "$LARGE"

echo
echo "bench/monit.sh $(date -u +%Y-%m-%dT%H:%M:%SZ) at $(git rev-parse --short HEAD), $(nproc) cores:"
printf '  %s\n' "${out[@]}"
