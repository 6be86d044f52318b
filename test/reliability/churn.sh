#!/usr/bin/env bash
# Crash churn: an app that leaves a child behind and exits at once, run
# 2,000 times (300 with --short). Nothing may accumulate in the daemon:
# zombies, fds, goroutines, memory; and no run's child may outlive it.
. "$(dirname "$0")/lib.sh"
n=2000; [ "$SHORT" = 1 ] && n=300
status() { tend daemon status --json | tr -d ' \n'; }
field() { status | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
tend start --shell 'sleep 300' --name baseline >/dev/null
d=$(daemon_pid)
sleep 1
fd0=$(fds "$d"); rss0=$(rss_kb "$d"); g0=$(field goroutines)
start=$(date +%s)
tend start --shell '( sleep 300 & ); exit 3' --name churn --min-uptime 0 >/dev/null
while :; do
	r=$(tend show churn --json | tr -d ' \n' | sed -n 's/.*"restarts":\([0-9]*\).*/\1/p')
	[ "${r:-0}" -ge "$n" ] && break
	[ $(($(date +%s) - start)) -gt 600 ] && { echo "only $r restarts in 600s"; break; }
	sleep 0.5
done
secs=$(($(date +%s) - start))
z=$(zombies_of "$d"); fd1=$(fds "$d"); rss1=$(rss_kb "$d"); g1=$(field goroutines)
left=$(count_app churn)
tend stop churn >/dev/null
after_stop=$(count_app churn)
figure "restarts" "$r in ${secs}s" ">= $n" "$([ "${r:-0}" -ge "$n" ] && echo 1 || echo 0)"
figure "zombies of the daemon" "$z" "0" "$([ "$z" = 0 ] && echo 1 || echo 0)"
figure "daemon fds" "$fd0 -> $fd1" "+2 at most" "$(le "$fd1" $((fd0 + 2)))"
figure "daemon goroutines" "$g0 -> $g1" "+5 at most" "$(le "$g1" $((g0 + 5)))"
figure "daemon RSS (KB)" "$rss0 -> $rss1" "x1.5 +4096 at most" "$(le "$rss1" "$(awk -v a="$rss0" 'BEGIN { print a * 1.5 + 4096 }')")"
figure "processes of the app running" "$left" "<= 3 (one run)" "$(le "$left" 3)"
figure "processes after stop" "$after_stop" "0" "$([ "$after_stop" = 0 ] && echo 1 || echo 0)"
finish
