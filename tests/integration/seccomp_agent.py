"""A seccomp agent for the tests (the OCI runtime spec's listenerPath): it
listens on a unix socket, takes each connection's container process state
and listener, and answers every call the filter hands it: with an errno
when given one, else by letting it through (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
"""

import fcntl
import json
import os
import select
import socket
import struct
import threading

# <linux/seccomp.h>: _IOWR('!', 0, struct seccomp_notif) (80 bytes) and
# _IOWR('!', 1, struct seccomp_notif_resp) (24 bytes)
NOTIF_RECV = 0xC0502100
NOTIF_SEND = 0xC0182101
NOTIF_FORMAT = "=QIIiIQ6Q"      # id, pid, flags, nr, arch, instruction pointer, args
RESP_FORMAT = "=QqiI"           # id, val, error, flags
FLAG_CONTINUE = 1


class Agent:
    def __init__(self, path, answer_errno=None, close_at_once=False):
        self.path = path
        self.answer_errno = answer_errno
        self.close_at_once = close_at_once
        self.states = []                # each connection's message, parsed
        self.listener_kinds = []        # what each passed fd was
        self.notified = []              # (pid, syscall number) of every call handed over
        self.hung_up = 0                # connections closed without a message
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        os.chmod(path, 0o777)
        self.sock.listen(8)
        self.stop_r, self.stop_w = os.pipe()
        self.threads = [threading.Thread(target=self.accept, daemon=True)]
        self.threads[0].start()

    def accept(self):
        while True:
            ready, _, _ = select.select([self.sock, self.stop_r], [], [])
            if self.stop_r in ready:
                return
            conn, _ = self.sock.accept()
            with conn:
                if self.close_at_once:
                    continue
                msg, fds, _, _ = socket.recv_fds(conn, 1 << 17, 4)
                if not msg:             # a create that failed after connecting
                    self.hung_up += 1
                    continue
                self.states.append(json.loads(msg))
                for fd in fds:
                    self.listener_kinds.append(os.readlink(f"/proc/self/fd/{fd}"))
                if fds:
                    t = threading.Thread(target=self.serve, args=(fds[0],), daemon=True)
                    self.threads.append(t)
                    t.start()

    def serve(self, listener):
        """Until the filter has no process left (POLLHUP)."""
        poller = select.poll()
        poller.register(listener, select.POLLIN)
        try:
            while True:
                events = poller.poll(20000)
                if not events or events[0][1] & select.POLLHUP:
                    return
                buf = bytearray(struct.calcsize(NOTIF_FORMAT))
                try:
                    fcntl.ioctl(listener, NOTIF_RECV, buf, True)
                except OSError:
                    continue        # the process went away meanwhile
                notif_id, pid, _, nr = struct.unpack(NOTIF_FORMAT, buf)[:4]
                self.notified.append((pid, nr))
                if self.answer_errno is None:
                    resp = struct.pack(RESP_FORMAT, notif_id, 0, 0, FLAG_CONTINUE)
                else:
                    resp = struct.pack(RESP_FORMAT, notif_id, 0, -self.answer_errno, 0)
                try:
                    fcntl.ioctl(listener, NOTIF_SEND, bytearray(resp), True)
                except OSError:
                    pass
        finally:
            os.close(listener)

    def close(self):
        os.write(self.stop_w, b"x")
        for t in self.threads:
            t.join(25)
        self.sock.close()
        os.close(self.stop_r)
        os.close(self.stop_w)
