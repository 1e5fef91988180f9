#!/bin/bash
# Boot a pure cgroup-v2 Linux VM under qemu and run a guest shell script in it with the freshly
# built capsa-oci. The host here is hybrid v1/v2; this checks capsa on a unified-only host.
#
# Usage: tests/vm/cgroup2-vm.sh BUILD_DIR GUEST_SCRIPT [TIMEOUT_SECONDS]
#
#   BUILD_DIR     a meson build directory with src/oci/capsa-oci and tests/integration/probe
#   GUEST_SCRIPT  a busybox sh script, run in the guest as root as `sh /capsa/guest.sh` with
#                   CAPSA_OCI  the runtime (/usr/local/bin/capsa-oci, also on PATH)
#                   PROBE      the static test probe (/capsa/probe)
#                   ROOTFS     a ready busybox rootfs for bundles (/capsa/rootfs: busybox, its
#                              applet links in /bin, the probe at /probe, /etc/passwd, /etc/group)
#                 It reports with a line `VM-RESULT: N passed, M failed`.
#   TIMEOUT       seconds for the whole VM run (default 240)
#
# Guest: Debian 12's cloud kernel (downloaded once with apt-get download into BUILD_DIR/vm-cache/),
# an initramfs built fresh each run (busybox-static, capsa-oci and its shared libraries), copied
# onto a tmpfs and switch_root'ed into it (pivot_root does not work from the initial rootfs), with
# proc, sysfs, devtmpfs, cgroup2 (every controller enabled in the root's subtree_control), and
# tmpfs on /tmp and /run. Software emulation (TCG) unless CAPSA_VM_KVM=1.
#
# Environment:
#   CAPSA_VM_KERNEL  a vmlinuz to boot instead of Debian's cloud kernel (no download)
#   CAPSA_VM_KVM     1: use KVM (-enable-kvm -cpu host); not the default, since a nested /dev/kvm
#                    can make qemu abort or hang
#   CAPSA_VM_LOG     where to keep the serial console log (default BUILD_DIR/vm-logs/GUEST.log)
#
# Exit status: 0 when the guest printed `VM-RESULT: N passed, 0 failed` with N > 0; 1 otherwise
# (the console's last 50 lines are printed); 77 when the VM cannot be set up (skip); 2 on usage.
set -u
set -o pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
skip() { echo "$prog: SKIP: $*" >&2; exit 77; }
usage() { echo "usage: $prog BUILD_DIR GUEST_SCRIPT [TIMEOUT_SECONDS]" >&2; exit 2; }

[ $# -ge 2 ] && [ $# -le 3 ] || usage
build=$(cd "$1" 2>/dev/null && pwd) || { echo "$prog: no build directory $1" >&2; exit 2; }
guest=$2
tmo=${3:-240}
[ -f "$guest" ] || { echo "$prog: no guest script $guest" >&2; exit 2; }
case $tmo in ''|*[!0-9]*) usage ;; esac

oci=$build/src/oci/capsa-oci
probe=$build/tests/integration/probe
[ -x "$oci" ] || { echo "$prog: $oci not built (sh scripts/build.sh)" >&2; exit 2; }
[ -x "$probe" ] || { echo "$prog: $probe not built (sh scripts/build.sh)" >&2; exit 2; }

# ---- host tools -------------------------------------------------------------------------------
qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || skip "cpio not found (apt-get install cpio)"
command -v gzip >/dev/null || skip "gzip not found"
busybox=/bin/busybox
[ -x "$busybox" ] || skip "$busybox not found (apt-get install busybox-static)"
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
    skip "$busybox is dynamically linked (apt-get install busybox-static)"
fi

# ---- kernel -----------------------------------------------------------------------------------
cache=$build/vm-cache
kernel_ready() { [ -f "$cache/vmlinuz" ] && [ -s "$cache/kernel-version" ]; }

