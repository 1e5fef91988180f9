# Guest script for tests/vm/cgroup2-vm.sh (busybox sh, run as root in a pure cgroup-v2 VM):
# capsa-oci runs containers there, and its cgroup v2 driver does what the hybrid host cannot show:
# resources in v2 files, enforcement, the eBPF device filter, cgroup.freeze, cgroup.kill.
# Environment: CAPSA_OCI, PROBE, ROOTFS (see cgroup2-vm.sh).  Ends with `VM-RESULT: N passed, M failed`.

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
fail() { fail=$((fail + 1)); echo "FAIL - $1: $2"; }

OCI="$CAPSA_OCI --root /run/capsa-oci"

# config ARGS_JSON [LINUX_EXTRA]: /tmp/b/config.json as scripts/mkbundle.sh writes it, without the
# user namespace; LINUX_EXTRA ('"cgroupsPath": "/x", "resources": {...},') goes into "linux".
config() {
    cat >/tmp/b/config.json <<JSON
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": [$1],
    "env": ["PATH=/bin", "HOME=/root"],
    "cwd": "/",
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "capsa",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
    {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=1777"]}
  ],
  "linux": {$2
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"},
                   {"type": "cgroup"}, {"type": "time"}],
    "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                    "/proc/sched_debug", "/sys/firmware", "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
}
JSON
}

# the host is pure cgroup v2: cgroup2 on /sys/fs/cgroup and no v1 hierarchy
fstype=$(stat -f -c %t /sys/fs/cgroup)    # busybox prints no name for it: 0x63677270 is cgroup2
if [ "$fstype" = 63677270 ] && ! grep -q ' cgroup ' /proc/mounts; then
    ok "pure cgroup v2 host"
else
    fail "pure cgroup v2 host" "/sys/fs/cgroup is $fstype; $(grep cgroup /proc/mounts | tr '\n' ';')"
fi

mkdir -p /tmp/b && cp -a "$ROOTFS" /tmp/b/rootfs

config '"/probe", "ns"'
out=$($OCI run -b /tmp/b c1 2>/tmp/err)
rc=$?
case "$rc:$out" in
    0:*'"pid":1,'*) ok "run /probe ns: pid 1" ;;
    *) fail "run /probe ns" "exit $rc, stdout: $out, stderr: $(cat /tmp/err)" ;;
esac

config '"/probe", "exit", "3"'
$OCI run -b /tmp/b c2 >/tmp/out 2>/tmp/err
rc=$?
if [ "$rc" = 3 ]; then
    ok "run /probe exit 3: exit status 3"
else
    fail "run /probe exit 3" "exit $rc, stdout: $(cat /tmp/out), stderr: $(cat /tmp/err)"
fi

# check NAME EXPECTED ACTUAL
check() {
    if [ "$2" = "$3" ]; then ok "$1"; else fail "$1" "expected '$2', got '$3'"; fi
}

CG=/sys/fs/cgroup/capsa-vm

# resources land in the v2 files
config '"/probe", "sleep", "60"' '"cgroupsPath": "/capsa-vm/r1", "resources": {"memory": {"limit": 67108864, "swap": 100663296, "reservation": 33554432}, "cpu": {"shares": 1024, "quota": 30000, "period": 100000, "cpus": "0"}, "pids": {"limit": 42}, "unified": {"memory.high": "50331648"}},'
$OCI run -d -b /tmp/b r1 </dev/null >/dev/null 2>/tmp/err || fail "run -d r1" "$(cat /tmp/err)"
check "memory.max" 67108864 "$(cat $CG/r1/memory.max 2>&1)"
check "memory.swap.max (swap minus limit)" 33554432 "$(cat $CG/r1/memory.swap.max 2>&1)"
check "memory.low" 33554432 "$(cat $CG/r1/memory.low 2>&1)"
check "memory.high (unified)" 50331648 "$(cat $CG/r1/memory.high 2>&1)"
check "cpu.max" "30000 100000" "$(cat $CG/r1/cpu.max 2>&1)"
check "cpu.weight from 1024 shares" 39 "$(cat $CG/r1/cpu.weight 2>&1)"
check "cpuset.cpus" 0 "$(cat $CG/r1/cpuset.cpus 2>&1)"
check "pids.max" 42 "$(cat $CG/r1/pids.max 2>&1)"
pid=$($OCI state r1 | grep '"pid"' | tr -dc 0-9)
grep -qx "$pid" $CG/r1/cgroup.procs && ok "init in the container's cgroup" || fail "init in cgroup" "$pid not in $(cat $CG/r1/cgroup.procs)"

