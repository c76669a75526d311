#!/usr/bin/env python3
"""Derives the built-in profile (profiles/plugin.json) from Docker's default
profile, on a principle rather than a trace:

  what Docker's default allows a container with no capabilities,
  less what the platform refuses (profiles/platform.json, each with its reason),
  plus the platform's argument rules (socket families, terminal ioctls).

usage: profiles/derive.py DOCKER_DEFAULT_JSON [--check]
  writes profiles/plugin.json and profiles/README.md's table of differences;
  --check only compares and exits 1 when either would change (the test suite
  runs it so: the committed profile is always what the principle gives).

Docker's default comes from Debian's golang-github-docker-docker-dev
(profiles/seccomp/default.json of moby 20.10)."""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ARCHES = {"amd64", "x86_64", "arm64", "aarch64"}     # the architectures nslaunch compiles for
MARK_BEGIN = "<!-- derive.py: differences begin -->"
MARK_END = "<!-- derive.py: differences end -->"


def applies_without_caps(rule):
    includes, excludes = rule.get("includes") or {}, rule.get("excludes") or {}
    if includes.get("caps"):
        return False                    # needs a capability the sandbox never holds
    arches = includes.get("arches")
    if arches and not set(arches) & ARCHES:
        return False
    if set(excludes.get("arches") or []) >= ARCHES:
        return False
    return True


def docker_rules(docker):
    """(plain allowed names, conditional rules) for a container with no capabilities."""
    plain, conditional = set(), []
    for rule in docker["syscalls"]:
        if not applies_without_caps(rule):
            continue
        if rule["action"] == "SCMP_ACT_ALLOW" and not rule.get("args"):
            plain |= set(rule["names"])
        else:
            conditional.append(rule)
    return plain, conditional


def strip(rule, comment):
    kept = {k: rule[k] for k in ("names", "action", "errnoRet", "args") if rule.get(k) not in (None, [])}
    kept["comment"] = comment
    return kept


def derive(docker, platform):
    plain, conditional = docker_rules(docker)
    refused = {}
    for group in platform["refused"]:
        for name in group["names"]:
            refused[name] = group
    # a syscall the platform allows only for some arguments (socket) leaves the plain list; one it refuses
    # for some arguments (ioctl's TIOCSTI) stays there, with the refusal layered over it
    argument_ruled = {name for rule in platform["rules"] if rule["action"] == "SCMP_ACT_ALLOW"
                      for name in rule["names"]}
    allowed = sorted(plain - set(refused) - argument_ruled)
    rules = [{
        "names": allowed,
        "action": "SCMP_ACT_ALLOW",
        "comment": "Everything Docker's default profile (moby 20.10, as Debian 12 ships it) allows a container "
                   "with no capabilities, less the platform's refusals below; derived by profiles/derive.py, "
                   "the differences listed in profiles/README.md.",
    }]
    for rule in conditional:
        if set(rule["names"]) & (set(refused) | argument_ruled):
            continue
        rules.append(strip(rule, "As in Docker's default profile, for a container with no capabilities."))
    rules += platform["rules"]
    for group in platform["refused"]:
        rules.append({"names": group["names"], "action": "SCMP_ACT_ERRNO", "errnoRet": group.get("errnoRet", 1),
                      "comment": "Refused by the platform (explicitly, so that seccomp learn's permissive filter "
                                 "and every learned profile refuse it too): " + group["reason"]})
    profile = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "archMap": platform["archMap"],
               "syscalls": rules}
    return profile, plain, refused


def differences(plain, refused, docker_conditional_names, platform):
    """The rows where the built-in profile answers otherwise than Docker's,
    then the names both refuse that are listed explicitly."""
    rows = ["| syscall | Docker's default (no capabilities) | nslaunch's built-in | why |", "|---|---|---|---|"]
    both = []
    for name in sorted(set(refused)):
        if name in plain or name in docker_conditional_names:
            rows.append(f"| `{name}` | allowed | refused (EPERM) | {refused[name]['reason']} |")
        else:
            both.append(f"`{name}`")
    for name in sorted({n for rule in platform["rules"] if rule["action"] == "SCMP_ACT_ALLOW" for n in rule["names"]}):
        if name in plain:
            rows.append(f"| `{name}` | allowed | allowed for some arguments | see the argument rules above |")
    return "\n".join(rows) + ("\n\nRefused by both, and named explicitly (so that `seccomp learn` keeps refusing "
                              "them): " + ", ".join(both) + ".")


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        docker = json.load(f)
    with open(os.path.join(HERE, "platform.json")) as f:
        platform = json.load(f)
    profile, plain, refused = derive(docker, platform)
    _, conditional = docker_rules(docker)
    conditional_names = {n for rule in conditional for n in rule["names"]}
    text = json.dumps(profile, indent=2) + "\n"
    readme_path = os.path.join(HERE, "README.md")
    with open(readme_path) as f:
        readme = f.read()
    head, rest = readme.split(MARK_BEGIN, 1)
    _, tail = rest.split(MARK_END, 1)
    table = differences(plain, refused, conditional_names, platform)
    new_readme = f"{head}{MARK_BEGIN}\n{table}\n{MARK_END}{tail}"
    profile_path = os.path.join(HERE, "plugin.json")
    with open(profile_path) as f:
        old = f.read()
    if "--check" in argv:
        stale = [p for p, new, cur in ((profile_path, text, old), (readme_path, new_readme, readme)) if new != cur]
        if stale:
            sys.exit(f"derive.py: {', '.join(stale)} differ from what the principle gives: run profiles/derive.py")
        return
    with open(profile_path, "w") as f:
        f.write(text)
    with open(readme_path, "w") as f:
        f.write(new_readme)


if __name__ == "__main__":
    main(sys.argv)
