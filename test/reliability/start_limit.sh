#!/usr/bin/env bash
# The start limit: an app that exits at once and counts as stable
# (min_uptime 0) is restarted at most 10 times a second, not as fast as
# the machine forks; a run that lasts resets nothing it should not. The
# events are read with --since: the last 50 (the default) hold about one
# second of this loop, and the limit is named about once a second.
. "$(dirname "$0")/lib.sh"
secs=5; [ "$SHORT" = 1 ] && secs=3
tend start --shell 'exit 0' --name quick --min-uptime 0 >/dev/null
sleep "$secs"
r=$(tend show quick --json | tr -d ' \n' | grep -o '"restarts":[0-9]*' | cut -d: -f2)
limited=$(tend events quick --since 1h | grep -c 'start limit (10 in 1s)' || true)
tend stop quick >/dev/null
figure "restarts in ${secs}s" "$r" "<= $((secs * 10 + 10))" "$(le "$r" $((secs * 10 + 10)))"
figure "restarts in ${secs}s, at least" "$r" ">= $((secs * 10 - 10))" "$([ "$r" -ge $((secs * 10 - 10)) ] && echo 1 || echo 0)"
figure "events that name the limit" "$limited" "> 0" "$([ "$limited" -gt 0 ] && echo 1 || echo 0)"
finish
