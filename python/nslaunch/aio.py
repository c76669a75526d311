"""The asyncio counterparts of ``run`` and ``start``: the status pipe is read
by the event loop, so waiting never blocks it."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Optional, Sequence, Tuple

from .launch import Launch, Launched
from .process import PIPE, Redirect
from .result import Output, Result, make_result, parse_status
from .sandbox import PathLike, Sandbox


class AsyncHandle(Launched):
    """A running sandbox, from ``await nslaunch.aio.start(...)``. ``stdin``
    is an asyncio StreamWriter, ``stdout``/``stderr`` StreamReaders, when
    PIPE was asked for; ``pid`` is nslaunch's."""

    def __init__(self, launch: Launch, process: "asyncio.subprocess.Process",
                 status: "asyncio.StreamReader", transport: asyncio.BaseTransport) -> None:
        self._launch = launch
        self._process = process
        self._transport = transport
        self._ended = asyncio.ensure_future(self._end(status))

    async def _end(self, status: "asyncio.StreamReader") -> Tuple[int, bytes]:
        try:
            raw = await status.read()
            return await self._process.wait(), raw
        finally:
            self._transport.close()

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def stdin(self) -> Optional[asyncio.StreamWriter]:
        return self._process.stdin

    @property
    def stdout(self) -> Optional[asyncio.StreamReader]:
        return self._process.stdout

    @property
    def stderr(self) -> Optional[asyncio.StreamReader]:
        return self._process.stderr

    @property
    def returncode(self) -> Optional[int]:
        """nslaunch's exit status once it has ended, else None."""
        return self._process.returncode

    def send_signal(self, sig: int) -> None:
        """Signal nslaunch (SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2
        are forwarded to the command)."""
        self._process.send_signal(sig)

    def terminate(self) -> None:
        """SIGTERM, forwarded to the command."""
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        """SIGKILL nslaunch; the sandbox dies with it."""
        self.send_signal(signal.SIGKILL)

    async def wait(self) -> Result:
        """The Result (stdout/stderr None); LaunchError when nslaunch failed."""
        return await self._result(None, None)

    async def communicate(self, input: Optional[bytes] = None) -> Result:
        """Send ``input``, read stdout/stderr to their end, and wait."""
        out, err = await self._process.communicate(input)
        return await self._result(out, err)

    async def _result(self, stdout: Output, stderr: Output) -> Result:
        returncode, raw = await asyncio.shield(self._ended)
        return make_result(self._launch.cmd, returncode, parse_status(raw), stdout, stderr)


async def start(cmd: Sequence[str], sandbox: Optional[Sandbox] = None, *,
                stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
                binary: Optional[PathLike] = None) -> AsyncHandle:
    """Start ``cmd`` in a sandbox; returns once nslaunch has been started."""
    launch = Launch(cmd, sandbox or Sandbox(), binary)
    try:
        process = await asyncio.create_subprocess_exec(*launch.argv, stdin=stdin, stdout=stdout, stderr=stderr,
                                                       pass_fds=launch.pass_fds)
    except BaseException:
        launch.spawned()
        launch.close()
        raise
    launch.spawned()
    loop = asyncio.get_running_loop()
    status = asyncio.StreamReader()
    pipe = os.fdopen(launch.status_fd, "rb", buffering=0)
    launch.status_fd = -1                      # the transport owns it now
    transport, _ = await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(status), pipe)
    return AsyncHandle(launch, process, status, transport)


async def run(cmd: Sequence[str], sandbox: Optional[Sandbox] = None, *,
              input: Optional[bytes] = None, capture_output: bool = False, check: bool = False,
              stdin: Redirect = None, stdout: Redirect = None, stderr: Redirect = None,
              timeout: Optional[float] = None, binary: Optional[PathLike] = None) -> Result:
    """``nslaunch.run`` for asyncio (bytes only); the same errors."""
    sandbox = sandbox or Sandbox()
    if timeout is not None:
        sandbox = sandbox.with_(timeout=timeout)
    if input is not None:
        stdin = PIPE
    if capture_output:
        stdout = stderr = PIPE
    handle = await start(cmd, sandbox, stdin=stdin, stdout=stdout, stderr=stderr, binary=binary)
    try:
        if PIPE in (stdin, stdout, stderr):
            result = await handle.communicate(input)
        else:
            result = await handle.wait()
    except BaseException:
        if handle.returncode is None:
            handle.kill()
            await asyncio.shield(handle._ended)
        raise
    if check:
        result.check_returncode()
    return result


__all__ = ["AsyncHandle", "run", "start"]

