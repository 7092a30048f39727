# Test images for images-oci.bats, built from the test image's busybox
# rootfs ($CTL_IMAGE_TAR): layers made by `umoci repack` (the base and the
# file-system edits of `rich`, whose whiteouts umoci writes) or by
# oci_tool add-layer (small layers, and the opaque dir, which umoci repack
# never writes; umoci 0.4.7's `insert` writes truncated tars, so it is not
# used), configs by `umoci config`, archives by skopeo in the tests.
# oci_tool is a small python tool that edits OCI layouts (one tag per
# layout, recompressed layers, media types, corrupt blobs, nested platform
# indexes) and keeps every other digest in the chain consistent, so each
# bad input has exactly one thing wrong with it.
#
# Layout $OCI/L (oci_build_images), tags:
#   base       the busybox rootfs, one layer
#   rich       base + 3 layers: hardlinks across dirs, setuid/setgid/sticky,
#              security.capability and user.* xattrs, a symlink chain,
#              non-root owners, a fifo, char and block devices, a fixed
#              mtime (layer 2, umoci); deleted files and dir, overwritten
#              and chmod/chown'ed files, a file replaced by a dir (layer 3,
#              umoci); an opaque dir with new content (layer 4, by hand,
#              with PAX sub-second mtimes)
#   one, two   base + /marker "one" / "two"
#   share1     base + /share/marker; share2 = share1 + /share/top
#   fz, fplain, bad   base + /marker "zstd" / "plain" / "bad" (each a layer
#              no other image has, so importing it really unpacks it)
#   cfgbase    base + a layer with /etc/passwd, /etc/group (user app
#              1234:5678, group app 5678) and /work/dir (owned by app)
#   cfg        cfgbase with Env, WorkingDir, User app, Labels, StopSignal
#              SIGUSR1, Cmd
#   ep         cfgbase with Entrypoint [/bin/echo, ep] and Cmd [c1, "c 2"]
#   uid        cfgbase with User 2345:3456

# The host's architecture as OCI names it.
oci_host_arch() {
        case $(uname -m) in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        armv7l | armv6l) echo arm ;;
        i?86) echo 386 ;;
        ppc64le) echo ppc64le ;;
        s390x) echo s390x ;;
        riscv64) echo riscv64 ;;
        *) uname -m ;;
        esac
}

# An architecture that is not the host's.
oci_other_arch() {
        if [[ $(oci_host_arch) == s390x ]]; then echo ppc64le; else echo s390x; fi
}

