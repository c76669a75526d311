"""Sandboxes made ahead of their command, for callers that run many.

A Pool keeps ``size`` nslaunch processes (``nslaunch run --command-from
fd:N``), each with its sandbox built (namespaces, root, limits) and waiting;
``run`` hands a command to one of them and starts a new one in its place.
A sandbox runs one command and is never reused. The command, its added
environment and its standard input, output and error travel over the
socket as one message (docs/cli.md, "A command from a socket")."""

from __future__ import annotations

import collections
import os
import selectors
import socket
import struct
import subprocess
import threading
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from .errors import LaunchError, NslaunchError
from .launch import Launch, check_cmd
from .process import DEVNULL, PIPE, Redirect, redirects
from .result import Output, Result, make_result, parse_status
from .sandbox import PathLike, Sandbox

_MAX_MESSAGE = 64 * 1024


def command_message(cmd: Sequence[str], env: Optional[Mapping[str, str]], stdio_mask: int) -> bytes:
    """The message of docs/cli.md: b"NSLC", the number of words, of
    environment entries and the mask of the fds that come along (bit i: the
    command's fd i), little-endian u32 each, then every word NUL-terminated."""
    words = [os.fsencode(w) for w in cmd]
    entries = [os.fsencode(f"{k}={v}") for k, v in (env or {}).items()]
    for k in (env or {}):
        if not k or "=" in k or "\0" in k:
            raise ValueError(f"not an environment variable name: {k!r}")
    if any(b"\0" in w for w in words + entries):
        raise ValueError("a word or an environment entry holds a NUL byte")
    body = b"".join(w + b"\0" for w in words + entries)
    message = struct.pack("<4sIII", b"NSLC", len(words), len(entries), stdio_mask) + body
    if len(message) > _MAX_MESSAGE:
        raise ValueError(f"the command and its environment exceed {_MAX_MESSAGE} bytes")
    return message


class _Member:
    """One nslaunch process whose sandbox waits for its command."""

    def __init__(self, sandbox: Sandbox, binary: Optional[PathLike]) -> None:
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.launch = Launch(None, sandbox, binary, command_from=theirs.detach())
            try:
                self.popen = subprocess.Popen(self.launch.argv, stdin=DEVNULL, stdout=DEVNULL, stderr=DEVNULL,
                                              pass_fds=self.launch.pass_fds)
            except BaseException:
                self.launch.close()
                raise
            finally:
                self.launch.spawned()
        except BaseException:
            self.sock.close()
            raise

    def wait_ready(self, cmd: Sequence[str]) -> None:
        """Returns once the sandbox is built; LaunchError when it cannot be."""
        if self.sock.recv(16) == b"ready":
            return
        self.sock.close()
        self.finish(cmd, None, None)      # raises: nslaunch said why in its status
        raise LaunchError("start", "--command-from", "nslaunch ended before its sandbox was ready", 125, cmd)

    def finish(self, cmd: Sequence[str], stdout: Output, stderr: Output) -> Result:
        status = _read_all(self.launch.status_fd)
        returncode = self.popen.wait()
        self.launch.close()
        return make_result(cmd, returncode, parse_status(status), stdout, stderr)

    def discard(self) -> None:
        """No command will come: nslaunch ends the sandbox and exits."""
        self.sock.close()
        self.popen.wait()
        self.launch.close()


def _read_all(fd: int) -> bytes:
    chunks: List[bytes] = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


class _Stdio:
    """The command's 0, 1 and 2 as fds to send, and the parent's ends of the
    pipes asked for (PIPE)."""

    def __init__(self, stdin: Redirect, stdout: Redirect, stderr: Redirect) -> None:
        self.send: List[int] = []           # the fds to pass, in the order 0, 1, 2
        self.close_after_send: List[int] = []
        self.pipes: Dict[int, int] = {}     # command's fd -> the parent's end
        try:
            for number, how in enumerate((stdin, stdout, stderr)):
                self.send.append(self._fd_for(number, how))
        except BaseException:
            self.sent()
            self.close()
            raise

    def _fd_for(self, number: int, how: Redirect) -> int:
        if how is None:
            return number                    # the caller's own, as subprocess does
        if how == PIPE:
            r, w = os.pipe()
            theirs, ours = (r, w) if number == 0 else (w, r)
            self.pipes[number] = ours
            self.close_after_send.append(theirs)
            return theirs
        if how == DEVNULL:
            fd = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
            self.close_after_send.append(fd)
            return fd
        if isinstance(how, int):
            return how
        return how.fileno()

    def sent(self) -> None:
        for fd in self.close_after_send:
            os.close(fd)
        self.close_after_send = []

    def close(self) -> None:
        for fd in self.pipes.values():
            os.close(fd)
        self.pipes = {}

    def communicate(self, input: Optional[bytes]) -> Tuple[Optional[bytes], Optional[bytes]]:
        """Writes input to the command's stdin pipe and reads its stdout and
        stderr pipes to their ends, all at once (no pipe can block another)."""
        out: Dict[int, List[bytes]] = {1: [], 2: []}
        pending = memoryview(input or b"")
        with selectors.DefaultSelector() as sel:
            if 0 in self.pipes:
                if pending:
                    os.set_blocking(self.pipes[0], False)
                    sel.register(self.pipes[0], selectors.EVENT_WRITE, 0)
                else:
                    os.close(self.pipes.pop(0))
            for number in (1, 2):
                if number in self.pipes:
                    sel.register(self.pipes[number], selectors.EVENT_READ, number)
            while sel.get_map():
                for key, _ in sel.select():
                    number = key.data
                    if number == 0:
                        try:
                            pending = pending[os.write(key.fd, pending[:65536]):]
                        except BrokenPipeError:
                            pending = memoryview(b"")
                        if not pending:
                            sel.unregister(key.fd)
                            os.close(self.pipes.pop(0))
                        continue
                    chunk = os.read(key.fd, 65536)
                    if chunk:
                        out[number].append(chunk)
                    else:
                        sel.unregister(key.fd)
        return (b"".join(out[1]) if 1 in self.pipes else None, b"".join(out[2]) if 2 in self.pipes else None)


