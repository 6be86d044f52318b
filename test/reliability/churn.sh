#!/usr/bin/env bash
# Crash churn: an app that leaves a child behind and exits at once, run
# 2,000 times (300 with --short) over 10 instances (the start limit lets
# each start 10 times a second). Nothing may accumulate in the daemon:
# zombies, fds, goroutines, memory; and no run's child may outlive it.
. "$(dirname "$0")/lib.sh"
n=2000; [ "$SHORT" = 1 ] && n=300
status() { tend daemon status --json | tr -d ' \n'; }
field() { status | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
restarts() { tend show churn --json | tr -d ' \n' | grep -o '"restarts":[0-9]*' | awk -F: '{ s += $2 } END { print s + 0 }'; }
until_restarts() {
	while [ "$(restarts)" -lt "$1" ]; do
		[ $(($(date +%s) - start)) -gt 600 ] && { echo "only $(restarts) restarts in 600s"; break; }
		sleep 0.5
	done
}
tend start --shell 'sleep 300' --name baseline >/dev/null
d=$(daemon_pid)
sleep 1
fd0=$(fds "$d"); rss0=$(rss_kb "$d"); g0=$(field goroutines)
start=$(date +%s)
tend start --shell '( sleep 300 & ); exit 3' --name churn --min-uptime 0 -i 10 >/dev/null
until_restarts "$n"
r=$(restarts)
secs=$(($(date +%s) - start))
tend stop churn >/dev/null
after_stop=$(count_app churn)
# Measured with the churn stopped: its 10 instances remain (an owner
# goroutine each), their runs are gone and must have left nothing.
sleep 1
z=$(zombies_of "$d"); fd1=$(fds "$d"); rss1=$(rss_kb "$d"); g1=$(field goroutines)
figure "restarts" "$r in ${secs}s" ">= $n" "$([ "${r:-0}" -ge "$n" ] && echo 1 || echo 0)"
figure "zombies of the daemon" "$z" "0" "$([ "$z" = 0 ] && echo 1 || echo 0)"
figure "daemon fds" "$fd0 -> $fd1" "+2 at most" "$(le "$fd1" $((fd0 + 2)))"
figure "daemon goroutines" "$g0 -> $g1" "+10 owners +5" "$(le "$g1" $((g0 + 15)))"
figure "daemon RSS (KB)" "$rss0 -> $rss1" "x1.5 +4096 at most" "$(le "$rss1" "$(awk -v a="$rss0" 'BEGIN { print a * 1.5 + 4096 }')")"
figure "processes after stop" "$after_stop" "0" "$([ "$after_stop" = 0 ] && echo 1 || echo 0)"
finish