OCI_TOOL_PY=$(
        cat <<'PY'
import gzip, hashlib, json, os, shutil, subprocess, sys, tarfile

REF = "org.opencontainers.image.ref.name"
T_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
T_INDEX = "application/vnd.oci.image.index.v1+json"
T_LAYER = "application/vnd.oci.image.layer.v1.tar"


def hexof(d):
        assert d.startswith("sha256:"), d
        return d[7:]


def bpath(lay, d):
        return os.path.join(lay, "blobs", "sha256", hexof(d))


def rd(lay, d):
        with open(bpath(lay, d), "rb") as f:
                return f.read()


def jrd(lay, d):
        return json.loads(rd(lay, d))


def put(lay, data, name=None):
        """Writes a blob (a new inode: blobs may be hardlinked into other
        layouts) named by its digest, or by name to lie about it."""
        d = "sha256:" + hashlib.sha256(data).hexdigest()
        p = bpath(lay, name or d)
        tmp = p + ".tmp"
        with open(tmp, "wb") as f:
                f.write(data)
        os.rename(tmp, p)
        return d, len(data)


def jput(lay, obj):
        return put(lay, json.dumps(obj, separators=(",", ":")).encode())


def index(lay):
        with open(os.path.join(lay, "index.json")) as f:
                return json.load(f)


def set_index(lay, idx):
        tmp = os.path.join(lay, "index.json.tmp")
        with open(tmp, "w") as f:
                json.dump(idx, f, separators=(",", ":"))
        os.rename(tmp, os.path.join(lay, "index.json"))


def entry(idx, tag):
        for e in idx["manifests"]:
                if e.get("annotations", {}).get(REF) == tag:
                        return e
        sys.exit("oci_tool: no tag %s" % tag)


def manifest(lay, tag):
        idx = index(lay)
        e = entry(idx, tag)
        return idx, e, jrd(lay, e["digest"])


def set_manifest(lay, idx, e, m):
        e["digest"], e["size"] = jput(lay, m)
        set_index(lay, idx)


def set_config(lay, tag, fn):
        idx, e, m = manifest(lay, tag)
        cfg = jrd(lay, m["config"]["digest"])
        fn(cfg)
        m["config"]["digest"], m["config"]["size"] = jput(lay, cfg)
        set_manifest(lay, idx, e, m)


def link_blob(src, dst, d):
        p = bpath(dst, d)
        if not os.path.exists(p):
                os.link(bpath(src, d), p)


def new_layout(dst):
        # Tests reuse names (one layout per test): start afresh.
        shutil.rmtree(dst, ignore_errors=True)
        os.makedirs(os.path.join(dst, "blobs", "sha256"))
        with open(os.path.join(dst, "oci-layout"), "w") as f:
                f.write('{"imageLayoutVersion":"1.0.0"}')


def copy_manifest(src, dst, e):
        m = jrd(src, e["digest"])
        for d in [e["digest"], m["config"]["digest"]] + [l["digest"] for l in m["layers"]]:
                link_blob(src, dst, d)


def decompress(media_type, data):
        if media_type.endswith("+gzip") or media_type.endswith(".gzip"):
                return gzip.decompress(data)
        if media_type.endswith("+zstd"):
                return subprocess.run(["zstd", "-qdc"], input=data, check=True,
                                      stdout=subprocess.PIPE).stdout
        return data


def compress(fmt, data):
        if fmt == "gzip":
                return gzip.compress(data, mtime=0), T_LAYER + "+gzip"
        if fmt == "zstd":
                return subprocess.run(["zstd", "-qc", "-3"], input=data, check=True,
                                      stdout=subprocess.PIPE).stdout, T_LAYER + "+zstd"
        return data, T_LAYER


def main(argv):
        cmd, a = argv[0], argv[1:]
        if cmd == "single":
                # single SRC TAG DEST [REF]: a layout with SRC:TAG only,
                # named REF ("" for none; default TAG).
                src, tag, dst = a[:3]
                ref = a[3] if len(a) > 3 else tag
                new_layout(dst)
                e = dict(entry(index(src), tag))
                copy_manifest(src, dst, e)
                e.pop("annotations", None)
                if ref:
                        e["annotations"] = {REF: ref}
                set_index(dst, {"schemaVersion": 2, "manifests": [e]})
        elif cmd == "multi":
                # multi SRC DEST TAG...: a layout with those tags.
                src, dst, tags = a[0], a[1], a[2:]
                new_layout(dst)
                es = []
                for t in tags:
                        e = entry(index(src), t)
                        copy_manifest(src, dst, e)
                        es.append(e)
                set_index(dst, {"schemaVersion": 2, "manifests": es})
        elif cmd == "platforms":
                # platforms SRC DEST REF TAG=ARCH...: index.json holds one
                # nested index (named REF) of those manifests, each with
                # platform linux/ARCH.
                src, dst, ref, pairs = a[0], a[1], a[2], a[3:]
                new_layout(dst)
                ms = []
                for p in pairs:
                        t, arch = p.split("=")
                        e = entry(index(src), t)
                        copy_manifest(src, dst, e)
                        ms.append({"mediaType": T_MANIFEST, "digest": e["digest"], "size": e["size"],
                                   "platform": {"architecture": arch, "os": "linux"}})
                d, n = jput(dst, {"schemaVersion": 2, "mediaType": T_INDEX, "manifests": ms})
                set_index(dst, {"schemaVersion": 2, "manifests": [
                        {"mediaType": T_INDEX, "digest": d, "size": n, "annotations": {REF: ref}}]})
        elif cmd == "add-layer":
                # add-layer LAYOUT FROM TO DIR [opaque=REL]...: TO = FROM + a
                # tar+gzip layer of DIR's tree (every parent dir included,
                # numeric owners only), REL/.wh..wh..opq after directory
                # REL. (umoci 0.4.7's `insert` writes truncated tars.)
                lay, frm, to, src = a[:4]
                opaque = set(x.split("=", 1)[1] for x in a[4:] if x.startswith("opaque="))
                import io
                raw = io.BytesIO()
                with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
                        def add(rel):
                                ti = t.gettarinfo(os.path.join(src, rel), rel)
                                ti.uname = ti.gname = ""
                                if ti.isreg():
                                        with open(os.path.join(src, rel), "rb") as f:
                                                t.addfile(ti, f)
                                else:
                                        t.addfile(ti)
                                if rel in opaque:
                                        wh = tarfile.TarInfo(rel + "/.wh..wh..opq")
                                        wh.mode = 0
                                        t.addfile(wh)
                        for dp, dns, fns in sorted(os.walk(src)):
                                dns.sort()
                                rel = os.path.relpath(dp, src)
                                if rel != ".":
                                        add(rel)
                                for n in sorted(fns):
                                        add(os.path.normpath(os.path.join(rel, n)))
                tar = raw.getvalue()
                idx = index(lay)
                m = jrd(lay, entry(idx, frm)["digest"])
                cfg = jrd(lay, m["config"]["digest"])
                cfg["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(tar).hexdigest())
                cfg.setdefault("history", []).append({"created_by": "oci-build add-layer " + to})
                d, n = put(lay, gzip.compress(tar, mtime=0))
                m["layers"].append({"mediaType": T_LAYER + "+gzip", "digest": d, "size": n})
                m["config"]["digest"], m["config"]["size"] = jput(lay, cfg)
                d, n = jput(lay, m)
                idx["manifests"] = [e for e in idx["manifests"] if e.get("annotations", {}).get(REF) != to]
                idx["manifests"].append({"mediaType": T_MANIFEST, "digest": d, "size": n,
                                         "annotations": {REF: to}})
                set_index(lay, idx)
        elif cmd == "recompress":
                # recompress LAYOUT TAG none|gzip|zstd
                lay, tag, fmt = a
                idx, e, m = manifest(lay, tag)
                for l in m["layers"]:
                        data, l["mediaType"] = compress(fmt, decompress(l["mediaType"], rd(lay, l["digest"])))
                        l["digest"], l["size"] = put(lay, data)
                set_manifest(lay, idx, e, m)
        elif cmd == "media-type":
                # media-type LAYOUT TAG LAYER TYPE (LAYER: index, -1 = top)
                lay, tag, n, t = a
                idx, e, m = manifest(lay, tag)
                m["layers"][int(n)]["mediaType"] = t
                set_manifest(lay, idx, e, m)
        elif cmd == "diff-id":
                # diff-id LAYOUT TAG LAYER HEX: the config says another diff_id
                lay, tag, n, h = a
                set_config(lay, tag, lambda c: c["rootfs"]["diff_ids"].__setitem__(int(n), "sha256:" + h))
        elif cmd == "blob":
                # blob LAYOUT TAG manifest|config|LAYER: prints its digest
                lay, tag, what = a
                idx, e, m = manifest(lay, tag)
                if what == "manifest":
                        print(e["digest"])
                elif what == "config":
                        print(m["config"]["digest"])
                else:
                        print(m["layers"][int(what)]["digest"])
        elif cmd == "describe":
                # describe LAYOUT TAG: what `image inspect` must say of the
                # image, in the form of OCI_DESCRIBE_JQ.
                lay, tag = a
                idx, e, m = manifest(lay, tag)
                cfg = jrd(lay, m["config"]["digest"])
                print("id %s" % hexof(m["config"]["digest"]))
                print("manifest_digest %s" % e["digest"])
                print("platform %s/%s" % (cfg["os"], cfg["architecture"]))
                print("history %d" % len(cfg.get("history", [])))
                for i, l in enumerate(m["layers"]):
                        print("layer %d %s %d %s %s" % (i, l["digest"], l["size"], l["mediaType"],
                                                       cfg["rootfs"]["diff_ids"][i]))
        elif cmd == "size":
                # size LAYOUT TAG LAYER: the layer descriptor's size
                lay, tag, n = a
                idx, e, m = manifest(lay, tag)
                print(m["layers"][int(n)]["size"])
        elif cmd == "corrupt":
                # corrupt LAYOUT TAG WHAT: the blob keeps its name (digest)
                # and size, its content changes:
                #   layer-gzip-mtime  the gzip header's MTIME of the top layer
                #                     (decompresses to the same tar: only its
                #                     blob digest is wrong)
                #   layer-truncate    the top layer cut to half its size
                #   manifest, config  one letter of the JSON (same size)
                lay, tag, what = a
                idx, e, m = manifest(lay, tag)
                if what.startswith("layer"):
                        d = m["layers"][-1]["digest"]
                elif what == "manifest":
                        d = e["digest"]
                else:
                        d = m["config"]["digest"]
                data = bytearray(rd(lay, d))
                if what == "layer-gzip-mtime":
                        assert data[:2] == b"\x1f\x8b", "not gzip"
                        data[4] ^= 0x5a
                elif what == "layer-truncate":
                        data = data[:len(data) // 2]
                else:
                        # {"schemaVersion"... -> {"SchemaVersion"...
                        assert data[:2] == b'{"' and chr(data[2]).isalpha()
                        data[2] ^= 0x20
                put(lay, bytes(data), name=d)
        elif cmd == "tar-flip":
                # tar-flip TARFILE: flips one content byte of the largest
                # regular file in an uncompressed tar (headers stay valid:
                # only the tar's digest changes).
                path = a[0]
                with tarfile.open(path) as t:
                        big = max((x for x in t if x.isreg()), key=lambda x: x.size)
                off = big.offset_data + big.size // 2
                with open(path, "r+b") as f:
                        f.seek(off)
                        b = f.read(1)
                        f.seek(off)
                        f.write(bytes([b[0] ^ 0xff]))
                print(big.name)
        elif cmd == "docker-legacy":
                # docker-legacy DIR (an extracted skopeo docker-archive):
                # as `docker save` wrote it before 25.0, each layer is the
                # file <id>/layer.tar (skopeo has a symlink there to the
                # top-level <diff_id>.tar) and manifest.json names that.
                d = a[0]
                with open(os.path.join(d, "manifest.json")) as f:
                        man = json.load(f)
                links = {}
                for name in os.listdir(d):
                        p = os.path.join(d, name, "layer.tar")
                        if os.path.islink(p):
                                target = os.path.basename(os.readlink(p))
                                os.replace(os.path.join(d, target), p)
                                links[target] = name + "/layer.tar"
                for img in man:
                        img["Layers"] = [links[l] for l in img["Layers"]]
                with open(os.path.join(d, "manifest.json"), "w") as f:
                        json.dump(man, f)
        else:
                sys.exit("oci_tool: unknown command " + cmd)


main(sys.argv[1:])
PY
)

# The interpreter itself rather than a wrapper (pyenv's shim costs half a
# second per call): set once by oci_build_images, exported.
oci_python() {
        "${OCI_PYTHON:-python3}" "$@"
}

# image inspect JSON -> the lines `oci_tool describe` prints.
OCI_DESCRIBE_JQ='"id \(.id)", "manifest_digest \(.manifest_digest)", "platform \(.os)/\(.architecture)",
        "history \(.history | length)",
        (.layers | to_entries[] | .key as $i | .value |
         "layer \($i) \(.digest) \(.blob_size) \(.media_type) \(.diff_id)")'

oci_tool() {
        oci_python -c "$OCI_TOOL_PY" "$@"
}

# oci_marker FROM TO PATH CONTENT: L:TO = L:FROM + a layer with file PATH
# (0644) holding CONTENT.
oci_marker() {
        local d=$OCI/marker-$2
        mkdir -p "$d/$(dirname "$3")"
        printf '%s\n' "$4" >"$d/$3"
        chmod 0644 "$d/$3"
        oci_tool add-layer "$OCI/L" "$1" "$2" "$d"
        rm -rf "$d"
}

# The facts of layer 2 of `rich` (see the header).
oci_rich_layer2() {
        local r=$1
        mkdir -p "$r"/data/{a,b,deldir/sub,opq/sub,sticky,owneddir}
        echo hello >"$r/data/a/f"
        ln "$r/data/a/f" "$r/data/b/g"
        echo x >"$r/data/del-me"
        echo y >"$r/data/deldir/sub/z"
        echo o1 >"$r/data/opq/old1"
        echo o3 >"$r/data/opq/sub/old3"
        printf '#!/bin/sh\necho suid\n' >"$r/data/suid"
        chmod 4755 "$r/data/suid"
        echo sg >"$r/data/sgid"
        chmod 2751 "$r/data/sgid"
        chmod 1777 "$r/data/sticky"
        echo cap >"$r/data/capfile"
        echo xa >"$r/data/xattr"
        # A VFS v2 capability blob: cap_net_bind_service(10), cap_net_raw(13)
        # permitted, effective flag set.
        oci_python - "$r" <<'PY'
import os, struct, sys
r = sys.argv[1]
perm = (1 << 10) | (1 << 13)
os.setxattr(r + "/data/capfile", "security.capability",
            struct.pack("<IIIII", 0x02000001, perm, 0, 0, 0))
os.setxattr(r + "/data/xattr", "user.test", b"hello")
os.setxattr(r + "/data/owneddir", "user.dirattr", b"d")
PY
        ln -s l2 "$r/data/l1"
        ln -s /data/l3 "$r/data/l2"
        ln -s a/f "$r/data/l3"
        ln -s /nonexistent "$r/data/dangle"
        echo own >"$r/data/owned"
        chown 1234:5678 "$r/data/owned"
        chown 1000:1001 "$r/data/owneddir"
        chmod 0750 "$r/data/owneddir"
        mkfifo -m 0640 "$r/data/fifo"
        mknod -m 0666 "$r/data/chardev" c 1 3
        mknod -m 0600 "$r/data/blockdev" b 7 0
        echo old >"$r/data/overwritten"
        echo cm >"$r/data/chmodme"
        chmod 0644 "$r/data/chmodme"
        echo tf >"$r/data/filetodir"
        # A binary file over 1 MiB (several progress steps, several reads).
        head -c 1500000 /dev/urandom >"$r/data/big"
        touch -d @1234567890 "$r/data/owned"
        touch -h -d @1234567891 "$r/data/l1"
}

oci_rich_layer3() {
        local r=$1
        rm "$r/data/del-me"
        rm -r "$r/data/deldir"
        echo new >"$r/data/overwritten"
        chmod 0600 "$r/data/chmodme"
        chown 42:43 "$r/data/chmodme"
        echo n >"$r/data/new"
        rm "$r/data/filetodir"
        mkdir "$r/data/filetodir"
        echo in >"$r/data/filetodir/x"
}

# oci_setup DIR: builds the test images into DIR (log in DIR.log, shown on
# failure); exports OCI and OCI_PYTHON. For setup_file.
oci_setup() {
        OCI=$1
        OCI_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
        export OCI OCI_PYTHON
        # A shell of its own, so that `set -e` holds in every step (a
        # function called as `f || ...` runs with errexit off).
        if ! bash -euo pipefail -c 'source "$1"; oci_build_images "$2"' _ \
                "${BASH_SOURCE[0]}" "$OCI" >"$OCI.log" 2>&1; then
                echo "building the test images failed:" >&2
                cat "$OCI.log" >&2
                return 1
        fi
}

# oci_build_images DIR: builds the layout DIR/L (see the header). Run it
# with errexit on (oci_setup does).
oci_build_images() {
        OCI=$1
        local L=$OCI/L
        mkdir -p "$OCI"
        umoci init --layout "$L"
        umoci new --image "$L:empty"
        umoci unpack --image "$L:empty" "$OCI/bundle"
        tar -xf "$CTL_IMAGE_TAR" -C "$OCI/bundle/rootfs"
        umoci repack --image "$L:base" "$OCI/bundle"
        rm -rf "$OCI/bundle"
        umoci rm --image "$L:empty"

        umoci unpack --image "$L:base" "$OCI/bundle"
        oci_rich_layer2 "$OCI/bundle/rootfs"
        umoci repack --image "$L:rich2" "$OCI/bundle"
        rm -rf "$OCI/bundle"
        umoci unpack --image "$L:rich2" "$OCI/bundle"
        oci_rich_layer3 "$OCI/bundle/rootfs"
        umoci repack --image "$L:rich3" "$OCI/bundle"
        rm -rf "$OCI/bundle"
        mkdir -p "$OCI/opq/data/opq/sub2"
        echo new1 >"$OCI/opq/data/opq/new1"
        echo new3 >"$OCI/opq/data/opq/sub2/new3"
        oci_tool add-layer "$L" rich3 rich "$OCI/opq" opaque=data/opq
        rm -rf "$OCI/opq"

        local t
        for t in one two; do
                oci_marker base "$t" marker "$t"
        done
        oci_marker base share1 share/marker share
        oci_marker share1 share2 share/top top
        oci_marker base fz marker zstd
        oci_marker base fplain marker plain
        oci_marker base bad marker bad

        mkdir -p "$OCI/cfg/etc" "$OCI/cfg/work/dir"
        printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
                'app:x:1234:5678:app:/home/app:/bin/sh' >"$OCI/cfg/etc/passwd"
        printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' 'app:x:5678:' >"$OCI/cfg/etc/group"
        chmod 0644 "$OCI/cfg/etc/passwd" "$OCI/cfg/etc/group"
        chmod 0755 "$OCI/cfg" "$OCI/cfg/etc" "$OCI/cfg/work"
        chown 1234:5678 "$OCI/cfg/work/dir"
        oci_tool add-layer "$L" base cfgbase "$OCI/cfg"
        rm -rf "$OCI/cfg"
        umoci config --image "$L:cfgbase" --tag cfg \
                --config.env FOO=image --config.env KEEP=1 \
                --config.env PATH=/custom/bin:/usr/bin:/bin \
                --config.workingdir /work/dir --config.user app \
                --config.label org.example.a=img --config.label shared=image \
                --config.stopsignal SIGUSR1 \
                --config.cmd /bin/sh --config.cmd -c --config.cmd 'echo cmd-from-image'
        umoci config --image "$L:cfgbase" --tag ep \
                --config.entrypoint /bin/echo --config.entrypoint ep \
                --config.cmd c1 --config.cmd 'c 2'
        umoci config --image "$L:cfgbase" --tag uid --config.user 2345:3456
}

# oci_single TAG DEST [REF]: a layout holding L:TAG only (blobs hardlinked:
# oci_tool never writes a blob in place), named REF (default TAG).
oci_single() {
        oci_tool single "$OCI/L" "$@"
}

# The full digest ("sha256:...") of blob WHAT (manifest, config, layer
# index) of TAG in LAYOUT.
oci_blob() {
        oci_tool blob "$@"
}

# oci_import_raw PATH [NAME [TAG [ALL]]]: image.import over the raw API.
# Prints each image.import.progress notification's params (compact JSON,
# one per line), then `result=JSON` or `error=JSON`; exits 0 or 1.
oci_import_raw() {
        oci_python - "$CTL_SOCK" "$@" <<'PY'
import json, socket, sys
sock, path = sys.argv[1], sys.argv[2]
params = {"path": path}
if len(sys.argv) > 3 and sys.argv[3]:
        params["name"] = sys.argv[3]
if len(sys.argv) > 4 and sys.argv[4]:
        params["tag"] = sys.argv[4]
if len(sys.argv) > 5:
        params["all"] = sys.argv[5] == "true"
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(60)
s.connect(sock)
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 1, "method": "image.import",
                       "params": params}) + "\n").encode())
buf = b""
while True:
        while b"\n" not in buf:
                chunk = s.recv(65536)
                if not chunk:
                        print("closed=noreply")
                        sys.exit(4)
                buf += chunk
        line, buf = buf.split(b"\n", 1)
        msg = json.loads(line)
        if msg.get("id") == 1:
                if "error" in msg:
                        print("error=" + json.dumps(msg["error"], separators=(",", ":")))
                        sys.exit(1)
                print("result=" + json.dumps(msg["result"], separators=(",", ":")))
                sys.exit(0)
        if msg.get("method") == "image.import.progress":
                print(json.dumps(msg.get("params"), separators=(",", ":"), sort_keys=True))
        else:
                print("other=" + line.decode())
PY
}
