#!/usr/bin/env bash
# kill -9 of the daemon while apps write numbered lines: no process of an
# app survives it (the keeper ends the trees), the next daemon brings each
# app back once, and every log file holds whole lines, each number once
# per run, in order.
. "$(dirname "$0")/lib.sh"
rounds=5; [ "$SHORT" = 1 ] && rounds=2
for i in 1 2 3; do
	tend start --shell 'i=0; while :; do i=$((i+1)); echo "n $i"; done' --name "w$i" --time false >/dev/null 2>&1 ||
		tend start --shell 'i=0; while :; do i=$((i+1)); echo "n $i"; done' --name "w$i" >/dev/null
done
survivors=0
for r in $(seq "$rounds"); do
	sleep 1
	d=$(daemon_pid)
	kill -9 "$d"
	for _ in $(seq 50); do [ "$(count_app)" = 0 ] && break; sleep 0.1; done
	survivors=$((survivors + $(count_app)))
	tend ls >/dev/null # the next daemon restores them
done
sleep 1
per_app=$(for i in 1 2 3; do count_app "w$i"; done | sort -u | tr '\n' ' ')
tend stop all >/dev/null
bad=0 lines=0
for f in "$TEND_HOME"/logs/w*-out.log; do
	# Lines are "[stamp ]n N"; a run starts again at 1; within a run each
	# number is the last plus one. A file rotated away at 10M leaves the
	# current one starting anywhere.
	r=$(awk '{ n = $NF; if ($(NF-1) != "n" || n !~ /^[0-9]+$/) { bad++; next } lines++; if (NR > 1 && n != 1 && n != last + 1) bad++; last = n } END { print lines+0, bad+0 }' "$f")
	lines=$((lines + ${r% *})); bad=$((bad + ${r#* }))
	awk '{ n = $NF; if ($(NF-1) != "n" || n !~ /^[0-9]+$/) { print FILENAME ": " $0; next } if (NR > 1 && n != 1 && n != last + 1) print FILENAME ": after " last ": " $0; last = n }' "$f" | head -3
done
figure "app processes alive after kill -9" "$survivors" "0" "$([ "$survivors" = 0 ] && echo 1 || echo 0)"
figure "processes per app after restore" "$per_app" "1" "$([ "$per_app" = "1 " ] && echo 1 || echo 0)"
figure "log lines checked" "$lines" "> 0" "$([ "$lines" -gt 0 ] && echo 1 || echo 0)"
figure "torn, doubled or out-of-order lines" "$bad" "0" "$([ "$bad" = 0 ] && echo 1 || echo 0)"
finish
