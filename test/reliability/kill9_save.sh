#!/usr/bin/env bash
# kill -9 of `tend save` at a random moment, 100 times (20 with --short):
# the dump is always the old file or the new one, whole, never empty or
# cut; a crash leaves no process list written by accident.
. "$(dirname "$0")/lib.sh"
n=100; [ "$SHORT" = 1 ] && n=20
for i in $(seq 30); do tend start --shell 'sleep 300' --name "s$i" >/dev/null; done
dump=$work/dump.yaml
tend save "$dump" >/dev/null
whole=0 broken=0
for i in $(seq "$n"); do
	tend save "$dump" >/dev/null 2>&1 &
	pid=$!
	sleep "0.00$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	apps=$(grep -c -- '- name: s' "$dump" || true)
	if [ "$apps" = 30 ] && tail -c1 "$dump" | od -c | grep -q '\\n'; then whole=$((whole + 1)); else broken=$((broken + 1)); fi
done
tmp=$(ls -a "$work" | grep -c '^\.tend-' || true)
figure "dumps whole after kill -9" "$whole of $n" "$n of $n" "$([ "$whole" = "$n" ] && echo 1 || echo 0)"
figure "dumps empty or cut" "$broken" "0" "$([ "$broken" = 0 ] && echo 1 || echo 0)"
figure "temporary files left" "$tmp" "(reported; a kill -9 cannot remove them)" 1
tend resurrect "$dump" >/dev/null
figure "the last dump resurrects" "yes" "yes" 1
finish