class Pool:
    """``size`` sandboxes of ``sandbox`` made ahead of their commands.

    ``run`` may be called from many threads at once; a thread of the pool's
    starts a new nslaunch for each one taken. ``close`` (or leaving a
    ``with`` block) ends the sandboxes still waiting; commands running then
    run to their end. The sandbox's ``timeout`` counts from the command's
    start, not from when its sandbox was made."""

    def __init__(self, sandbox: Optional[Sandbox] = None, size: int = 2, *,
                 binary: Optional[PathLike] = None) -> None:
        if size < 1:
            raise ValueError("a pool holds at least one sandbox")
        self._sandbox = sandbox or Sandbox()
        self._binary = binary
        self._size = size
        self._changed = threading.Condition()
        self._waiting: Deque[_Member] = collections.deque()
        self._spawn_error: Optional[BaseException] = None
        self._closed = False
        self._waiting.append(_Member(self._sandbox, binary))     # a bad binary fails here, at once
        self._filler = threading.Thread(target=self._fill, name="nslaunch-pool", daemon=True)
        self._filler.start()

    def _fill(self) -> None:
        with self._changed:
            while not self._closed:
                if len(self._waiting) >= self._size or self._spawn_error is not None:
                    self._changed.wait()
                    continue
                self._changed.release()
                try:
                    member: Optional[_Member] = _Member(self._sandbox, self._binary)
                    error: Optional[BaseException] = None
                except Exception as e:      # given to the next taker
                    member, error = None, e
                finally:
                    self._changed.acquire()
                if member is not None and self._closed:
                    member.discard()
                elif member is not None:
                    self._waiting.append(member)
                self._spawn_error = error
                self._changed.notify_all()

    def _take(self) -> _Member:
        with self._changed:
            while not self._waiting and self._spawn_error is None and not self._closed:
                self._changed.wait()
            if self._closed:
                raise NslaunchError("the pool is closed")
            if not self._waiting:
                error, self._spawn_error = self._spawn_error, None     # the next taker tries again
                self._changed.notify_all()
                assert error is not None
                raise error
            return self._waiting.popleft()

    def _refill(self) -> None:
        """A new sandbox for the one taken, once its command has run: made
        beside the command, it would slow it down on a machine of few cores."""
        with self._changed:
            self._changed.notify_all()

    def run(self, cmd: Sequence[str], *, env: Optional[Mapping[str, str]] = None,
            input: Union[bytes, str, None] = None, capture_output: bool = False, check: bool = False,
            stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
            text: bool = False) -> Result:
        """Run ``cmd`` in a sandbox of the pool, like ``nslaunch.run``:
        ``env`` adds to (or replaces in) the sandbox's environment, PATH
        included. Raises LaunchError when the sandbox could not be made or
        the command not started; with ``check=True``, PluginError when the
        command ended badly."""
        words = check_cmd(cmd)
        stdin, stdout, stderr = redirects(input, capture_output, stdin, stdout, stderr)
        data = input.encode() if isinstance(input, str) else input
        message = command_message(words, env, 0b111)
        member = self._take()
        try:
            result = self._run_in(member, words, message, data, stdin, stdout, stderr, text)
        finally:
            self._refill()
        if check:
            result.check_returncode()
        return result

    @staticmethod
    def _run_in(member: _Member, words: List[str], message: bytes, data: Optional[bytes],
                stdin: Redirect, stdout: Redirect, stderr: Redirect, text: bool) -> Result:
        try:
            member.wait_ready(words)
        except BaseException:
            member.discard()
            raise
        stdio = _Stdio(stdin, stdout, stderr)
        try:
            socket.send_fds(member.sock, [message], stdio.send)
            stdio.sent()
            member.sock.close()
            out, err = stdio.communicate(data)
        except BaseException:
            stdio.sent()
            stdio.close()
            member.discard()
            raise
        stdio.close()
        if text:
            return member.finish(words, None if out is None else out.decode(errors="replace"),
                                 None if err is None else err.decode(errors="replace"))
        return member.finish(words, out, err)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        if self._filler is not threading.current_thread():
            self._filler.join()
        with self._changed:
            waiting, self._waiting = list(self._waiting), collections.deque()
        for member in waiting:
            member.discard()

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_filler", None) is not None and not self._closed:
            self.close()


__all__ = ["Pool", "command_message"]
