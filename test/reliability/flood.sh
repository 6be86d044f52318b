#!/usr/bin/env bash
# A flood beside quiet apps: one app writes as fast as it can while a
# quiet one prints its own clock every 20ms; the quiet app's lines reach
# its log with little delay (the stamp tend puts on each line minus the
# app's own time).
. "$(dirname "$0")/lib.sh"
secs=10; [ "$SHORT" = 1 ] && secs=4
tend start --shell 'yes flooding-the-daemon-with-lines-as-fast-as-it-can' --name flood >/dev/null
tend start --shell 'while :; do date +%s%3N; sleep 0.02; done' --name quiet >/dev/null
sleep "$secs"
tend stop all >/dev/null
read -r n p50 p99 <<<"$(awk '{ split($1, t, /[T:.Z]/); ms = ((t[2]*60 + t[3])*60 + t[4])*1000 + t[5]; app = $2 % 86400000; d = ms - app; if (d < 0) d += 86400000; print d }' "$TEND_HOME/logs/quiet-0-out.log" | sort -n | awk '{ a[NR] = $1 } END { print NR, a[int(NR/2)+1], a[int(NR*0.99)] }')"
flood_mb=$(($(cat "$TEND_HOME"/logs/flood-0-out* | wc -c) / 1048576))
figure "flood written" "${flood_mb}MB in ${secs}s" "-" 1
figure "quiet lines" "$n" "> $((secs * 20))" "$([ "$n" -gt $((secs * 20)) ] && echo 1 || echo 0)"
figure "quiet line delay p50 (ms)" "$p50" "< 20" "$(le "$p50" 20)"
figure "quiet line delay p99 (ms)" "$p99" "< 100" "$(le "$p99" 100)"
finish
