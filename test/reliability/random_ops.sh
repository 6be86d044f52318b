#!/usr/bin/env bash
# 20 clients doing random operations on 10 apps for 60s (10s with
# --short): every command gets an answer (exit 0, or 1 with a message),
# never a dropped connection or a panic; afterwards the daemon's memory
# and its store agree (the list is the same after a daemon restart).
. "$(dirname "$0")/lib.sh"
secs=60; [ "$SHORT" = 1 ] && secs=10
for i in $(seq 0 9); do tend start --shell 'sleep 300' --name "a$i" --kill-timeout 1s >/dev/null; done
client() {
	local end=$(($(date +%s) + secs)) ops=0 bad=0 a rc out
	while [ "$(date +%s)" -lt "$end" ]; do
		a="a$((RANDOM % 10))"
		case $((RANDOM % 9)) in
		0) out=$(tend stop "$a" 2>&1) ;;
		1) out=$(tend restart "$a" 2>&1) ;;
		2) out=$(tend reload "$a" 2>&1) ;;
		3) out=$(tend scale "$a" $((RANDOM % 3 + 1)) 2>&1) ;;
		4) out=$(tend delete "$a" 2>&1) ;;
		5) out=$(tend start --shell 'sleep 300' --name "$a" --kill-timeout 1s 2>&1) ;;
		6) out=$(tend start "$a" 2>&1) ;;
		7) out=$(tend ls 2>&1) ;;
		8) out=$(tend show "$a" 2>&1) ;;
		esac
		rc=$?
		ops=$((ops + 1))
		if [ $rc -gt 1 ] || { [ $rc = 1 ] && ! grep -q '^tend: ' <<<"$out"; } || grep -qiE 'EOF|connection reset|panic' <<<"$out"; then
			bad=$((bad + 1)); echo "rc $rc: $out" >>"$work/bad"
		fi
	done
	echo "$ops $bad" >>"$work/counts"
}
set +e
for c in $(seq 20); do client & done
wait
set -e
ops=$(awk '{ s += $1 } END { print s }' "$work/counts"); bad=$(awk '{ s += $2 } END { print s }' "$work/counts")
before=$(tend ls --json | tr -d ' \n' | grep -o '"id":"[^"]*"' | sort | tr '\n' ' ')
tend daemon stop >/dev/null
after=$(tend ls --json | tr -d ' \n' | grep -o '"id":"[^"]*"' | sort | tr '\n' ' ')
panics=$(grep -c '"level":"ERROR".*panic' "$TEND_HOME/daemon.log" || true)
figure "commands answered" "$ops" "> 0" "$([ "$ops" -gt 0 ] && echo 1 || echo 0)"
figure "commands without an answer" "$bad" "0" "$([ "$bad" = 0 ] && echo 1 || echo 0)"
[ "$bad" = 0 ] || head -5 "$work/bad"
figure "panics in daemon.log" "$panics" "0" "$([ "$panics" = 0 ] && echo 1 || echo 0)"
figure "same list after a restart" "$([ "$before" = "$after" ] && echo yes || echo no)" "yes" "$([ "$before" = "$after" ] && echo 1 || echo 0)"
[ "$before" = "$after" ] || { echo "before: $before"; echo "after:  $after"; }
finish
