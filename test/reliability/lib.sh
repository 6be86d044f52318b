# Shared by the reliability checks: a tend built once, a fresh TEND_HOME
# per check, and a cleanup that leaves no process behind. Each check
# prints its figures as `figure NAME VALUE (bar BAR)` and a last line
# `ok NAME` or `FAIL NAME: why`, and exits 1 on a failed bar.
# SHORT=1 (set by run.sh --short, as CI does) makes the loads smaller.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
SHORT=${SHORT:-0}
check=$(basename "$0" .sh)
work=$(mktemp -d "/tmp/tend-rel-$check.XXXXXX")
export TEND_HOME=$work/home
bin=${TEND_BIN:-}
if [ -z "$bin" ]; then
	bin=$work/tend
	(cd "$repo" && CGO_ENABLED=0 go build -o "$bin" ./cmd/tend)
fi
tend() { "$bin" "$@"; }
failed=0

# daemon_pid is the daemon of TEND_HOME, the pid its lock names once
# /proc says that pid is that daemon: an ended daemon leaves its pid in
# the lock, and the kernel hands it to another process soon after.
daemon_pid() {
	local pid
	pid=$(tr -d '\n' 2>/dev/null <"$TEND_HOME/daemon.lock") || return 0
	[ -n "$pid" ] || return 0
	tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ" | grep -qxF "TEND_HOME=$TEND_HOME" || return 0
	tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q ' daemon run' || return 0
	echo "$pid"
}

cleanup() {
	local pid
	pid=$(daemon_pid || true)
	tend daemon stop >/dev/null 2>&1 || true
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	# Anything of this check's apps still alive (what a killed daemon
	# left, were the keeper to miss it) is ended: no check leaks a process.
	for p in $(mine); do kill -9 "$p" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT
export WORK_REL=$work # every app's processes inherit it: how cleanup finds them

# figure NAME VALUE BAR OKAY: print a figure against its bar; OKAY is
# 1 when it holds.
figure() {
	printf 'figure %-28s %-14s (bar %s)%s\n' "$1" "$2" "$3" "$([ "$4" = 1 ] || echo '  <-- missed')"
	[ "$4" = 1 ] || failed=1
}

# le A B: 1 when A <= B (numbers, decimals allowed).
le() { awk -v a="$1" -v b="$2" 'BEGIN { print (a <= b) ? 1 : 0 }'; }

finish() {
	if [ "$failed" = 0 ]; then echo "ok $check"; else echo "FAIL $check"; exit 1; fi
}

# mine [APP]: pids of live processes of this check's apps (of APP only,
# when given), anywhere on the machine: each inherits WORK_REL.
mine() {
	local p env
	for p in /proc/[0-9]*; do
		env=$({ tr '\0' '\n' <"$p/environ"; } 2>/dev/null) || continue
		grep -qx "WORK_REL=$work" <<<"$env" || continue
		grep -q "^TEND_APP=${1:-}" <<<"$env" || continue
		[ -z "${1:-}" ] || grep -qx "TEND_APP=$1" <<<"$env" || continue
		grep -q '^State:.*Z' "$p/status" 2>/dev/null && continue
		echo "${p#/proc/}"
	done
}
count_app() { mine "${1:-}" | wc -l; }

# rss_kb PID and peak_kb PID (VmHWM; reset with reset_peak PID).
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
reset_peak() { echo 5 > "/proc/$1/clear_refs"; }
fds() { ls "/proc/$1/fd" | wc -l; }
zombies_of() { ps -o stat= --ppid "$1" | grep -c '^Z' || true; }

# ms_p NUM CMD...: run CMD NUM times and print the median and p99 in ms.
ms_p() {
	local n=$1; shift
	local i s e
	for i in $(seq "$n"); do
		s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N)
		echo $(((e - s) / 1000))
	done | sort -n | awk '{ a[NR] = $1 } END { i = int(NR * 0.99); if (i < 1) i = 1; printf "%.1f %.1f\n", a[int(NR / 2) + 1] / 1000, a[i] / 1000 }'
}
