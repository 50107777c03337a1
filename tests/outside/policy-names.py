#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Print the syscall names a published seccomp policy allows on x86_64,
one a line, for policy-exec.

  policy-names.py android-app BIONIC_CHECKOUT [--without NAME,...]
      bionic's app policy: libc/SYSCALLS.TXT + SECCOMP_ALLOWLIST_COMMON.TXT
      + SECCOMP_ALLOWLIST_APP.TXT - SECCOMP_BLOCKLIST_{APP,COMMON}.TXT
      (what genseccomp.py builds); anything else traps (SIGSYS).
  policy-names.py docker MOBY_CHECKOUT [--without NAME,...]
      profiles/seccomp/default.json for a container with Docker's default
      capabilities: unconditional rules, minKernel rules; rules that need
      a capability Docker does not grant by default, or another arch, are
      left out.  Rules with argument checks (clone, clone3, socket,
      personality) are left to policy-exec -D or out.
  --without drops names, to model an older release of the policy.
"""
import json
import os
import sys

ARCH_TAGS = {"all", "lp64", "x86_64"}
# Docker's default capabilities (moby oci/caps/defaults.go).
DOCKER_CAPS = {"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
               "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
               "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
               "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"}


def bionic_names(path):
    names = set()
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        if "(" not in line or ")" not in line:
            continue
        head = line.split("(", 1)[0].split()[-1]
        arches = set(line.rsplit(")", 1)[1].replace(",", " ").split())
        if not arches & ARCH_TAGS:
            continue
        # func[|alias]...[:syscall[:socketcall id]]
        parts = head.split(":")
        names.add(parts[1] if len(parts) > 1 else parts[0].split("|")[0])
    return names


def android_app(top):
    libc = os.path.join(top, "libc")
    allowed = set()
    for f in ("SYSCALLS.TXT", "SECCOMP_ALLOWLIST_COMMON.TXT",
              "SECCOMP_ALLOWLIST_APP.TXT"):
        allowed |= bionic_names(os.path.join(libc, f))
    for f in ("SECCOMP_BLOCKLIST_APP.TXT", "SECCOMP_BLOCKLIST_COMMON.TXT"):
        allowed -= bionic_names(os.path.join(libc, f))
    return allowed


def docker(top):
    profile = json.load(open(os.path.join(top, "profiles", "seccomp",
                                          "default.json")))
    allowed = set()
    for rule in profile["syscalls"]:
        if rule["action"] != "SCMP_ACT_ALLOW" or rule.get("args"):
            continue
        inc = rule.get("includes") or {}
        if inc.get("arches") and not set(inc["arches"]) & {"amd64"}:
            continue
        if inc.get("caps") and not set(inc["caps"]) <= DOCKER_CAPS:
            continue
        allowed |= set(rule["names"])
    return allowed


def main():
    kind, top = sys.argv[1], sys.argv[2]
    names = android_app(top) if kind == "android-app" else docker(top)
    if len(sys.argv) > 4 and sys.argv[3] == "--without":
        names -= set(sys.argv[4].split(","))
    print("\n".join(sorted(names)))


main()
