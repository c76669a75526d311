#!/usr/bin/env python3
"""Plugin-like Python workload for establishing/validating the seccomp profile.

Every section really runs and asserts its result; on success it prints one JSON
object with "ok": true and exits 0.  Scratch files go under /tmp only.
"""
import asyncio
import fcntl
import hashlib
import json
import os
import random
import resource
import select
import shutil
import signal
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import tempfile
import threading
import time

results = {}


def check_json():
    doc = {"a": [1, 2.5, "x", None, True], "b": {"c": "\u00e9"}}
    assert json.loads(json.dumps(doc)) == doc
    results["json"] = True


def check_threads():
    lock = threading.Lock()
    counter = [0]
    seen = set()
    barrier = threading.Barrier(4, timeout=30)  # all four alive at once

    def work(n):
        for _ in range(1000):
            with lock:
                counter[0] += 1
        with lock:
            seen.add(threading.get_ident())
        barrier.wait()
        time.sleep(0.01)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counter[0] == 4000, counter[0]
    assert len(seen) == 4
    ev = threading.Event()
    timer = threading.Timer(0.01, ev.set)
    timer.start()
    assert ev.wait(5)
    timer.join()
    results["threads"] = len(seen)


def check_subprocess():
    r = subprocess.run(["/bin/true"])
    assert r.returncode == 0
    out = subprocess.run(["uname", "-s"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "Linux", out
    r = subprocess.run(["/bin/false"])
    assert r.returncode == 1
    results["subprocess"] = out.strip()


async def _tick(i):
    await asyncio.sleep(0.01 * i)
    return i * i


async def _async_main():
    vals = await asyncio.gather(*(_tick(i) for i in range(5)))
    assert vals == [0, 1, 4, 9, 16], vals
    proc = await asyncio.create_subprocess_exec(
        "uname", "-s", stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    assert out.strip() == b"Linux", out
    r, w = os.pipe()
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    loop.add_reader(r, lambda: fut.set_result(os.read(r, 10)))
    loop.call_later(0.01, os.write, w, b"ping")
    assert await asyncio.wait_for(fut, 5) == b"ping"
    loop.remove_reader(r)
    os.close(r)
    os.close(w)
    await loop.run_in_executor(None, time.sleep, 0.01)
    return vals


def check_asyncio():
    vals = asyncio.run(_async_main())
    results["asyncio"] = sum(vals)


def check_sqlite():
    for target in (":memory:", None):
        if target is None:
            fd, path = tempfile.mkstemp(prefix="plugin-", suffix=".db", dir="/tmp")
            os.close(fd)
        else:
            path = target
        con = sqlite3.connect(path)
        con.execute("create table t (k integer primary key, v text)")
        con.executemany("insert into t (v) values (?)", [("x%d" % i,) for i in range(100)])
        con.commit()
        (n,) = con.execute("select count(*) from t").fetchone()
        assert n == 100
        con.close()
        if target is None:
            con = sqlite3.connect(path)
            (n,) = con.execute("select count(*) from t where v like 'x1%'").fetchone()
            assert n == 11, n
            con.close()
            os.unlink(path)
            assert not os.path.exists(path)
    results["sqlite3"] = sqlite3.sqlite_version


def check_tempfile():
    with tempfile.TemporaryDirectory(dir="/tmp") as d:
        assert d.startswith("/tmp/")
        p = os.path.join(d, "f.txt")
        with open(p, "w") as f:
            f.write("hello\n" * 100)
        os.rename(p, p + ".2")
        st = os.stat(p + ".2")
        assert st.st_size == 600
        os.mkdir(os.path.join(d, "sub"))
        assert sorted(os.listdir(d)) == ["f.txt.2", "sub"]
    assert not os.path.exists(d)
    with tempfile.NamedTemporaryFile(dir="/tmp") as f:
        f.write(b"abc")
        f.flush()
        f.seek(0)
        assert f.read() == b"abc"
    results["tempfile"] = True


def check_unix_sockets():
    a, b = socket.socketpair()
    a.sendall(b"hello")
    assert b.recv(5) == b"hello"
    a.close()
    b.close()

    d = tempfile.mkdtemp(dir="/tmp")
    path = os.path.join(d, "sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    got = []

    def serve():
        conn, _ = srv.accept()
        with conn:
            data = conn.recv(64)
            got.append(data)
            conn.sendall(data.upper())

    t = threading.Thread(target=serve)
    t.start()
    cli = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    cli.settimeout(5)
    cli.connect(path)
    cli.sendall(b"ping")
    assert cli.recv(64) == b"PING"
    cli.close()
    t.join()
    srv.close()
    os.unlink(path)
    os.rmdir(d)
    assert got == [b"ping"]
    results["unix_sockets"] = True


def check_ssl():
    ctx = ssl.create_default_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED
    ctx2 = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert ctx2.check_hostname
    results["ssl"] = ssl.OPENSSL_VERSION


def check_misc():
    n = os.cpu_count()
    assert n and n >= 1
    t0 = time.monotonic()
    time.sleep(0.01)
    assert time.monotonic() > t0
    assert time.time() > 1.5e9
    time.perf_counter()
    time.process_time()
    assert time.strftime("%Y", time.localtime()) >= "2020"
    r = random.Random(42).random()
    assert 0 <= r < 1
    sysrand = random.SystemRandom().random()
    assert 0 <= sysrand < 1
    assert len(os.urandom(16)) == 16
    assert hashlib.sha256(b"abc").hexdigest().startswith("ba7816bf")
    assert hashlib.md5(b"").hexdigest() == "d41d8cd98f00b204e9800998ecf8427e"
    results["cpu_count"] = n


def check_files_extra():
    """What plugins commonly do with files beyond open/read/write."""
    d = tempfile.mkdtemp(dir="/tmp")
    src = os.path.join(d, "src.bin")
    with open(src, "wb") as f:
        f.write(os.urandom(4096))
        f.flush()
        os.fsync(f.fileno())
    os.chmod(src, 0o640)
    os.utime(src, (1_600_000_000, 1_600_000_000))
    dst = shutil.copy2(src, os.path.join(d, "dst.bin"))
    st = os.stat(dst)
    assert stat.S_IMODE(st.st_mode) == 0o640 and int(st.st_mtime) == 1_600_000_000
    with open(src, "rb") as a, open(dst, "rb") as b:
        assert a.read() == b.read()
    os.symlink("dst.bin", os.path.join(d, "link"))
    assert os.readlink(os.path.join(d, "link")) == "dst.bin"
    os.link(dst, os.path.join(d, "hard"))
    assert os.stat(dst).st_nlink == 2
    os.truncate(dst, 100)
    assert os.path.getsize(os.path.join(d, "hard")) == 100
    with open(dst, "r+b") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.truncate(10)
        fcntl.flock(f, fcntl.LOCK_UN)
    os.makedirs(os.path.join(d, "x", "y"))
    names = sorted(e.name for e in os.scandir(d))
    assert names == ["dst.bin", "hard", "link", "src.bin", "x"], names
    assert sum(len(fs) for _, _, fs in os.walk(d)) == 4
    shutil.rmtree(d)
    assert not os.path.exists(d)
    results["files_extra"] = True


def check_process_extra():
    """Signals, timeouts, resource usage, select, socket options, fd passing."""
    got = []
    old = signal.signal(signal.SIGUSR1, lambda s, f: got.append(s))
    os.kill(os.getpid(), signal.SIGUSR1)
    signal.signal(signal.SIGUSR1, old)
    assert got == [signal.SIGUSR1]

    p = subprocess.Popen(["sleep", "10"])
    try:
        p.wait(timeout=0.05)
        raise AssertionError("sleep 10 ended early")
    except subprocess.TimeoutExpired:
        pass
    p.terminate()
    assert p.wait(timeout=10) == -signal.SIGTERM
    try:
        subprocess.run(["sleep", "10"], timeout=0.1)
        raise AssertionError("no timeout")
    except subprocess.TimeoutExpired:
        pass

    ru = resource.getrusage(resource.RUSAGE_SELF)
    assert ru.ru_maxrss > 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft > 0
    assert os.times().elapsed >= 0

    r, w = os.pipe()
    assert select.select([r], [], [], 0) == ([], [], [])
    os.write(w, b"x")
    assert select.select([r], [], [], 5)[0] == [r]
    assert os.read(r, 1) == b"x"
    os.close(r)
    os.close(w)

    a, b = socket.socketpair()
    a.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
    assert a.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF) > 0
    a.getpeername()
    r, w = os.pipe()
    socket.send_fds(a, [b"fd"], [w])
    msg, fds, _, _ = socket.recv_fds(b, 16, 1)
    assert msg == b"fd" and len(fds) == 1
    os.write(fds[0], b"y")
    assert os.read(r, 1) == b"y"
    for fd in (r, w, fds[0]):
        os.close(fd)
    a.shutdown(socket.SHUT_WR)
    assert b.recv(1) == b""
    a.close()
    b.close()
    results["process_extra"] = True


def check_event_primitives():
    """What event loops and process managers reach for beyond the basics:
    new sessions, eventfd, memfd, pidfd, interval timers and alarms."""
    p = subprocess.run([sys.executable, "-c", "import os; print(os.getsid(0) == os.getpid())"],
                       start_new_session=True, capture_output=True, text=True, check=True)
    assert p.stdout.strip() == "True", p.stdout
    efd = os.eventfd(0)
    os.eventfd_write(efd, 3)
    assert os.eventfd_read(efd) == 3
    os.close(efd)
    mfd = os.memfd_create("plugin-scratch")
    os.write(mfd, b"abc")
    assert os.pread(mfd, 3, 0) == b"abc"
    os.close(mfd)
    child = subprocess.Popen(["/bin/true"])
    pfd = os.pidfd_open(child.pid)
    select.select([pfd], [], [], 5)
    child.wait()
    os.close(pfd)
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 0.01)
    assert signal.getitimer(signal.ITIMER_REAL)[0] <= 0.01
    deadline = time.monotonic() + 2
    while not fired and time.monotonic() < deadline:
        time.sleep(0.005)
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)
    assert fired
    results["event_primitives"] = True


def main():
    check_json()
    check_threads()
    check_subprocess()
    check_asyncio()
    check_sqlite()
    check_tempfile()
    check_unix_sockets()
    check_ssl()
    check_misc()
    check_files_extra()
    check_process_extra()
    check_event_primitives()
    results["ok"] = True
    results["python"] = sys.version.split()[0]
    print(json.dumps(results, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
