#!/bin/sh
# Root only. Builds a throwaway busybox rootfs with a static syscall-try
# and runs seccomp-smoke on it with etc/seccomp.json (TAP on stdout).
# usage: run-seccomp-smoke.sh [BUILD_DIR]  (default: .)
set -eu
build=${1:-.}
src=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d /tmp/seccomp-smoke-rootfs-XXXXXX)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/tmp" "$root/etc"
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh sleep cat true ls grep mkdir echo; do
        ln -s busybox "$root/bin/$a"
done
gcc -static -O2 -o "$root/bin/syscall-try" "$src/tests/runtime/syscall-try.c"
"$build/tests/runtime/seccomp-smoke" "$root" "$src/etc/seccomp.json"
