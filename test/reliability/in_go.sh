#!/usr/bin/env bash
# The checks that need a seam only a Go test has, run as they are in the
# suite: a full disk (a 256 KiB tmpfs: lines counted, a marker line of its
# own, other apps go on), a stalled disk, an IPC child that never reads
# (the daemon answers, memory flat), fd hygiene (a child sees only 0 1 2
# and its own), racing commands on one app (200 rounds under -race), a
# thousand crash restarts (fds and goroutines flat), the API's limits
# (1 MiB body, 10s header, 30s body, 2 min idle, a panic answered 500).
. "$(dirname "$0")/lib.sh"
cd "$repo"
run() {
	local name=$1; shift
	if out=$(go test -count=1 "$@" 2>&1); then figure "$name" "pass" "pass" 1; else figure "$name" "FAIL" "pass" 0; echo "$out" | tail -20; fi
}
run "full disk" ./internal/supervisor -run 'TestFullDisk'
run "stalled disk" ./internal/supervisor -run 'Stall'
run "IPC child never reads" ./internal/ipc -run 'NeverReads'
run "racing commands, 200 rounds" -race ./internal/supervisor -run 'TestRacingCommandsOnOneApp'
run "1000 crash restarts" ./internal/supervisor -run 'TestThousandCrash'
run "idle apps stay small" ./internal/supervisor -run 'TestIdleAppsStaySmall'
run "API limits and panics" ./internal/api -run 'Limit|413|Slow|Idle|Panic'
finish
