#!/usr/bin/env bash
# The core's figures, side by side in one run: tend, PM2 (npm install -g
# pm2) and supervisord (apt-get install -y supervisor), each app a `sleep`:
#   - daemon RSS idle, with N apps after 3 s and after IDLE_MIN minutes;
#   - start N until every app runs (min_uptime 0 / startsecs 0; tend also
#     with its default min_uptime 1s), delete N until none is left;
#   - the list command (tend ls --json, pm2 jlist, supervisorctl status),
#     median and p95 of RUNS, beside a hello-world Go binary;
#   - daemon CPU per minute with N idle apps (over IDLE_CPU_S seconds);
#   - the same at LARGE apps (tend only; PEERS_LARGE=1 adds the peers,
#     whose delete of 1,000 takes many minutes);
#   - crash → next start gap over CRASHES restarts of an app that runs
#     150 ms and exits 1, beside a bare shell loop;
#   - the exec shim's cost per start.
# Medians are of RUNS runs; a figure "a / b" is median / p95. Peers not
# installed are skipped and say so. --smoke: small numbers, tend only,
# fails if a figure cannot be taken (CI).
#
#   [N=50 LARGE=1000 RUNS=30 IDLE_CPU_S=60 IDLE_MIN=10 CRASHES=100] bench/core.sh [--smoke]
set -euo pipefail
cd "$(dirname "$0")/.."
smoke=0
if [ "${1:-}" = --smoke ]; then smoke=1; fi
N=${N:-50} LARGE=${LARGE:-1000} RUNS=${RUNS:-30} IDLE_CPU_S=${IDLE_CPU_S:-60} IDLE_MIN=${IDLE_MIN:-10} CRASHES=${CRASHES:-100}
if [ $smoke = 1 ]; then N=5 LARGE=0 RUNS=5 IDLE_CPU_S=2 IDLE_MIN=0 CRASHES=10; fi

