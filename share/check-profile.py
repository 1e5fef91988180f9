#!/usr/bin/env python3
"""Structural checks for capsa's default security profile (share/).

Usage: python3 share/check-profile.py [--resolve] [DIR]

DIR defaults to the directory holding this script. It must contain
seccomp-default.json (a runtime-spec linux.seccomp object) and
capabilities-default.json (a runtime-spec process.capabilities object).

With --resolve, every syscall name is also looked up with libseccomp's
scmp_sys_resolver (Debian package "seccomp") for x86_64, and names it does not
know are listed (a warning, not a failure: capsa skips unknown names, as runc does).

Exit status 0 when every check passes, 1 otherwise. Standard library only.
"""

import json
import os
import shutil
import subprocess
import sys

ACTIONS = {
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
    "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW",
    "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
}
OPS = {
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ",
    "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
}
ARCHES = {
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
}
RULE_KEYS = {"names", "action", "errnoRet", "args"}
ARG_KEYS = {"index", "value", "valueTwo", "op"}
U64_MAX = (1 << 64) - 1

# Syscalls that must never be allowed unconditionally by the default profile.
# Some are allowed with argument conditions (clone, personality, socket); the
# rest are denied outright, or added only by the CLI for a capability
# (see README.md, "--cap-add").
DANGEROUS = {
    # kernel code and machine state
    "kexec_load", "kexec_file_load", "init_module", "finit_module",
    "delete_module", "create_module", "get_kernel_syms", "query_module",
    "reboot", "swapon", "swapoff", "acct",
    # mounts and namespaces
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns",
    "fsopen", "fsconfig", "fsmount", "fspick", "move_mount", "open_tree",
    "mount_setattr", "clone3",
    # kernel keyring
    "keyctl", "add_key", "request_key",
    # kernel attack surface / introspection
    "bpf", "perf_event_open", "userfaultfd", "lookup_dcookie", "syslog",
    "fanotify_init", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # file handles (the "shocker" breakout)
    "open_by_handle_at", "name_to_handle_at",
    # quotas, time
    "quotactl", "quotactl_fd", "clock_settime", "clock_settime64",
    "settimeofday", "stime", "adjtimex", "clock_adjtime", "clock_adjtime64",
    # hardware, legacy and obsolete
    "iopl", "ioperm", "vm86", "vm86old", "uselib", "nfsservctl", "sysfs",
    "_sysctl", "ustat", "vhangup",
    # NUMA memory policy (CAP_SYS_NICE)
    "mbind", "set_mempolicy", "get_mempolicy", "set_mempolicy_home_node",
    "migrate_pages", "move_pages",
    # host name (UTS is namespaced, but the kernel wants CAP_SYS_ADMIN anyway)
    "sethostname", "setdomainname",
    # argument-filtered: must only appear with args
    "clone", "personality", "socket",
}

CAPS = [
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
    "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
]
KNOWN_CAPS = set(CAPS) | {
    "CAP_DAC_READ_SEARCH", "CAP_LINUX_IMMUTABLE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_LEASE", "CAP_AUDIT_CONTROL", "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
}

failures = []


def fail(msg):
    failures.append(msg)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        fail(f"{path}: {e}")
        return None


def is_u64(v):
    return isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= U64_MAX