# update, ps, events
$OCI update --memory 128m --pids-limit 21 r1 2>/tmp/err || fail "update" "$(cat /tmp/err)"
check "update memory.max" 134217728 "$(cat $CG/r1/memory.max)"
check "update pids.max" 21 "$(cat $CG/r1/pids.max)"
check "ps --format json" "[$pid]" "$($OCI ps --format json r1)"
$OCI events --stats r1 | grep -q '"limit":134217728' && ok "events --stats" || fail "events --stats" "$($OCI events --stats r1 2>&1)"

# pause and resume through cgroup.freeze
$OCI pause r1 2>/tmp/err || fail "pause" "$(cat /tmp/err)"
check "cgroup.freeze after pause" 1 "$(cat $CG/r1/cgroup.freeze)"
$OCI state r1 | grep -q '"status": "paused"' && ok "state paused" || fail "state paused" "$($OCI state r1)"
$OCI resume r1 2>/tmp/err || fail "resume" "$(cat /tmp/err)"
$OCI state r1 | grep -q '"status": "running"' && ok "state running after resume" || fail "resume" "$($OCI state r1)"
$OCI pause r1
$OCI delete --force r1 2>/tmp/err && ok "delete --force a paused container" || fail "delete paused" "$(cat /tmp/err)"
[ ! -e $CG ] && ok "cgroups removed, parents included" || fail "cgroup removed" "$(ls -R $CG 2>&1)"

# v2 refuses v1-only settings clearly
config '"/probe", "exit", "0"' '"resources": {"memory": {"swappiness": 10}},'
$OCI run -b /tmp/b e1 >/dev/null 2>/tmp/err
grep -q "memory.swappiness: not supported on cgroup v2" /tmp/err && ok "swappiness refused on v2" || fail "swappiness" "$(cat /tmp/err)"

# enforcement: pids and memory
config '"/bin/sh", "-c", "for i in 1 2 3 4 5 6 7 8; do sleep 2 & done; wait"' '"cgroupsPath": "/capsa-vm/p", "resources": {"pids": {"limit": 4}},'
$OCI run -b /tmp/b p1 >/dev/null 2>/tmp/err
grep -q "can't fork" /tmp/err && ok "pids limit refuses a fork" || fail "pids enforcement" "$(cat /tmp/err)"
config '"/bin/sh", "-c", "dd if=/dev/zero of=/dev/null bs=100M count=1; echo dd-exit=$?"' '"cgroupsPath": "/capsa-vm/m", "resources": {"memory": {"limit": 33554432, "swap": 33554432}},'
out=$($OCI run -b /tmp/b m1 2>&1)
case "$out" in *dd-exit=137*) ok "memory limit OOM-kills a hog" ;; *) fail "memory enforcement" "$out" ;; esac

# the eBPF device filter: /dev/kmsg denied, then allowed for reading
devs='"devices": [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 420}],'
config '"/bin/sh", "-c", "(exec 3</dev/kmsg) && echo opened || echo denied; exec 4</dev/null && echo null-ok"' "$devs"' "cgroupsPath": "/capsa-vm/d", "resources": {"devices": [{"allow": false, "access": "rwm"}]},'
out=$($OCI run -b /tmp/b d1 2>&1)
case "$out" in *denied*null-ok*) ok "device filter denies /dev/kmsg, allows /dev/null" ;; *) fail "device filter denies" "$out" ;; esac
config '"/bin/sh", "-c", "(exec 3</dev/kmsg) && echo opened; (exec 4</dev/null) && echo null-ok; (exec 5>/dev/kmsg) || echo write-denied"' "$devs"' "cgroupsPath": "/capsa-vm/d", "resources": {"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 11, "access": "r"}]},'
out=$($OCI run -b /tmp/b d2 2>&1)
case "$out" in *opened*null-ok*write-denied*) ok "device filter allows read, denies write" ;; *) fail "device filter allow" "$out" ;; esac

