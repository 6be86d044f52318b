#!/usr/bin/env bash
# 500 apps at once (100 with --short): started in one command, `tend ls`
# answers fast, and stop all / delete all keep the daemon's peak RSS
# within 1.5x its RSS with them running.
. "$(dirname "$0")/lib.sh"
n=500; [ "$SHORT" = 1 ] && n=100
{ echo "apps:"; for i in $(seq "$n"); do printf '  - name: s%d\n    script: sleep\n    args: ["300"]\n' "$i"; done; } >"$work/apps.yaml"
t0=$(date +%s%N)
tend start "$work/apps.yaml" >/dev/null
start_ms=$((($(date +%s%N) - t0) / 1000000))
d=$(daemon_pid)
sleep 3
read -r med p99 <<<"$(ms_p 20 tend ls)"
running=$(rss_kb "$d")
reset_peak "$d"; tend stop all >/dev/null; stop_peak=$(peak_kb "$d")
tend start all >/dev/null; sleep 3; running2=$(rss_kb "$d")
reset_peak "$d"; tend delete all >/dev/null; del_peak=$(peak_kb "$d")
left=$(count_app)
figure "start $n apps" "${start_ms}ms" "< 10000ms" "$(le "$start_ms" 10000)"
figure "tend ls with $n apps, median" "${med}ms" "< 100ms" "$(le "$med" 100)"
figure "tend ls with $n apps, p99" "${p99}ms" "< 200ms" "$(le "$p99" 200)"
figure "daemon RSS running (KB)" "$running" "-" 1
figure "stop all: peak RSS (KB)" "$stop_peak" "<= 1.5 x $running" "$(le "$stop_peak" "$(awk -v a="$running" 'BEGIN { print a * 1.5 }')")"
figure "delete all: peak RSS (KB)" "$del_peak" "<= 1.5 x $running2" "$(le "$del_peak" "$(awk -v a="$running2" 'BEGIN { print a * 1.5 }')")"
figure "processes left" "$left" "0" "$([ "$left" = 0 ] && echo 1 || echo 0)"
finish
