#!/bin/sh
# Root only. Builds a throwaway busybox rootfs and runs exec-smoke on it
# (TAP on stdout). usage: run-exec-smoke.sh [BUILD_DIR]  (default: .)
set -eu
build=${1:-.}
root=$(mktemp -d /tmp/exec-smoke-rootfs-XXXXXX)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/proc" "$root/dev" "$root/tmp" "$root/etc"
cp "$(command -v busybox)" "$root/bin/busybox"
for a in sh sleep hostname cat id pwd echo tty stty true; do
        ln -s busybox "$root/bin/$a"
done
"$build/tests/runtime/exec-smoke" "$root"
