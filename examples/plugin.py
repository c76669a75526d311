#!/usr/bin/env python3
"""A connector plugin as the platform runs them: a JSON request on stdin, a
JSON result on stdout, nothing else. It uses what real plugins use (threads,
a subprocess, sqlite3 and a temporary file under /tmp) and reports what the
sandbox looks like from inside, so a run shows both that the plugin works
and that it is confined."""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading


def summarise(records):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE r (name TEXT, value REAL)")
    db.executemany("INSERT INTO r VALUES (?, ?)", [(r["name"], r["value"]) for r in records])
    count, total = db.execute("SELECT COUNT(*), COALESCE(SUM(value), 0) FROM r").fetchone()
    return {"count": count, "total": total}


def sandbox_facts():
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\t" in line)
    try:
        with open("/probe", "w"):
            pass
        root = "writable"
    except OSError as e:
        root = os.strerror(e.errno)
    return {
        "pid": os.getpid(),
        "uid": os.getuid(),
        "hostname": os.uname().nodename,
        "visible_pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "cap_eff": status["CapEff"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
        "seccomp": status["Seccomp"].strip(),
        "root": root,
        "open_fds": sorted(int(fd) for fd in os.listdir("/proc/self/fd")),
    }


def main():
    raw = sys.stdin.read()
    request = json.loads(raw) if raw.strip() else {"records": []}
    results = {}
    worker = threading.Thread(target=lambda: results.update(summary=summarise(request.get("records", []))))
    worker.start()
    worker.join()
    with tempfile.NamedTemporaryFile("w", dir="/tmp", delete=True) as f:
        f.write(raw)
        f.flush()
        spooled = os.path.getsize(f.name)
    kernel = subprocess.run(["uname", "-sr"], capture_output=True, text=True, check=True).stdout.strip()
    json.dump({"status": "ok", "summary": results["summary"], "spooled_bytes": spooled, "kernel": kernel,
               "sandbox": sandbox_facts()}, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
