"""Python's multiprocessing.Pool(PROCS): COUNT tasks through
imap_unordered with CHUNKSIZE.   python3 mp.py PROCS COUNT CHUNKSIZE '{"n":25}'"""
import json
import multiprocessing
import sys
import time


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def task(d):
    return d["echo"] if "echo" in d else {"n": d["n"], "fib": fib(d["n"])}


if __name__ == "__main__":
    procs, count, chunk, data = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
    with multiprocessing.Pool(procs) as pool:
        pool.map(task, [{"echo": 0}] * procs)  # the workers are up
        t0 = time.perf_counter()
        for _ in pool.imap_unordered(task, (data for _ in range(count)), chunksize=chunk):
            pass
        print(time.perf_counter() - t0)
