#!/bin/sh
# Builds the default rootfs tarball from the host's busybox-static: the
# static busybox binary, one relative symlink per applet where busybox
# installs it (bin/, sbin/, usr/bin/, usr/sbin/), a minimal /etc and the
# mount points a container needs. The output is deterministic (sorted
# entries, fixed mtime, numeric root ownership), so its sha256 — the image
# id — is stable across runs on the same busybox.
#
# usage: make-busybox-image.sh OUTPUT.tar [BUSYBOX]
#        import: containerctl image import OUTPUT.tar busybox:latest
set -eu

out=${1:?usage: $0 OUTPUT.tar [path to a static busybox]}
bb=${2:-}
if [ -z "$bb" ]; then
        for c in /bin/busybox /usr/bin/busybox; do
                [ -x "$c" ] && bb=$c && break
        done
fi
[ -n "$bb" ] && [ -x "$bb" ] || { echo "$0: no busybox found (apt-get install busybox-static)" >&2; exit 1; }
if command -v file >/dev/null 2>&1 && ! file -L "$bb" | grep -q 'statically linked'; then
        echo "$0: $bb is not statically linked (apt-get install busybox-static)" >&2
        exit 1
fi
# Fixed unless the caller asks otherwise (reproducible-builds.org convention).
mtime=${SOURCE_DATE_EPOCH:-946684800}

umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/make-busybox-image.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/rootfs

mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/usr/local/bin" \
        "$root/etc" "$root/root" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/run" \
        "$root/var/tmp" "$root/home"
cp "$bb" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"

# One symlink per applet, relative so the tree also reads well on the host.
"$bb" --list-full | while read -r applet; do
        case $applet in
        bin/busybox | linuxrc | */) continue ;;
        bin/*) target=busybox ;;
        sbin/*) target=../bin/busybox ;;
        usr/bin/* | usr/sbin/*) target=../../bin/busybox ;;
        *) continue ;;
        esac
        [ -e "$root/$applet" ] || ln -s "$target" "$root/$applet"
done
[ -e "$root/bin/sh" ] || ln -s busybox "$root/bin/sh"

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
chmod 0644 "$root/etc/passwd" "$root/etc/group"
chmod 0700 "$root/root"
chmod 1777 "$root/tmp" "$root/var/tmp"

tar --create --file="$work/out.tar" --directory="$root" \
        --format=gnu --sort=name --mtime="@$mtime" \
        --owner=0 --group=0 --numeric-owner \
        .
mv "$work/out.tar" "$out"
echo "$out: sha256:$(sha256sum "$out" | cut -d' ' -f1)"
