#!/usr/bin/env python3
"""The pool's worker beyond one machine: the same work() as worker.py,
taking its tasks from Redis instead of tend's queue, so that the queue
outlives any machine. Standard library only (a few lines of RESP).

Redis' reliable-queue pattern: BLMOVE takes a task from `tasks` into
`processing` in one step, the answer goes to `results`, and only then is
the task removed from `processing`: a worker that dies mid-task leaves
its task there to be queued again. A task is {"id": …, "data": …}; an
answer {"id": …, "result": …} or {"id": …, "error": …}.

    REDIS_ADDR=127.0.0.1:6379 python3 broker_worker.py
"""
import json
import os
import signal
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from worker import work  # noqa: E402  the task function, unchanged


class Redis:
    """Just enough of the Redis protocol for the pattern above."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.rx = self.sock.makefile("rb")

    def call(self, *args):
        parts = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        out = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        self.sock.sendall(out)
        return self.read()

    def read(self):
        line = self.rx.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.rx.read(n + 2)[:-2]
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)


def main():
    r = Redis(os.environ.get("REDIS_ADDR", "127.0.0.1:6379"))
    stopping = []
    # A stop (SIGTERM) lets the task in hand finish; tend's kill_timeout
    # bounds how long.
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
    print("consuming from tasks", flush=True)
    while not stopping:
        raw = r.call("BLMOVE", "tasks", "processing", "RIGHT", "LEFT", "1")
        if raw is None:
            continue  # a second with nothing: look at stopping again
        task = json.loads(raw)
        try:
            answer = {"id": task.get("id"), "result": work(task.get("data"))}
        except Exception as e:  # the task's failure, not the worker's
            answer = {"id": task.get("id"), "error": str(e)}
        r.call("LPUSH", "results", json.dumps(answer))
        r.call("LREM", "processing", "1", raw)


if __name__ == "__main__":
    main()
