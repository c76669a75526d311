"""Finding the binary and preparing one launch: its argv, the status pipe
(``--status-json fd:N``) and, for a profile given as a dict, a memfd."""

from __future__ import annotations

import os
import shutil
from typing import List, Optional, Sequence

from .errors import BinaryNotFound
from .sandbox import PathLike, Sandbox


def find_binary(binary: Optional[PathLike] = None) -> str:
    """The nslaunch to run: ``binary`` if given, else $NSLAUNCH, else the
    first ``nslaunch`` on PATH."""
    if binary is not None:
        return os.fspath(binary)
    from_env = os.environ.get("NSLAUNCH")
    if from_env:
        return from_env
    found = shutil.which("nslaunch")
    if found is None:
        raise BinaryNotFound("nslaunch: no binary given, $NSLAUNCH is not set and none is on PATH")
    return found


def check_cmd(cmd: Sequence[str]) -> List[str]:
    """The command's words, or TypeError/ValueError for what cannot be one."""
    if isinstance(cmd, (str, bytes)):
        raise TypeError("cmd must be a sequence of arguments, not a string")
    words = [os.fspath(c) for c in cmd]
    if not words:
        raise ValueError("cmd is empty")
    return words


class Launch:
    """The fds and argv of one launch. The parent keeps only the status
    pipe's read end once the process is started (``spawned``).

    With ``command_from`` (the child's end of a socket, handed to nslaunch
    and closed here once it is spawned) the command comes later, over the
    socket (``--command-from``), and ``cmd`` is not given."""

    def __init__(self, cmd: Optional[Sequence[str]], sandbox: Sandbox, binary: Optional[PathLike],
                 command_from: Optional[int] = None) -> None:
        self.pass_fds: List[int] = [] if command_from is None else [command_from]
        self.status_fd = -1
        try:
            self.cmd = [] if command_from is not None else check_cmd(cmd or ())
            program = find_binary(binary)
            self.status_fd, status_w = os.pipe()
            self.pass_fds.append(status_w)
            profile_path = self._profile_memfd(sandbox)
            command = ["--command-from", f"fd:{command_from}"] if command_from is not None else ["--", *self.cmd]
            self.argv = [program, "run", *sandbox.options(profile_path),
                         "--status-json", f"fd:{status_w}", *command]
        except BaseException:
            self.spawned()
            self.close()
            raise

    def _profile_memfd(self, sandbox: Sandbox) -> Optional[str]:
        profile = sandbox.seccomp_json()
        if profile is None:
            return None
        fd = os.memfd_create("nslaunch-seccomp", os.MFD_CLOEXEC)
        self.pass_fds.append(fd)
        with open(fd, "wb", closefd=False) as f:
            f.write(profile)
        # nslaunch opens the path itself, so the profile is read from offset 0.
        return f"/proc/self/fd/{fd}"

    def spawned(self) -> None:
        """Close the parent's copies of what only nslaunch needs."""
        for fd in self.pass_fds:
            os.close(fd)
        self.pass_fds = []

    def close(self) -> None:
        """Close the status pipe's read end."""
        if self.status_fd >= 0:
            os.close(self.status_fd)
            self.status_fd = -1


class Launched:
    """What a handle, sync or asyncio, tells of its launch."""

    _launch: Launch

    @property
    def args(self) -> Sequence[str]:
        """The command, as given."""
        return self._launch.cmd

    @property
    def argv(self) -> Sequence[str]:
        """The whole nslaunch command line."""
        return self._launch.argv
