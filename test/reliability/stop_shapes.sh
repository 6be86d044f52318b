#!/usr/bin/env bash
# Graceful stop of every tree shape: after `tend stop` returns, no process
# of the app is left, and the stop took about as long as the shape asks
# (a tree that ignores SIGTERM waits for kill_timeout, 1s here).
. "$(dirname "$0")/lib.sh"
declare -A shapes=(
	[plain]='exec sleep 300'
	[child]='sleep 300 & wait'
	[grandchildren]='sh -c "sleep 300 & sleep 301 & wait" & wait'
	[setsid]='setsid sleep 300 & wait'
	[doublefork]='( setsid sleep 300 & ); sleep 300'
	[orphans]='( sleep 300 & sleep 301 & ) ; sleep 300'
	[ignoreterm]='trap "" TERM; sleep 300 & wait; sleep 300'
	[deep]='sh -c "sh -c \"sh -c \\\"sleep 300\\\" & wait\" & wait" & wait'
)
for s in "${!shapes[@]}"; do
	tend start --shell "${shapes[$s]}" --name "$s" --kill-timeout 1s --min-uptime 0 >/dev/null
done
sleep 1.5
for s in $(printf '%s\n' "${!shapes[@]}" | sort); do
	before=$(count_app "$s")
	t0=$(date +%s%N)
	tend stop "$s" >/dev/null
	ms=$((($(date +%s%N) - t0) / 1000000))
	after=$(count_app "$s")
	bar="0 left"; limit=900; [ "$s" = ignoreterm ] && limit=1900
	figure "$s: $before procs, stop" "${ms}ms, $after left" "0 left, < ${limit}ms" "$([ "$after" = 0 ] && [ "$ms" -lt "$limit" ] && echo 1 || echo 0)"
done
finish
