#!/usr/bin/env python3
"""A task pool's worker in Python, with the standard library only.

tend hands each worker its end of the IPC channel as the fd in
TEND_IPC_FD: one JSON value a line, both ways. Tasks come as
{"type":"task","id":…,"data":…}; each answer is a line
{"type":"result","id":…,"data":…} or {"type":"error","id":…,"message":…}.
"""
import json
import os
import sys
import time

sys.setrecursionlimit(10000)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def work(data):
    if isinstance(data, dict) and "echo" in data:
        return data["echo"]
    if isinstance(data, dict) and "sleep" in data:  # a slow task: seconds
        time.sleep(float(data["sleep"]))
        return data["sleep"]
    n = data.get("n") if isinstance(data, dict) else None
    if not isinstance(n, int) or n < 0 or n > 35:
        raise ValueError('want {"n": 0…35}')
    return {"n": n, "fib": fib(n)}


def main():
    fd = int(os.environ["TEND_IPC_FD"])
    rx = os.fdopen(fd, "rb")
    tx = os.fdopen(os.dup(fd), "wb", buffering=0)

    def say(msg):
        tx.write(json.dumps(msg, separators=(",", ":")).encode() + b"\n")

    say({"type": "ready"})
    for line in rx:
        msg = json.loads(line)
        if msg.get("type") != "task":
            continue  # tend send's messages, shutdown
        try:
            say({"type": "result", "id": msg["id"], "data": work(msg.get("data"))})
        except Exception as e:  # the task's failure, not the worker's
            say({"type": "error", "id": msg["id"], "message": str(e)})


if __name__ == "__main__":
    main()
