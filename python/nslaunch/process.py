"""Running a sandbox synchronously: ``run`` for the whole thing, ``start``
for a handle on a running sandbox. Safe to use from many threads at once:
each launch owns its pipes and fds, and Popen passes only ``pass_fds``."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from typing import IO, Any, Optional, Sequence, Tuple, Union

from .errors import LaunchError, NslaunchError
from .launch import Launch, Launched
from .result import Output, Result, make_result, parse_status
from .sandbox import PathLike, Sandbox

PIPE = subprocess.PIPE
DEVNULL = subprocess.DEVNULL
Redirect = Union[None, int, IO[Any]]


class Handle(Launched):
    """A running sandbox, from ``start``.

    ``pid`` is nslaunch's pid on the host (the command itself runs in its
    own pid namespace). ``stdin``/``stdout``/``stderr`` are file objects
    when PIPE was asked for, as with subprocess.Popen."""

    def __init__(self, cmd: Sequence[str], sandbox: Optional[Sandbox] = None, *,
                 stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
                 text: bool = False, binary: Optional[PathLike] = None) -> None:
        self._launch = Launch(cmd, sandbox or Sandbox(), binary)
        try:
            self._popen = subprocess.Popen(self._launch.argv, stdin=stdin, stdout=stdout, stderr=stderr,
                                           pass_fds=self._launch.pass_fds, text=text)
        except BaseException:
            self._launch.close()
            raise
        finally:
            self._launch.spawned()
        self._lock = threading.Lock()
        self._status = bytearray()
        self._status_reader: Optional[threading.Thread] = None
        self._result: Optional[Result] = None
        self._error: Optional[LaunchError] = None

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def stdin(self) -> Optional[IO[Any]]:
        return self._popen.stdin

    @property
    def stdout(self) -> Optional[IO[Any]]:
        return self._popen.stdout

    @property
    def stderr(self) -> Optional[IO[Any]]:
        return self._popen.stderr

    def poll(self) -> Optional[int]:
        """nslaunch's exit status when it has ended, else None."""
        return self._popen.poll()

    def send_signal(self, sig: int) -> None:
        """Signal nslaunch; SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and
        SIGUSR2 are forwarded to the command."""
        self._popen.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM, forwarded to the command."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL nslaunch; the sandbox dies with it. wait() then reports
        exit code 137, signal 9 and no times."""
        self.send_signal(signal.SIGKILL)

    def wait(self, timeout: Optional[float] = None) -> Result:
        """Wait for the end and return the Result (stdout/stderr None);
        raise LaunchError when nslaunch failed to launch, and
        subprocess.TimeoutExpired when ``timeout`` seconds pass first."""
        return self._finish(None, None, timeout)

    def communicate(self, input: Union[bytes, str, None] = None, timeout: Optional[float] = None) -> Result:
        """Send ``input``, read stdout/stderr to their end, wait; the Result
        carries what was read."""
        # The status is read meanwhile: a status larger than the pipe (many
        # kinds of seccomp denials) must not block nslaunch's exit, which
        # Popen.communicate waits for.
        if self._status_reader is None:
            self._status_reader = threading.Thread(target=self._drain_status, args=(None,), daemon=True)
            self._status_reader.start()
        out, err = self._popen.communicate(input, timeout)
        self._status_reader.join()
        return self._finish(out, err, None)

    def _finish(self, stdout: Output, stderr: Output, timeout: Optional[float]) -> Result:
        deadline = None if timeout is None else time.monotonic() + timeout
        # Another thread may be waiting already: this one waits no longer than asked.
        if not self._lock.acquire(timeout=-1 if timeout is None else timeout):
            raise subprocess.TimeoutExpired(self._launch.cmd, timeout or 0.0)
        try:
            if self._result is None and self._error is None:
                self._drain_status(deadline)
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                returncode = self._popen.wait(left)
                self._launch.close()
                try:
                    self._result = make_result(self._launch.cmd, returncode, parse_status(bytes(self._status)),
                                               stdout, stderr)
                except LaunchError as e:
                    self._error = e
        finally:
            self._lock.release()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _drain_status(self, deadline: Optional[float]) -> None:
        # Read to EOF (nslaunch's exit) before waiting, so a status larger
        # than the pipe can never block nslaunch.
        fd = self._launch.status_fd
        if deadline is None:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                self._status += chunk
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while True:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not sel.select(left):
                    raise subprocess.TimeoutExpired(self._launch.cmd, left or 0.0)
                chunk = os.read(fd, 65536)
                if not chunk:
                    return
                self._status += chunk

    def __enter__(self) -> "Handle":
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        for f in (self._popen.stdin, self._popen.stdout, self._popen.stderr):
            if f is not None:
                f.close()
        if exc_type is not None and self._popen.poll() is None:
            self.kill()
        try:
            self._finish(None, None, None)   # reads the status, so nslaunch never blocks on it
        except NslaunchError:
            pass                             # a failed launch: wait() reports it to whoever asks


def redirects(input: Union[bytes, str, None], capture_output: bool, stdin: Redirect, stdout: Redirect,
              stderr: Redirect) -> Tuple[Redirect, Redirect, Redirect]:
    """stdin, stdout and stderr once ``input`` and ``capture_output`` are
    taken into account, as subprocess.run does."""
    if input is not None:
        if stdin is not None:
            raise ValueError("stdin and input cannot both be given")
        stdin = PIPE
    if capture_output:
        if stdout is not None or stderr is not None:
            raise ValueError("stdout and stderr cannot be given with capture_output")
        stdout = stderr = PIPE
    return stdin, stdout, stderr


def start(cmd: Sequence[str], sandbox: Optional[Sandbox] = None, *,
          stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
          text: bool = False, binary: Optional[PathLike] = None) -> Handle:
    """Start ``cmd`` in a sandbox and return its Handle at once."""
    return Handle(cmd, sandbox, stdin=stdin, stdout=stdout, stderr=stderr, text=text, binary=binary)


def run(cmd: Sequence[str], sandbox: Optional[Sandbox] = None, *,
        input: Union[bytes, str, None] = None, capture_output: bool = False, check: bool = False,
        stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
        text: bool = False, timeout: Optional[float] = None, binary: Optional[PathLike] = None) -> Result:
    """Run ``cmd`` in a sandbox to its end, like subprocess.run.

    ``timeout`` (seconds) overrides the sandbox's: nslaunch ends the sandbox
    and the Result says ``timed_out``. Raises LaunchError when nslaunch could
    not launch it (stage ``usage`` for bad options); with ``check=True``,
    PluginError when the command ended badly."""
    sandbox = sandbox or Sandbox()
    if timeout is not None:
        sandbox = sandbox.with_(timeout=timeout)
    stdin, stdout, stderr = redirects(input, capture_output, stdin, stdout, stderr)
    with start(cmd, sandbox, stdin=stdin, stdout=stdout, stderr=stderr, text=text, binary=binary) as handle:
        try:
            if stdin == PIPE or stdout == PIPE or stderr == PIPE:
                result = handle.communicate(input)
            else:
                result = handle.wait()
        except BaseException:
            if handle.poll() is None:
                handle.kill()
            raise
    if check:
        result.check_returncode()
    return result
