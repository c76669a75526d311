#!/usr/bin/env python3
"""The plugin platform's runner, ported from Docker (docker-py) to nslaunch.

It keeps the Docker runner's shape: the plugin directory mounted read-only
at /usr/local/plugins, a read-only root, a tmpfs on /tmp, memory, CPU and
process limits, a timeout, a seccomp profile, no network; the records go in
as JSON on stdin and the plugin's JSON result comes back, wrapped in what the
platform needs to know about the run. docs/python-client.md puts each
docker-py call next to the one used here.

    box = PluginSandbox("/srv/plugins/acme")
    outcome = box.run(["python3", "/usr/local/plugins/plugin.py"], [{"name": "a", "value": 1}])

As a command: plugin_sandbox.py [--memory 256m] [--timeout 30] ... PLUGIN_DIR -- CMD...
reads a JSON array of records on stdin and prints the outcome as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Dict, List, Optional, Sequence

try:
    import nslaunch
except ImportError:  # run from the source tree
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
    import nslaunch

PLUGIN_DIR = "/usr/local/plugins"
DEFAULT_PROFILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "profiles", "plugin.json")
STDERR_TAIL = 4096


class PluginSandbox:
    """Runs one plugin directory's programs, each run in a fresh sandbox.

    ``limits="best-effort"`` lets a caller without a cgroup of its own (an
    unprivileged user on a host that delegates none) fall back to rlimits;
    Docker has no such case, its daemon always has cgroups."""

    def __init__(self, plugin_path: str, *, memory: str = "256m", cpus: float = 1.0, pids: int = 64,
                 timeout: float = 30.0, tmpfs_size: str = "64m", seccomp_profile: str = DEFAULT_PROFILE,
                 rootfs: Optional[str] = None, limits: str = "strict", binary: Optional[str] = None) -> None:
        with open(seccomp_profile) as f:
            profile = json.load(f)
        self.binary = binary
        self.sandbox = nslaunch.Sandbox(
            ro_binds=[(os.path.abspath(plugin_path), PLUGIN_DIR)],  # volumes={path: {"bind": ..., "mode": "ro"}}
            tmpfs={"/tmp": f"size={tmpfs_size}"},                   # tmpfs={"/tmp": "size=64m"}
            memory=memory,                                          # mem_limit=
            cpus=cpus,                                              # nano_cpus=
            pids=pids,                                              # pids_limit=
            timeout=timeout,                                        # container.wait(timeout=) + kill()
            network="none",                                         # network_mode="none"
            seccomp=profile,                                        # security_opt=["seccomp=" + json]
            rootfs=rootfs,                                          # image=
            limits=limits,
        )                                                           # read_only=True, cap_drop=["ALL"]: defaults

    def run(self, command: Sequence[str], records: List[Any]) -> Dict[str, Any]:
        """Run ``command`` with ``{"records": records}`` on its stdin; the
        outcome: ``status`` ok / error / timeout / oom / bad_output /
        launch_error, the plugin's JSON as ``output`` when ok, and what the
        run cost."""
        request = json.dumps({"records": records}).encode()
        try:
            result = nslaunch.run(command, self.sandbox, input=request, capture_output=True, binary=self.binary)
        except nslaunch.LaunchError as e:
            return {"status": "launch_error", "stage": e.stage, "subject": e.subject, "message": e.message}
        outcome: Dict[str, Any] = {
            "status": "ok",
            "exit_code": result.exit_code,
            "wall_ms": result.wall_ms,
            "peak_memory_bytes": result.peak_memory_bytes,
            "stderr": result.stderr.decode(errors="replace")[-STDERR_TAIL:] if result.stderr else "",
        }
        if result.timed_out:
            outcome["status"] = "timeout"
        elif result.oom_killed:
            outcome["status"] = "oom"
        elif not result.ok:
            outcome["status"] = "error"
        else:
            try:
                outcome["output"] = json.loads(result.stdout or b"")
            except ValueError as e:
                outcome.update(status="bad_output", message=f"the plugin's stdout is not JSON: {e}")
        return outcome


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--memory", default="256m")
    parser.add_argument("--cpus", type=float, default=1.0)
    parser.add_argument("--pids", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--seccomp-profile", default=DEFAULT_PROFILE)
    parser.add_argument("--rootfs")
    parser.add_argument("--limits", choices=("strict", "best-effort"), default="strict")
    parser.add_argument("plugin_dir")
    parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    box = PluginSandbox(args.plugin_dir, memory=args.memory, cpus=args.cpus, pids=args.pids, timeout=args.timeout,
                        seccomp_profile=args.seccomp_profile, rootfs=args.rootfs, limits=args.limits)
    records = json.load(sys.stdin)
    outcome = box.run(args.command, records)
    json.dump(outcome, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if outcome["status"] == "ok" else 1


if __name__ == "__main__":
    sys.exit(main())
