"""The platform's original hand-written plugin profile, rebuilt from its lists
of names: deny by default, an allow-list that lacks pread64, writev,
readlink, prlimit64, sysinfo, madvise, vfork and rseq, clone3 answered with
EPERM (so glibc never falls back to clone), and the explicit deny list. The
dynamic loader cannot even start python3 under it."""
import json
import os

PLUGIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "profiles", "plugin.json")
MISSING = ["pread64", "writev", "readlink", "prlimit64", "sysinfo", "madvise", "vfork", "rseq"]


def platform_profile():
    with open(PLUGIN) as f:
        builtin = json.load(f)
    allow = sorted({name for rule in builtin["syscalls"]
                    if rule["action"] == "SCMP_ACT_ALLOW" and not rule.get("args")
                    for name in rule["names"]} - set(MISSING))
    deny = [name for rule in builtin["syscalls"]
            if rule["action"] == "SCMP_ACT_ERRNO" and not rule.get("args") and rule.get("errnoRet") == 1
            for name in rule["names"]]
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": 1,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
        "syscalls": [
            {"names": allow, "action": "SCMP_ACT_ALLOW"},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
            {"names": deny, "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        ],
    }
