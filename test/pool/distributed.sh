#!/usr/bin/env bash
# docs/pool.md's worked example, end to end against a real redis-server:
# two consumers under tend answer every task; a consumer killed mid-task
# leaves its task in `processing` (the broker keeps it, as tend's own pool
# would not); tend export kubernetes makes the Deployment.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install -y redis-server)"; exit 1; }
work=$(mktemp -d /tmp/tend-distributed.XXXXXX)
cleanup() {
	TEND_HOME=$work/home "$work/bin/tend" daemon stop >/dev/null 2>&1 || true
	[ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
go build -o "$work/bin/tend" ./cmd/tend
export TEND_HOME=$work/home
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --save '' --appendonly no --daemonize yes --pidfile "$work/redis.pid" >/dev/null
cli() { redis-cli -p "$port" "$@"; }
for _ in $(seq 50); do cli ping >/dev/null 2>&1 && break; sleep 0.1; done

cp -r examples/pool "$work/pool"
sed -i "s/127.0.0.1:6379/127.0.0.1:$port/" "$work/pool/distributed/ecosystem.yaml"
"$work/bin/tend" start "$work/pool/distributed/ecosystem.yaml" >/dev/null
for _ in $(seq 100); do [ "$("$work/bin/tend" logs fib-consumer --out --lines 10 | grep -c 'consuming from tasks')" = 2 ] && break; sleep 0.1; done

# Every task answered once, by one of the two.
for i in $(seq 20); do cli LPUSH tasks "{\"id\":\"t$i\",\"data\":{\"n\":$i}}" >/dev/null; done
got=0
for _ in $(seq 20); do
	a=$(cli BRPOP results 10 | tail -1)
	[ -n "$a" ] || { echo "FAIL: an answer did not come within 10 s"; exit 1; }
	got=$((got + 1))
done
echo "answers: $got of 20; processing left: $(cli LLEN processing)"
[ "$(cli LLEN processing)" = 0 ] || { echo "FAIL: tasks left in processing"; exit 1; }
cli LPUSH tasks '{"id":"bad","data":{"n":99}}' >/dev/null
a=$(cli BRPOP results 10 | tail -1)
echo "a refused task: $a"
echo "$a" | grep -q '"error": "want' || { echo "FAIL: no error for a bad task"; exit 1; }

# A consumer killed mid-task: its task stays in processing, not lost.
cli LPUSH tasks '{"id":"slow","data":{"sleep":30}}' >/dev/null
for _ in $(seq 50); do [ "$(cli LLEN processing)" = 1 ] && break; sleep 0.1; done
for p in $(pgrep -f "$work/pool/distributed/broker_worker.py"); do kill -9 "$p"; done
sleep 0.5
echo "after kill -9 of the consumers: processing holds $(cli LRANGE processing 0 -1)"
cli LRANGE processing 0 -1 | grep -q '"id":"slow"' || { echo "FAIL: the killed consumer's task is gone"; exit 1; }

# The same program as a Kubernetes Deployment.
"$work/bin/tend" export kubernetes "$work/pool/distributed/ecosystem.yaml" --image fib-worker:1 >"$work/k8s.yaml"
grep -q 'kind: Deployment' "$work/k8s.yaml" && grep -q 'replicas: 2' "$work/k8s.yaml" && grep -q REDIS_ADDR "$work/k8s.yaml" ||
	{ echo "FAIL: the export"; cat "$work/k8s.yaml"; exit 1; }
echo "tend export kubernetes: a Deployment, replicas 2, REDIS_ADDR set"
echo ok