fetch_kernel() {  # into $cache: vmlinuz (symlink), kernel-version, the extracted package tree
    local meta=linux-image-cloud-amd64 pkg dl ver
    command -v apt-get >/dev/null || { echo "apt-get not found (not a Debian host?)"; return 1; }
    pkg=$(LC_ALL=C apt-cache depends "$meta" 2>/dev/null |
          sed -n 's/^ *Depends: \(linux-image-[^ ]*-cloud-amd64\)$/\1/p' | grep -v -- '-unsigned$' | head -n1)
    [ -n "$pkg" ] || { echo "apt-cache cannot resolve $meta to a versioned kernel package" \
                            "(run apt-get update, or set CAPSA_VM_KERNEL=/path/to/vmlinuz)"; return 1; }
    dl=$(mktemp -d "$cache/.dl.XXXXXX") || return 1
    if ! (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg") >"$dl/apt.log" 2>&1; then
        echo "apt-get download $pkg failed: $(tail -n 3 "$dl/apt.log" | tr '\n' ' ')"
        rm -rf "$dl"; return 1
    fi
    if ! dpkg -x "$dl"/"$pkg"_*.deb "$dl/$pkg" 2>"$dl/dpkg.log"; then
        echo "dpkg -x of $pkg failed: $(tail -n 3 "$dl/dpkg.log" | tr '\n' ' ')"
        rm -rf "$dl"; return 1
    fi
    ver=${pkg#linux-image-}
    [ -f "$dl/$pkg/boot/vmlinuz-$ver" ] || { echo "$pkg has no boot/vmlinuz-$ver"; rm -rf "$dl"; return 1; }
    rm -rf "${cache:?}/$pkg"
    mv "$dl/$pkg" "$cache/$pkg" && rm -rf "$dl" || return 1
    ln -sfn "$pkg/boot/vmlinuz-$ver" "$cache/vmlinuz"
    echo "$ver" >"$cache/kernel-version"
}

if [ -n "${CAPSA_VM_KERNEL:-}" ]; then
    [ -r "$CAPSA_VM_KERNEL" ] || skip "CAPSA_VM_KERNEL=$CAPSA_VM_KERNEL is not readable"
    vmlinuz=$CAPSA_VM_KERNEL
    kver=$(basename "$vmlinuz")
else
    mkdir -p "$cache" || skip "cannot create $cache"
    exec 9>"$cache/.lock"
    flock 9 2>/dev/null || true       # one download at a time
    if ! kernel_ready; then
        echo "$prog: downloading Debian's cloud kernel into $cache (once)" >&2
        why=$(fetch_kernel) || skip "kernel unavailable: $why"
    fi
    exec 9>&-
    vmlinuz=$cache/vmlinuz
    kver=$(cat "$cache/kernel-version")
fi

# ---- initramfs --------------------------------------------------------------------------------
tmp=$(mktemp -d /tmp/capsa-vm.XXXXXX) || die "mktemp failed"
qpid=""
cleanup() {
    [ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "$prog: interrupted" >&2; exit 1' INT TERM HUP

root=$tmp/root
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,newroot,usr/local/bin,capsa} || die "mkdir failed"

cp "$busybox" "$root/bin/busybox" || die "copy $busybox"
applets=$("$busybox" --list) || die "$busybox --list failed"
for app in $applets; do
    [ "$app" = busybox ] || ln -s busybox "$root/bin/$app"
done

# capsa-oci, every shared library ldd lists and the dynamic loader, at the host's paths
cp "$oci" "$root/usr/local/bin/capsa-oci" || die "copy $oci"
libs=$(LC_ALL=C ldd "$oci" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }') ||
    die "ldd $oci failed"
for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib" || die "copy $lib"
done

cp "$probe" "$root/capsa/probe" || die "copy $probe"
cp "$guest" "$root/capsa/guest.sh" || die "copy $guest"

# a ready busybox rootfs for bundles, as scripts/mkbundle.sh makes, with the probe at /probe
rfs=$root/capsa/rootfs
mkdir -p "$rfs"/{bin,etc,proc,sys,dev,tmp,root} || die "mkdir failed"
cp "$busybox" "$rfs/bin/busybox" || die "copy $busybox"
for app in $applets; do
    [ "$app" = busybox ] || ln -s busybox "$rfs/bin/$app"
done
cp "$probe" "$rfs/probe" || die "copy $probe"
echo 'root:x:0:0:root:/root:/bin/sh' >"$rfs/etc/passwd"
echo 'root:x:0:' >"$rfs/etc/group"
chmod 1777 "$rfs/tmp" "$root/tmp"

echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true   # early output; init re-opens it anyway
mknod -m 666 "$root/dev/null" c 1 3 2>/dev/null || true

marker="CAPSA-VM: init ready"
cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# Stage 1 (the kernel's initramfs): copy everything onto a tmpfs and switch_root into it, so that
# pivot_root (which the initial rootfs refuses) works for containers. Stage 2: mounts, cgroup2.
export PATH=/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin
if [ "${1:-}" != stage2 ]; then
    mount -t tmpfs -o mode=0755 root /newroot || { echo "CAPSA-VM: mount tmpfs failed"; poweroff -f; }
    for f in /*; do
        [ "$f" = /newroot ] || cp -a "$f" /newroot/ || echo "CAPSA-VM: copy $f failed"
    done
    exec switch_root /newroot /init stage2
    echo "CAPSA-VM: switch_root failed"; poweroff -f
fi
mount -t proc -o nosuid,nodev,noexec proc /proc
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
mount -t devtmpfs -o nosuid,mode=0755 devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o nosuid,noexec,gid=5,mode=0620,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
mount -t mqueue -o nosuid,nodev,noexec mqueue /dev/mqueue
mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 /sys/fs/cgroup ||
    mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup
mount -t tmpfs -o nosuid,nodev,mode=1777 tmpfs /tmp
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs /run
for c in $(cat /sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "CAPSA-VM: cannot enable controller $c"
done
hostname capsa-vm
echo   # the firmware's last line may lack its newline
echo "@MARKER@ (kernel $(uname -r), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.subtree_control))"
cd /
CAPSA_OCI=/usr/local/bin/capsa-oci PROBE=/capsa/probe ROOTFS=/capsa/rootfs HOME=/root \
    sh /capsa/guest.sh
echo "CAPSA-VM: guest script exited $?"
sync
poweroff -f
INIT
sed -i "s/@MARKER@/$marker/" "$root/init"
chmod 755 "$root/init" "$root/capsa/guest.sh"

initrd=$tmp/initrd.gz
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$initrd" ||
    die "building the initramfs failed"

# ---- run --------------------------------------------------------------------------------------
# software emulation by default: /dev/kvm exists on some hosts (nested) where KVM aborts or hangs
accel=(-cpu max)
if [ "${CAPSA_VM_KVM:-0}" = 1 ]; then
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip "CAPSA_VM_KVM=1 but /dev/kvm is not usable"
    accel=(-enable-kvm -cpu host)
fi

if [ -n "${CAPSA_VM_LOG:-}" ]; then
    log=$CAPSA_VM_LOG
else
    gname=${guest##*/}
    log=$build/vm-logs/${gname%.sh}.log
fi
mkdir -p "$(dirname "$log")" && : >"$log" || die "cannot write $log"

echo "$prog: booting $kver under qemu (${accel[*]}), guest $guest, timeout ${tmo}s, console log $log"
start=$(date +%s.%N)
mkfifo "$tmp/console" || die "mkfifo failed"
# the console, without CRs and terminal escapes (SeaBIOS), goes to the log; init's marker line and
# the lines after it also go to stdout
awk -v logf="$log" -v m="$marker" '
    { gsub(/\r/, ""); gsub(/\033\[[0-9;?]*[A-Za-z]|\033[c78]/, ""); print > logf; fflush(logf) }
    !on && (i = index($0, m)) { on = 1; $0 = substr($0, i) }
    on { print; fflush() }
' <"$tmp/console" &
apid=$!
timeout --kill-after=10 "$tmo" "$qemu" "${accel[@]}" -m 1024 -smp 2 -nographic -no-reboot -nic none \
    -kernel "$vmlinuz" -initrd "$initrd" -append 'console=ttyS0 quiet panic=-1' \
    </dev/null >"$tmp/console" 2>&1 &
qpid=$!
wait "$qpid"
rc=$?
qpid=""
wait "$apid"
elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

result=$(grep -E '^VM-RESULT: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1)
why=""
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    why="the VM timed out after ${tmo}s"
elif [ "$rc" -ne 0 ]; then
    why="qemu exited with status $rc"
elif ! grep -qF "$marker" "$log"; then
    why="the guest's init never started"
elif [ -z "$result" ]; then
    why="the guest printed no VM-RESULT line"
fi
if [ -z "$why" ]; then
    # shellcheck disable=SC2086
    set -- $result    # VM-RESULT: N passed, M failed
    if [ "$2" -gt 0 ] && [ "$4" -eq 0 ]; then
        echo "$prog: $result (${elapsed}s)"
        exit 0
    fi
    why="$result"
fi
echo "$prog: FAIL: $why (${elapsed}s); last 50 lines of the console ($log):" >&2
tail -n 50 "$log" >&2
exit 1
