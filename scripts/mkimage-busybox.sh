#!/bin/sh
# Make a busybox image offline, from the host's busybox-static (no registry needed):
#   scripts/mkimage-busybox.sh [NAME] [-- capsa global options...]
# NAME defaults to busybox:latest.  CAPSA points at the capsa binary (default: build/src/cli/capsa).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
name=${1:-busybox:latest}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
capsa=${CAPSA:-$top/build/src/cli/capsa}
bb=/bin/busybox
[ -x "$bb" ] || { echo "mkimage-busybox: $bb is missing: apt-get install busybox-static" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'dynamically linked' && { echo "mkimage-busybox: $bb is not static: install busybox-static" >&2; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
r=$w/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/proc" "$r/sys" "$r/dev" "$r/root" "$r/usr/bin" "$r/usr/sbin" "$r/sbin" "$r/var"
cp "$bb" "$r/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -s busybox "$r/bin/$a"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
chmod 1777 "$r/tmp"; chmod 700 "$r/root"
exec "$capsa" "$@" import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --message "busybox-static $("$bb" 2>&1 | head -1 | cut -d' ' -f2) from the host" "$r" "$name"