def check_seccomp(p, where):
    if not isinstance(p, dict):
        fail(f"{where}: not a JSON object")
        return set()
    extra = set(p) - {"defaultAction", "defaultErrnoRet", "architectures",
                      "flags", "listenerPath", "listenerMetadata", "syscalls"}
    if extra:
        fail(f"{where}: unknown keys {sorted(extra)}")
    if p.get("defaultAction") != "SCMP_ACT_ERRNO":
        fail(f"{where}: defaultAction must be SCMP_ACT_ERRNO")
    if p.get("defaultErrnoRet") != 1:
        fail(f"{where}: defaultErrnoRet must be 1 (EPERM)")
    arches = p.get("architectures")
    if not isinstance(arches, list) or not arches:
        fail(f"{where}: architectures must be a non-empty array")
    else:
        for a in arches:
            if a not in ARCHES:
                fail(f"{where}: unknown architecture {a!r}")
        if "SCMP_ARCH_X86_64" not in arches:
            fail(f"{where}: SCMP_ARCH_X86_64 missing")
    rules = p.get("syscalls")
    if not isinstance(rules, list) or not rules:
        fail(f"{where}: syscalls must be a non-empty array")
        return set()

    uncond_allow = {}      # name -> rule index
    cond_allow = {}        # name -> [rule index]
    denied = {}            # name -> rule index (non-ALLOW action)
    all_names = set()
    for i, r in enumerate(rules):
        w = f"{where}: syscalls[{i}]"
        if not isinstance(r, dict):
            fail(f"{w}: not an object")
            continue
        extra = set(r) - RULE_KEYS
        if extra:
            fail(f"{w}: unknown keys {sorted(extra)}")
        names = r.get("names")
        if not isinstance(names, list) or not names:
            fail(f"{w}: names must be a non-empty array")
            continue
        if not all(isinstance(n, str) and n for n in names):
            fail(f"{w}: names must be non-empty strings")
            continue
        if names != sorted(names):
            fail(f"{w}: names not sorted")
        if len(set(names)) != len(names):
            fail(f"{w}: duplicate names")
        action = r.get("action")
        if action not in ACTIONS:
            fail(f"{w}: invalid action {action!r}")
        if "errnoRet" in r:
            if action != "SCMP_ACT_ERRNO":
                fail(f"{w}: errnoRet only makes sense with SCMP_ACT_ERRNO")
            if not (isinstance(r["errnoRet"], int) and 0 < r["errnoRet"] < 4096):
                fail(f"{w}: errnoRet must be an errno number")
        args = r.get("args", [])
        if not isinstance(args, list):
            fail(f"{w}: args must be an array")
            args = []
        seen_idx = set()
        for j, a in enumerate(args):
            wa = f"{w}.args[{j}]"
            if not isinstance(a, dict):
                fail(f"{wa}: not an object")
                continue
            extra = set(a) - ARG_KEYS
            if extra:
                fail(f"{wa}: unknown keys {sorted(extra)}")
            if a.get("op") not in OPS:
                fail(f"{wa}: invalid op {a.get('op')!r}")
            idx = a.get("index")
            if not (isinstance(idx, int) and 0 <= idx <= 5):
                fail(f"{wa}: index must be 0..5")
            if idx in seen_idx:
                # libseccomp ANDs comparators; two on the same argument
                # in one rule is rejected by seccomp_rule_add.
                fail(f"{wa}: two comparisons on argument {idx} in one rule")
            seen_idx.add(idx)
            if not is_u64(a.get("value")):
                fail(f"{wa}: value must be an unsigned 64-bit integer")
            if "valueTwo" in a and not is_u64(a["valueTwo"]):
                fail(f"{wa}: valueTwo must be an unsigned 64-bit integer")
            if a.get("op") == "SCMP_CMP_MASKED_EQ" and "valueTwo" not in a:
                fail(f"{wa}: SCMP_CMP_MASKED_EQ needs valueTwo")
        for n in names:
            all_names.add(n)
            if action == "SCMP_ACT_ALLOW":
                if args:
                    cond_allow.setdefault(n, []).append(i)
                else:
                    if n in uncond_allow:
                        fail(f"{w}: {n} already allowed by syscalls[{uncond_allow[n]}]")
                    uncond_allow[n] = i
            else:
                if n in denied:
                    fail(f"{w}: {n} already has an action in syscalls[{denied[n]}]")
                denied[n] = i

    for n in sorted(set(uncond_allow) & set(denied)):
        fail(f"{where}: {n} is both allowed unconditionally "
             f"(syscalls[{uncond_allow[n]}]) and denied (syscalls[{denied[n]}])")
    for n in sorted(set(uncond_allow) & set(cond_allow)):
        fail(f"{where}: {n} is allowed unconditionally and also conditionally "
             "(the condition would be void)")
    for n in sorted(set(uncond_allow) & DANGEROUS):
        fail(f"{where}: {n} must not be allowed unconditionally")

    # The specific shapes this profile promises (README.md).
    pers = sorted(rules[i]["args"][0]["value"] for i in cond_allow.get("personality", []))
    if pers != [0x0, 0x8, 0x20000, 0x20008, 0xffffffff]:
        fail(f"{where}: personality values are {[hex(v) for v in pers]}")
    for i in cond_allow.get("personality", []):
        a = rules[i]["args"]
        if len(a) != 1 or a[0]["op"] != "SCMP_CMP_EQ" or a[0]["index"] != 0:
            fail(f"{where}: syscalls[{i}]: personality rule must be one EQ on arg 0")
    clone = [rules[i]["args"] for i in cond_allow.get("clone", [])]
    if clone != [[{"index": 0, "value": 0x7E020000, "valueTwo": 0,
                   "op": "SCMP_CMP_MASKED_EQ"}]]:
        fail(f"{where}: clone must be one MASKED_EQ rule (arg0 & 0x7E020000) == 0")
    c3 = denied.get("clone3")
    if c3 is None or rules[c3].get("action") != "SCMP_ACT_ERRNO" \
            or rules[c3].get("errnoRet") != 38:
        fail(f"{where}: clone3 must be SCMP_ACT_ERRNO with errnoRet 38 (ENOSYS)")
    sock = [rules[i]["args"] for i in cond_allow.get("socket", [])]
    if sock != [[{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]]:
        fail(f"{where}: socket must be one rule arg0 != 40 (AF_VSOCK)")
    for n in ("ptrace", "process_vm_readv", "process_vm_writev", "chroot",
              "arch_prctl", "read", "write", "execve"):
        if n not in uncond_allow:
            fail(f"{where}: {n} should be allowed (as Docker does)")

    return set(uncond_allow), set(cond_allow), all_names


def check_caps(c, where):
    if not isinstance(c, dict):
        fail(f"{where}: not a JSON object")
        return
    keys = {"bounding", "effective", "permitted", "inheritable", "ambient"}
    if set(c) != keys:
        fail(f"{where}: keys must be exactly {sorted(keys)}")
    for k in ("bounding", "effective", "permitted"):
        v = c.get(k)
        if not isinstance(v, list):
            fail(f"{where}: {k} must be an array")
            continue
        if len(v) != 14 or len(set(v)) != 14:
            fail(f"{where}: {k} must hold 14 distinct capabilities, has {len(v)}")
        for cap in v:
            if cap not in KNOWN_CAPS:
                fail(f"{where}: {k}: unknown capability {cap!r}")
        if set(v) != set(CAPS):
            fail(f"{where}: {k} differs from Docker's defaults: "
                 f"missing {sorted(set(CAPS) - set(v))}, extra {sorted(set(v) - set(CAPS))}")
    for k in ("inheritable", "ambient"):
        if c.get(k) != []:
            fail(f"{where}: {k} must be empty")


def resolve(names):
    tool = shutil.which("scmp_sys_resolver")
    if not tool:
        print("note: scmp_sys_resolver not found (apt-get install seccomp); skipping --resolve")
        return
    unknown, other_arch = [], []
    for n in sorted(names):
        out = subprocess.run([tool, "-a", "x86_64", n], capture_output=True,
                             text=True).stdout.strip()
        try:
            nr = int(out)
        except ValueError:
            nr = -1
        if nr == -1:
            unknown.append(n)
        elif nr < 0:
            other_arch.append(n)
    print(f"libseccomp does not know ({len(unknown)}): {' '.join(unknown) or '-'}")
    print(f"known, but not x86_64 syscalls (used on x86/x32) ({len(other_arch)}): "
          f"{' '.join(other_arch) or '-'}")


def main(argv):
    do_resolve = "--resolve" in argv
    rest = [a for a in argv if a != "--resolve"]
    d = rest[0] if rest else os.path.dirname(os.path.abspath(__file__))
    sp = os.path.join(d, "seccomp-default.json")
    cp = os.path.join(d, "capabilities-default.json")
    prof = load(sp)
    caps = load(cp)
    res = None
    if prof is not None:
        res = check_seccomp(prof, sp)
    if caps is not None:
        check_caps(caps, cp)
    if failures:
        for f in failures:
            print("FAIL:", f)
        return 1
    uncond, cond, names = res
    print(f"ok: {len(uncond)} syscalls allowed unconditionally, "
          f"{len(cond)} allowed with argument conditions ({', '.join(sorted(cond))}), "
          f"{len(names)} names in total; 14 capabilities")
    if do_resolve:
        resolve(names)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
