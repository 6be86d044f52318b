#!/bin/sh
# Runs for three seconds, then crashes: tend restarts it each time.
echo "flaky: up (pid $$), crashing in 3s"
sleep 3
echo "flaky: crashing with exit code 1" >&2
exit 1
