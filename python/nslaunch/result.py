"""How a sandbox ended, as nslaunch's status JSON reports it, and turning a
status (or its absence) into a Result or a LaunchError."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

from .errors import LaunchError

Output = Union[bytes, str, None]


@dataclass(frozen=True)
class SeccompCaller:
    """A program that made a refused call: its name (chosen by the payload)
    and the pid of its first such call, as nslaunch sees it."""

    comm: str
    pid: int


@dataclass(frozen=True)
class SeccompDenial:
    """One kind of refused system call, from ``--seccomp-report``: every
    call of ``syscall`` on ``arch`` with the same answer, whoever made it.
    ``callers`` are the first four distinct programs; ``calls_by_others``
    counts the calls of any other. ``comm`` and ``pid`` are the first
    caller's."""

    syscall: str
    arch: str
    pid: int
    comm: str
    action: str           # "errno" or "kill"
    errno: Optional[str]  # e.g. "EPERM"; None for a kill
    count: int
    callers: Tuple[SeccompCaller, ...] = ()
    calls_by_others: int = 0


def _denial(d: Mapping[str, Any]) -> SeccompDenial:
    known = {k: d[k] for k in ("syscall", "arch", "pid", "comm", "action", "errno", "count", "calls_by_others")
             if k in d}
    return SeccompDenial(callers=tuple(SeccompCaller(c["comm"], c["pid"]) for c in d.get("callers") or ()), **known)


@dataclass(frozen=True)
class EgressDenial:
    """A destination ``allow_egress`` refused, and how many packets went to
    it (a TCP connection's retried SYN counts again)."""

    destination: str
    port: Optional[int]   # None for protocols without ports
    protocol: str         # "tcp", "udp", "icmp", "icmpv6" or "#N"
    count: int


@dataclass(frozen=True)
class Result:
    """A finished sandbox. Times are milliseconds; ``peak_memory_bytes`` is
    None without a cgroup; ``signal`` is the signal that ended the command;
    stdout/stderr are what was captured (None when not captured)."""

    args: Tuple[str, ...]
    exit_code: int
    signal: Optional[int] = None
    timed_out: bool = False
    oom_killed: bool = False
    wall_ms: Optional[float] = None
    setup_ms: Optional[float] = None
    cpu_user_ms: Optional[float] = None
    cpu_sys_ms: Optional[float] = None
    peak_memory_bytes: Optional[int] = None
    seccomp_denials: Tuple[SeccompDenial, ...] = ()
    seccomp_denials_dropped: int = 0    # refused calls left out of the report (its table was full)
    seccomp_suspected: bool = False     # no report, and the command ended as a refusal makes one end
    landlock_abi: int = 0               # the Landlock ABI the sandbox was restricted with; 0: none
    egress_denials: Tuple[EgressDenial, ...] = ()   # with allow_egress: what it refused
    egress_denials_dropped: int = 0
    stdout: Output = None
    stderr: Output = None

    @property
    def returncode(self) -> int:
        """The exit status, as subprocess names it."""
        return self.exit_code

    @property
    def ok(self) -> bool:
        """True when the command exited 0."""
        return self.exit_code == 0 and self.signal is None and not self.timed_out

    def check_returncode(self) -> None:
        """Raise PluginError unless the command exited 0."""
        if not self.ok:
            from .errors import PluginError
            raise PluginError(self)


def parse_status(raw: bytes) -> Optional[Mapping[str, Any]]:
    """The status object, or None when nslaunch wrote none."""
    text = raw.strip()
    return json.loads(text) if text else None


def _first_line(stderr: Output) -> str:
    if stderr is None:
        return ""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line for line in text.splitlines() if line.startswith("nslaunch: ")]
    return lines[-1] if lines else text.strip()


def _subject_of(line: str) -> str:
    # "nslaunch: WHAT: OBJECT: CAUSE" -> WHAT
    parts = line.split(": ")
    return parts[1] if len(parts) > 2 and parts[0] == "nslaunch" else ""


def make_result(args: Sequence[str], returncode: int, status: Optional[Mapping[str, Any]],
                stdout: Output = None, stderr: Output = None) -> Result:
    """A Result from a status, or raise LaunchError when nslaunch failed.

    ``returncode`` is nslaunch's own, from Popen (negative when nslaunch
    itself was killed by a signal, e.g. by Handle.kill())."""
    if status is None:
        if returncode < 0:
            sig = -returncode
            return Result(tuple(args), 128 + sig, signal=sig, stdout=stdout, stderr=stderr)
        line = _first_line(stderr)
        if returncode == 125:
            # A bad option: nslaunch stops before any launch and may write no status.
            message = line or "nslaunch refused its options (exit status 125, no status written)"
            raise LaunchError("usage", _subject_of(line), message, 125, args, _as_bytes(stderr))
        raise LaunchError("status-json", "--status-json",
                          f"nslaunch exited with status {returncode} and wrote no status"
                          + (f": {line}" if line else ""), returncode, args, _as_bytes(stderr))
    error = status.get("error")
    if error:
        raise LaunchError(error["stage"], error["subject"], error["message"], status["exit_code"], args,
                          _as_bytes(stderr))
    return Result(
        args=tuple(args),
        exit_code=status["exit_code"],
        signal=status.get("signal"),
        timed_out=bool(status.get("timed_out")),
        oom_killed=bool(status.get("oom_killed")),
        wall_ms=status.get("wall_ms"),
        setup_ms=status.get("setup_ms"),
        cpu_user_ms=status.get("cpu_user_ms"),
        cpu_sys_ms=status.get("cpu_sys_ms"),
        peak_memory_bytes=status.get("peak_memory_bytes"),
        seccomp_denials=tuple(_denial(d) for d in status.get("seccomp_denials") or ()),
        seccomp_denials_dropped=int(status.get("seccomp_denials_dropped") or 0),
        seccomp_suspected=bool(status.get("seccomp_suspected")),
        landlock_abi=int(status.get("landlock_abi") or 0),
        egress_denials=tuple(EgressDenial(d["destination"], d.get("port"), d["protocol"], d["count"])
                             for d in status.get("egress_denials") or ()),
        egress_denials_dropped=int(status.get("egress_denials_dropped") or 0),
        stdout=stdout,
        stderr=stderr,
    )


def _as_bytes(out: Output) -> Optional[bytes]:
    return out.encode() if isinstance(out, str) else out