# /sys/fs/cgroup shows the container's own cgroup, with and without a cgroup namespace: without
# one (podman and Docker with --cgroupns=host, the CRI) a fresh cgroup2 mount would show the
# host's root, no memory.max and every other cgroup (here: a sibling)
mkdir -p $CG/sibling
view='cat /sys/fs/cgroup/memory.max; find /sys/fs/cgroup -mindepth 1 -type d | wc -l; mkdir /sys/fs/cgroup/x 2>/dev/null && echo rw || echo ro'
for ns in own host; do
    config "\"/bin/sh\", \"-c\", \"$view\"" '"cgroupsPath": "/capsa-vm/v", "resources": {"memory": {"limit": 67108864}},'
    [ $ns = host ] && sed -i 's/{"type": "cgroup"}, //' /tmp/b/config.json
    out=$($OCI run -b /tmp/b v-$ns 2>&1 | tr '\n' ' ')
    check "$ns cgroupns: own memory.max, no other cgroup, read-only" "67108864 0 ro " "$out"
done
rmdir $CG/sibling $CG

# kill --all without a pid namespace goes through the cgroup (cgroup.kill for SIGKILL)
config '"/bin/sh", "-c", "sleep 60 & sleep 60"' '"cgroupsPath": "/capsa-vm/k",'
sed -i 's/{"type": "pid"}, //' /tmp/b/config.json
$OCI run -d -b /tmp/b k1 </dev/null >/dev/null 2>&1
n=$(wc -l < $CG/k/cgroup.procs)
$OCI kill --all k1 KILL
sleep 0.3
check "kill --all empties the cgroup (had $n)" 0 "$(wc -l < $CG/k/cgroup.procs)"
$OCI delete k1 2>/tmp/err || fail "delete k1" "$(cat /tmp/err)"
[ ! -e $CG ] && ok "nothing left under /sys/fs/cgroup" || fail "leftover cgroups" "$(find $CG)"

# this kernel has modules, unlike the test host: loading one needs CAP_SYS_MODULE
caps='"capabilities": {"bounding": ["CAP_CHOWN", "CAP_KILL"], "effective": ["CAP_CHOWN", "CAP_KILL"], "permitted": ["CAP_CHOWN", "CAP_KILL"]},'
config '"/probe", "try", "init_module"'
sed -i "s/\"noNewPrivileges\": true/$caps \"noNewPrivileges\": true/" /tmp/b/config.json
out=$($OCI run -b /tmp/b mod1 2>&1)
case "$out" in *'"errname":"EPERM"'*) ok "init_module refused without CAP_SYS_MODULE" ;; *) fail "init_module" "$out" ;; esac
sed -i 's/"CAP_KILL"]/"CAP_KILL", "CAP_SYS_MODULE"]/g' /tmp/b/config.json
out=$($OCI run -b /tmp/b mod2 2>&1)
case "$out" in *'"errname":"EPERM"'*|*'"errno":0'*) fail "init_module with CAP_SYS_MODULE" "$out" ;; *) ok "init_module reaches the kernel with CAP_SYS_MODULE (junk refused: $out)" ;; esac
# /proc/sysrq-trigger exists here: read-only in the container
config '"/probe", "try", "open", "/proc/sysrq-trigger", "w"'
out=$($OCI run -b /tmp/b sysrq 2>&1)
case "$out" in *'"errname":"EROFS"'*) ok "sysrq-trigger read-only" ;; *) fail "sysrq-trigger" "$out" ;; esac

echo "VM-RESULT: $pass passed, $fail failed"
