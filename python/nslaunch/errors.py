"""The client's error taxonomy: nslaunch failing to launch is a LaunchError;
the plugin's own failure (with check=True) is a PluginError."""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Optional, Sequence

if TYPE_CHECKING:
    from .result import Result


class NslaunchError(Exception):
    """Base class of every error this package raises on its own."""


class BinaryNotFound(NslaunchError, FileNotFoundError):
    """No nslaunch binary: none given, $NSLAUNCH unset and none on PATH."""


class LaunchError(NslaunchError):
    """nslaunch itself failed: the command never ran (or could not be
    executed).

    ``stage`` is the launch step from docs/cli.md's closed list (``plan``,
    ``mounts``, ``exec``...), or ``usage`` for a bad option; ``subject`` is
    the option or part at fault; ``message`` is nslaunch's one stderr line.
    """

    def __init__(self, stage: str, subject: str, message: str, exit_code: int,
                 args: Sequence[str] = (), stderr: Optional[bytes] = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.subject = subject
        self.message = message
        self.exit_code = exit_code
        self.cmd = list(args)
        self.stderr = stderr

    def __str__(self) -> str:
        return f"{self.message} (stage {self.stage}, exit status {self.exit_code})"


class PluginError(NslaunchError, subprocess.CalledProcessError):
    """The command ran and ended badly (non-zero exit, a signal, the timeout
    or the OOM killer); raised by ``check=True``. Like CalledProcessError it
    has ``returncode``, ``cmd``, ``stdout`` and ``stderr``; ``result`` is the
    whole Result."""

    def __init__(self, result: "Result") -> None:
        subprocess.CalledProcessError.__init__(self, result.exit_code, list(result.args),
                                               result.stdout, result.stderr)
        self.result = result

    def __str__(self) -> str:
        r = self.result
        if r.timed_out:
            how = "timed out"
        elif r.oom_killed:
            how = "was killed by the OOM killer"
        elif r.signal is not None:
            how = f"was killed by signal {r.signal}"
        else:
            how = f"exited with status {r.exit_code}"
        return f"sandboxed command {list(r.args)!r} {how}"
