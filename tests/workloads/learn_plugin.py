#!/usr/bin/env python3
"""A connector-shaped plugin for learning a profile: reads a JSON request on
stdin, uses threads, a subprocess, sqlite3 and a temporary file under /tmp,
and prints one deterministic JSON result."""
import json
import sqlite3
import subprocess
import sys
import tempfile
import threading

request = json.load(sys.stdin)
rows = request["rows"]

squares = {}
workers = [threading.Thread(target=lambda n=n: squares.__setitem__(n, n * n)) for n in rows]
for w in workers:
    w.start()
for w in workers:
    w.join()

with tempfile.NamedTemporaryFile("w+", dir="/tmp", suffix=".db", delete=True) as scratch:
    db = sqlite3.connect(scratch.name)
    db.execute("create table t (n integer, sq integer)")
    db.executemany("insert into t values (?, ?)", sorted(squares.items()))
    total = db.execute("select sum(sq) from t").fetchone()[0]
    db.close()

echo = subprocess.run(["sort", "-r"], input="\n".join(map(str, rows)) + "\n",
                      capture_output=True, text=True, check=True).stdout.split()

print(json.dumps({"name": request["name"], "total": total, "reversed": echo}, sort_keys=True))
