#!/usr/bin/env bash
# tend run as PID 1 (unshare --pid): 2,000 orphans are reaped (no zombie
# left), and tend run exits with the app's code: each of 0-255 as given,
# a kill by signal as 128+signal.
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] && command -v unshare >/dev/null || { echo "needs root and unshare"; exit 1; }
n=2000; [ "$SHORT" = 1 ] && n=500
cat >"$work/orphans.yaml" <<YAML
apps:
  - name: orphans
    cmd: i=0; while [ \$i -lt $n ]; do (sleep 0.01 &) ; i=\$((i+1)); done; sleep 1; ps -eo stat | grep -c '^Z' > $work/zombies; exit 0
    autorestart: never
YAML
unshare --pid --fork --mount-proc "$bin" run "$work/orphans.yaml" >"$work/run.out" 2>&1 || true
z=$(cat "$work/zombies" 2>/dev/null || echo missing)
figure "zombies after $n orphans" "$z" "0" "$([ "$z" = 0 ] && echo 1 || echo 0)"
codes=(0 1 2 3 42 64 100 126 127 128 200 254 255); [ "$SHORT" = 1 ] || codes=($(seq 0 255))
wrong=0
for c in "${codes[@]}"; do
	printf 'apps:\n  - name: e\n    cmd: exit %d\n    autorestart: never\n' "$c" >"$work/e.yaml"
	got=0; unshare --pid --fork --mount-proc "$bin" run "$work/e.yaml" >/dev/null 2>&1 || got=$?
	[ "$got" = "$c" ] || { wrong=$((wrong + 1)); echo "exit $c: tend run exited $got"; }
done
figure "exit codes passed on" "$((${#codes[@]} - wrong)) of ${#codes[@]}" "all" "$([ "$wrong" = 0 ] && echo 1 || echo 0)"
for s in 9 15 6; do
	printf 'apps:\n  - name: k\n    cmd: kill -%d $$\n    autorestart: never\n' "$s" >"$work/k.yaml"
	got=0; unshare --pid --fork --mount-proc "$bin" run "$work/k.yaml" >/dev/null 2>&1 || got=$?
	figure "killed by signal $s" "exit $got" "$((128 + s))" "$([ "$got" = $((128 + s)) ] && echo 1 || echo 0)"
done
finish
