#!/usr/bin/env bash
# 20 first CLIs at once, with no daemon: each gets its answer and exactly
# one daemon starts.
. "$(dirname "$0")/lib.sh"
n=20
for i in $(seq "$n"); do
	(tend start --shell 'sleep 300' --name "c$i" >/dev/null 2>"$work/err$i"; echo $? >"$work/rc$i") &
done
wait
bad=0
for i in $(seq "$n"); do [ "$(cat "$work/rc$i")" = 0 ] || bad=$((bad + 1)); done
daemons=$(grep -c '"msg":"daemon starting"' "$TEND_HOME/daemon.log")
apps=$(tend ls --json | grep -c '"status": "\(starting\|online\)"')
figure "CLIs that failed" "$bad of $n" "0" "$([ "$bad" = 0 ] && echo 1 || echo 0)"
figure "daemons started" "$daemons" "1" "$([ "$daemons" = 1 ] && echo 1 || echo 0)"
figure "apps running" "$apps" "$n" "$([ "$apps" = "$n" ] && echo 1 || echo 0)"
finish
