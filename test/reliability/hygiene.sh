#!/usr/bin/env bash
# What a child gets and what input can do: a child sees only fds 0, 1, 2
# (and, with ipc on, its channel); an argument is never run by a shell; a
# name that could escape TEND_HOME/logs is refused; TEND_HOME and its
# files are private.
. "$(dirname "$0")/lib.sh"
tend start ls --name fds --ipc off --restart never -- /proc/self/fd >/dev/null
sleep 1
fds=$(tend logs fds --out --lines 10 | sed 's/.*| //' | sort -n | tr '\n' ' ')
figure "fds a child sees (ls's own is 3)" "$fds" "0 1 2 3" "$([ "$fds" = "0 1 2 3 " ] && echo 1 || echo 0)"
tend start echo --name inj --restart never -- '$(touch '"$work"'/pwned)' '; touch '"$work"'/pwned2' >/dev/null
sleep 0.5
pwned=$(ls "$work" | grep -c pwned || true)
figure "arguments run by a shell" "$pwned" "0" "$([ "$pwned" = 0 ] && echo 1 || echo 0)"
bad=0
for name in '../escape' 'a/b' '.hidden' 'x;rm' "$(printf 'a%.0s' $(seq 70))" all; do
	if tend start --shell 'sleep 1' --name "$name" >/dev/null 2>&1; then bad=$((bad + 1)); echo "accepted name: $name"; fi
done
figure "bad names accepted" "$bad" "0" "$([ "$bad" = 0 ] && echo 1 || echo 0)"
modes="$(stat -c %a "$TEND_HOME") $(stat -c %a "$TEND_HOME/tend.sock") $(stat -c %a "$TEND_HOME/state.db") $(stat -c %a "$TEND_HOME/daemon.log")"
figure "modes of home, socket, state, log" "$modes" "700 600 600 600" "$([ "$modes" = "700 600 600 600" ] && echo 1 || echo 0)"
finish
