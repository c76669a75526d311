"""A sandbox description and the nslaunch command line it stands for.

Every field maps onto one option of ``nslaunch run`` (docs/cli.md) and keeps
its name; None (or an empty collection) leaves nslaunch's default."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]
Size = Union[int, str]                       # bytes, or "64m", "1g"...
SeccompProfile = Union[PathLike, Mapping[str, Any]]


@dataclass(frozen=True)
class Sandbox:
    """What a sandbox looks like; immutable, so one description can be
    shared by any number of threads. ``with_(...)`` makes a changed copy.

    binds, ro_binds   (host source, sandbox target) pairs: --bind / --ro-bind
    tmpfs             {target: "size=64m,mode=1777" or ""}: --tmpfs
    env               --env K=V; env_file, keep_env: --env-file, --keep-env
    cwd               --cwd, resolved inside the new root
    uid, gid          --uid / --gid inside; host_uid, host_gid: --host-uid/--host-gid
    memory, memory_swap, cpus, pids   --memory, --memory-swap, --cpus, --pids
    timeout, kill_after               --timeout / --kill-after, in seconds
    network           "none" (default), "private" or "host": --network
    allow_egress      destinations a private network may reach: --allow-egress each
                      ("db.internal:5432", "10.0.0.0/8:443", "host-loopback:8080")
    dns               resolvers (IP addresses, at most 3): --dns each; the sandbox's
                      resolv.conf, and port 53 through allow_egress ("10.0.2.3": the host's)
    seccomp           "default", "unconfined", a profile's path, or a profile
                      as a dict (handed to nslaunch in a memfd, no file)
    seccomp_report    --seccomp-report: denials end up in Result.seccomp_denials
    seccomp_strict    --seccomp-strict: a profile's unknown syscall names refuse the launch
    landlock          "off", "best-effort" (nslaunch's default) or "strict": --landlock;
                      the ABI used is Result.landlock_abi
    allow_exec_writable  --allow-exec-writable: executing files under writable mounts
    rootfs, image_defaults, rw_root   --rootfs, --image-defaults, --rw-root
    cgroup_files      {name: value} cgroup v2 files of the sandbox's cgroup, written
                      after the limits ({"memory.high": "256M"}): --cgroup-file each
    hostname, proc, cap_add, rlimits, limits, cgroup_parent, die_with_parent
                      the options of the same name
    extra_args        any other option, passed as given before the command
    """

    binds: Sequence[Tuple[PathLike, str]] = ()
    ro_binds: Sequence[Tuple[PathLike, str]] = ()
    tmpfs: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    env_file: Optional[PathLike] = None
    keep_env: bool = False
    cwd: Optional[str] = None
    uid: Optional[int] = None
    gid: Optional[int] = None
    host_uid: Optional[int] = None
    host_gid: Optional[int] = None
    memory: Optional[Size] = None
    memory_swap: Optional[Size] = None
    cpus: Optional[float] = None
    pids: Optional[int] = None
    timeout: Optional[float] = None
    kill_after: Optional[float] = None
    network: Optional[str] = None
    allow_egress: Sequence[str] = ()
    dns: Sequence[str] = ()
    seccomp: Optional[SeccompProfile] = None
    seccomp_report: bool = False
    seccomp_strict: bool = False
    landlock: Optional[str] = None
    allow_exec_writable: bool = False
    rootfs: Optional[PathLike] = None
    image_defaults: bool = False
    rw_root: bool = False
    hostname: Optional[str] = None
    proc: Optional[str] = None
    cap_add: Sequence[str] = ()
    rlimits: Mapping[str, Union[int, str]] = field(default_factory=dict)
    limits: Optional[str] = None
    cgroup_parent: Optional[str] = None
    cgroup_files: Mapping[str, str] = field(default_factory=dict)
    die_with_parent: bool = False
    extra_args: Sequence[str] = ()

    def with_(self, **changes: Any) -> "Sandbox":
        """A copy with some fields changed."""
        return replace(self, **changes)

    def seccomp_json(self) -> Optional[bytes]:
        """The profile's JSON when ``seccomp`` is a dict, else None."""
        if isinstance(self.seccomp, Mapping):
            return json.dumps(self.seccomp).encode()
        return None

    def options(self, seccomp_path: Optional[str] = None) -> List[str]:
        """The options of ``nslaunch run`` for this description.

        ``seccomp_path`` names where a dict profile can be read (the caller
        provides it, e.g. /proc/self/fd/N of a memfd)."""
        a: List[str] = []
        for src, dst in self.binds:
            a += ["--bind", f"{os.fspath(src)}:{dst}"]
        for src, dst in self.ro_binds:
            a += ["--ro-bind", f"{os.fspath(src)}:{dst}"]
        for dst, opts in self.tmpfs.items():
            a += ["--tmpfs", f"{dst}:{opts}" if opts else dst]
        if self.env_file is not None:
            a += ["--env-file", os.fspath(self.env_file)]
        for key, value in self.env.items():
            a += ["--env", f"{key}={value}"]
        _flag(a, "--keep-env", self.keep_env)
        _opt(a, "--cwd", self.cwd)
        _opt(a, "--uid", self.uid)
        _opt(a, "--gid", self.gid)
        _opt(a, "--host-uid", self.host_uid)
        _opt(a, "--host-gid", self.host_gid)
        _opt(a, "--memory", _size(self.memory))
        _opt(a, "--memory-swap", _size(self.memory_swap))
        _opt(a, "--cpus", self.cpus)
        _opt(a, "--pids", self.pids)
        _opt(a, "--timeout", self.timeout)
        _opt(a, "--kill-after", self.kill_after)
        _opt(a, "--network", self.network)
        for dest in self.allow_egress:
            a += ["--allow-egress", dest]
        for resolver in self.dns:
            a += ["--dns", resolver]
        if isinstance(self.seccomp, Mapping):
            if seccomp_path is None:
                raise ValueError("a seccomp profile given as a dict needs a path to be read from")
            a += ["--seccomp", seccomp_path]
        elif self.seccomp is not None:
            a += ["--seccomp", os.fspath(self.seccomp)]
        _flag(a, "--seccomp-report", self.seccomp_report)
        _flag(a, "--seccomp-strict", self.seccomp_strict)
        _opt(a, "--landlock", self.landlock)
        _flag(a, "--allow-exec-writable", self.allow_exec_writable)
        _opt(a, "--rootfs", None if self.rootfs is None else os.fspath(self.rootfs))
        _flag(a, "--image-defaults", self.image_defaults)
        _flag(a, "--rw-root", self.rw_root)
        _opt(a, "--hostname", self.hostname)
        _opt(a, "--proc", self.proc)
        for cap in self.cap_add:
            a += ["--cap-add", cap]
        for resource, limit in self.rlimits.items():
            a += ["--rlimit", f"{resource}={limit}"]
        _opt(a, "--limits", self.limits)
        _opt(a, "--cgroup-parent", self.cgroup_parent)
        for name, value in self.cgroup_files.items():
            a += ["--cgroup-file", f"{name}={value}"]
        _flag(a, "--die-with-parent", self.die_with_parent)
        a += list(self.extra_args)
        return a


def _opt(argv: List[str], name: str, value: Any) -> None:
    if value is not None:
        argv += [name, str(value)]


def _flag(argv: List[str], name: str, on: bool) -> None:
    if on:
        argv.append(name)


def _size(value: Optional[Size]) -> Optional[str]:
    return f"{value}b" if isinstance(value, int) else value