work=$(mktemp -d /tmp/tend-core.XXXXXX)
cleanup() {
	TEND_HOME=$work/tend tend daemon stop >/dev/null 2>&1 || true
	[ -d "$work/pm2" ] && PM2_HOME=$work/pm2 pm2 kill >/dev/null 2>&1 || true
	[ -f "$work/sup/supervisord.pid" ] && kill "$(cat "$work/sup/supervisord.pid")" 2>/dev/null || true
	sleep 0.5
	rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work/bin"
CGO_ENABLED=0 go build -o "$work/bin/tend" ./cmd/tend # static, as shipped
go build -o "$work/bin/timeit" ./bench/timeit
go build -o "$work/bin/hello" ./bench/hello
export PATH=$work/bin:$PATH
export TEND_HOME=$work/tend PM2_HOME=$work/pm2

peers=()
if [ $smoke = 0 ]; then
	command -v pm2 >/dev/null && peers+=(pm2) || echo "pm2 not installed: skipped (npm install -g pm2)"
	command -v supervisord >/dev/null && peers+=(sup) || echo "supervisord not installed: skipped (apt-get install -y supervisor)"
fi
tools=(tend "${peers[@]}")

out=()
say() { out+=("$1"); echo "$1"; }
now() { date +%s%N; }
ms_since() { echo $(( ($(now) - $1) / 1000000 )); }
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$1/status"; }
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{printf "%.2f", ($12+$13)/100}'; }
wait_for() { # wait_for SECONDS CMD...: until CMD succeeds
	local deadline=$(( $(date +%s) + $1 )); shift
	until "$@"; do
		[ "$(date +%s)" -lt $deadline ] || { echo "timed out: $*" >&2; return 1; }
		sleep 0.01
	done
}

# --- the three managers ---------------------------------------------------
sup_conf() {
	mkdir -p "$work/sup/conf.d" "$work/sup/logs"
	cat >"$work/sup/supervisord.conf" <<-EOF
		[unix_http_server]
		file=$work/sup/sock
		[supervisord]
		pidfile=$work/sup/supervisord.pid
		logfile=$work/sup/supervisord.log
		childlogdir=$work/sup/logs
		[rpcinterface:supervisor]
		supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
		[supervisorctl]
		serverurl=unix://$work/sup/sock
		[include]
		files=$work/sup/conf.d/*.conf
	EOF
}
sctl() { supervisorctl -c "$work/sup/supervisord.conf" "$@"; }
daemon_up() {
	case $1 in
	tend) tend ls >/dev/null ;;
	pm2) pm2 ping >/dev/null ;;
	sup) sup_conf; supervisord -c "$work/sup/supervisord.conf"; wait_for 10 test -S "$work/sup/sock" ;;
	esac
}
daemon_pid() {
	case $1 in
	tend) cat "$TEND_HOME/daemon.lock" ;;
	pm2) cat "$PM2_HOME/pm2.pid" ;;
	sup) cat "$work/sup/supervisord.pid" ;;
	esac
}
# apps TOOL N [MINUPTIME]: declare N sleep apps named s1… (not started).
write_apps() {
	local t=$1 n=$2 mu=${3:-0}
	case $t in
	tend)
		{ echo "apps:"; for i in $(seq "$n"); do printf '  - {name: s%d, script: sleep, args: ["100000"], min_uptime: %s}\n' "$i" "$mu"; done; } >"$work/tend.yaml" ;;
	pm2)
		{ echo '{"apps": ['; for i in $(seq "$n"); do
			[ "$i" -gt 1 ] && echo ','
			printf '{"name": "s%d", "script": "sleep", "args": "100000", "interpreter": "none", "min_uptime": 0, "autorestart": true}' "$i"
		done; echo ']}'; } >"$work/pm2.json" ;;
	sup)
		for i in $(seq "$n"); do printf '[program:s%d]\ncommand=sleep 100000\nstartsecs=0\nautorestart=true\n' "$i" >"$work/sup/conf.d/s$i.conf"; done ;;
	esac
}
running() { # running TOOL N: exactly N apps run
	case $1 in
	tend) [ "$(tend ls --json | grep -c '"status": "online"')" = "$2" ] ;;
	pm2) [ "$(pm2 jlist | grep -o '"status":"online"' | wc -l)" = "$2" ] ;;
	sup) [ "$(sctl status | grep -c RUNNING)" = "$2" ] ;;
	esac
}
none_left() {
	case $1 in
	tend) [ "$(tend ls --json | grep -c '"name"')" = 0 ] ;;
	pm2) [ "$(pm2 jlist | grep -o '"pm_id"' | wc -l)" = 0 ] ;;
	sup) [ -z "$(sctl status 2>/dev/null | grep -v '^$')" ] ;;
	esac
}
start_apps() {
	case $1 in
	tend) tend start "$work/tend.yaml" >/dev/null ;;
	pm2) pm2 start "$work/pm2.json" >/dev/null ;;
	sup) sctl update >/dev/null ;;
	esac
}
delete_apps() {
	case $1 in
	tend) tend delete all >/dev/null ;;
	pm2) pm2 delete all >/dev/null ;;
	sup) rm -f "$work/sup/conf.d/"*.conf; sctl update >/dev/null ;;
	esac
}
list_cmd() {
	case $1 in
	tend) echo tend ls --json ;;
	pm2) echo pm2 jlist ;;
	sup) echo supervisorctl -c "$work/sup/supervisord.conf" status ;;
	esac
}
list_name() { case $1 in tend) echo "tend ls --json" ;; pm2) echo "pm2 jlist" ;; sup) echo "supervisorctl status" ;; esac; }
name() { case $1 in tend) echo tend ;; pm2) echo "pm2 $(pm2 --version 2>/dev/null | tail -1)" ;; sup) echo "supervisord $(supervisord --version)" ;; esac; }

# --- a phase: N apps ---------------------------------------------------------
# phase N IDLE_MIN TOOL...: start, list, memory, idle CPU, delete.
phase() {
	local n=$1 idle_min=$2 t pid ms
	shift 2
	local tools=("$@")
	declare -A start_ms del_ms
	for t in "${tools[@]}"; do
		write_apps "$t" "$n"
		local t0; t0=$(now)
		start_apps "$t"
		wait_for 600 running "$t" "$n"
		start_ms[$t]=$(ms_since "$t0")
	done
	sleep 3
	for t in "${tools[@]}"; do
		pid=$(daemon_pid "$t")
		# shellcheck disable=SC2046
		say "$(name "$t"), $n apps: start until running ${start_ms[$t]} ms; $(list_name "$t") median/p95 $(timeit "$RUNS" $(list_cmd "$t") | awk '{print $1 " / " $2}') ms; daemon RSS $(rss "$pid") MB after 3 s"
	done
	# Idle means no client: tend samples every 2 s for 10 s after a
	# list, then every 30 s.
	sleep 15
	local c0=() c1=()
	for t in "${tools[@]}"; do c0+=("$(cpu "$(daemon_pid "$t")")"); done
	sleep "$IDLE_CPU_S"
	local i=0
	for t in "${tools[@]}"; do
		say "$(name "$t"), $n idle apps: daemon CPU $(awk -v a="${c0[$i]}" -v b="$(cpu "$(daemon_pid "$t")")" -v s="$IDLE_CPU_S" 'BEGIN {printf "%.3f", (b - a) * 60 / s}') s per minute (over ${IDLE_CPU_S} s)"
		i=$((i + 1))
	done
	if [ "$idle_min" -gt 0 ]; then
		local r0=()
		for t in "${tools[@]}"; do r0+=("$(rss "$(daemon_pid "$t")")"); done
		sleep $((idle_min * 60))
		i=0
		for t in "${tools[@]}"; do
			say "$(name "$t"), $n idle apps: daemon RSS ${r0[$i]} MB → $(rss "$(daemon_pid "$t")") MB over $idle_min more minutes"
			i=$((i + 1))
		done
	fi
	for t in "${tools[@]}"; do
		local t0; t0=$(now)
		delete_apps "$t"
		wait_for 600 none_left "$t"
		del_ms[$t]=$(ms_since "$t0")
		say "$(name "$t"), $n apps: delete until none left ${del_ms[$t]} ms"
	done
}

for t in "${tools[@]}"; do daemon_up "$t"; done
sleep 3
for t in "${tools[@]}"; do say "$(name "$t"): daemon RSS idle $(rss "$(daemon_pid "$t")") MB"; done
say "hello-world Go binary: median/p95 $(timeit "$RUNS" hello | awk '{print $1 " / " $2}') ms"

phase "$N" "$IDLE_MIN" "${tools[@]}"

# tend's default min_uptime (1s): online once up for a second.
write_apps tend "$N" 1s
t0=$(now); start_apps tend; wait_for 60 running tend "$N"
say "tend, $N apps: start until online with the default min_uptime 1s $(ms_since "$t0") ms"
delete_apps tend; wait_for 60 none_left tend

if [ "$LARGE" -gt 0 ]; then
	if [ "${PEERS_LARGE:-0}" = 1 ]; then phase "$LARGE" 0 "${tools[@]}"; else phase "$LARGE" 0 tend; fi
fi

# --- crash gap -----------------------------------------------------------------
cat >"$work/crash.sh" <<EOF
#!/bin/sh
echo S \$(date +%s%N) >>"\$1"
sleep 0.15
echo E \$(date +%s%N) >>"\$1"
exit 1
EOF
chmod +x "$work/crash.sh"
# gaps FILE: "median p95" in ms of each exit → next start.
gaps() {
	awk '$1 == "E" {e = $2} $1 == "S" && e {print ($2 - e) / 1e6; e = 0}' "$1" | sort -n |
		awk '{v[NR] = $1} END {if (NR == 0) exit 1; p = int(NR * 0.95); if (p < 1) p = 1; printf "%.1f / %.1f", v[int((NR + 1) / 2)], v[p]}'
}
f=$work/crash-loop.txt
for _ in $(seq "$CRASHES"); do "$work/crash.sh" "$f" || true; done
g=$(gaps "$f") || { echo "no crash gaps from the shell loop" >&2; exit 1; }
say "bare shell loop: crash → next start median/p95 $g ms ($CRASHES runs)"
crash_until() { [ "$(grep -c '^S' "$1" 2>/dev/null || echo 0)" -ge "$2" ]; }
f=$work/crash-tend.txt
tend start "$work/crash.sh" --name crash --min-uptime 100ms -- "$f" >/dev/null
wait_for 600 crash_until "$f" $((CRASHES + 1))
tend delete crash >/dev/null
g=$(gaps "$f") || { echo "no crash gaps from tend" >&2; exit 1; }
say "tend: crash → next start median/p95 $g ms ($CRASHES restarts)"
for t in "${peers[@]}"; do
	f=$work/crash-$t.txt
	case $t in
	pm2)
		printf '{"apps": [{"name": "crash", "script": "%s", "args": "%s", "interpreter": "none", "min_uptime": 100, "max_restarts": 100000, "restart_delay": 0, "autorestart": true}]}' "$work/crash.sh" "$f" >"$work/crash.json"
		pm2 start "$work/crash.json" >/dev/null ;;
	sup) printf '[program:crash]\ncommand=%s %s\nstartsecs=0\nautorestart=true\n' "$work/crash.sh" "$f" >"$work/sup/conf.d/crash.conf"; sctl update >/dev/null ;;
	esac
	wait_for 900 crash_until "$f" $((CRASHES + 1))
	delete_apps "$t"
	say "$(name "$t"): crash → next start median/p95 $(gaps "$f") ms ($CRASHES restarts)"
done

# --- the exec shim -------------------------------------------------------------
say "exec shim: $(LISTEN_FDS=0 timeit 200 tend __tend_exec_shim /bin/true true | awk '{print $1}') ms per start through it, $(timeit 200 /bin/true | awk '{print $1}') ms direct (medians of 200)"

echo
echo "bench/core.sh $(date -u +%FT%TZ) at $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores:"
printf '  %s\n' "${out[@]}"
