#!/usr/bin/env python3
"""Hostile archives for the image import tests (images-hostile.bats), and
the small OCI helpers images-crash.bats builds its images with.

  mkhostile.py corpus OUT --outside DIR --token TOKEN [--up N]
      Writes OUT/cases.json and, for every case, the hostile tar three ways:
      OUT/plain/CASE.tar (a rootfs tarball), OUT/layout/CASE/ (an OCI image
      layout whose only layer, gzip-compressed, is the tar) and
      OUT/archive/CASE.tar (an OCI archive: a tar of a layout whose layer is
      the uncompressed tar). Blobs, manifest and config (diff_id) are all
      correct: only the content is hostile. Cases named outer-* exist only
      as archives: their layer is harmless, the outer archive is hostile.
      Also fills DIR (the "outside" the escapes aim at) with canaries.
  mkhostile.py layer-tree DIR
      Prints an unpacked layer's tree (type, mode, owner, size, target),
      without times, for determinism checks.
  mkhostile.py image LAYOUT [--archive TAR] [--busybox TAR] --layer SPEC...
      A big, harmless image for the crash and concurrency tests: one layer
      per SPEC ("seed=S,files=N,size=B,big=B,marker=TEXT": N files of B
      random bytes, one file of `big` bytes, /marker; content determined by
      the seed), the busybox rootfs TAR added to the bottom layer, gzip
      layers. Written as an OCI layout and optionally as an archive too.
      Prints {"id", "diff_ids", "digests"} (id: the config digest's hex).

Every name a broken extractor could create outside starts with
"ctlesc-TOKEN", so the tests can look for it anywhere it might land.

Escapes are aimed at the test's $TMP: the daemon unpacks a layer into
$TMP/root/layers/<dir>/diff, so --up (default 4) ".." components from the
layer root reach $TMP, where the canaries live.

cases.json: [{"name", "wrap": plain|layout|archive, "path", "expect",
"needles": [...], "final": {...} or null}]. expect is
  fail       the import must fail, naming the entry (one of needles appears
             in the error), and change nothing;
  contained  the entry goes through a link that points out: resolving it
             inside the layer root (RESOLVE_IN_ROOT, chroot semantics) is as
             correct as refusing it. Either the import fails naming the
             entry, or it succeeds and everything it wrote is inside its own
             layer directory;
  ok         legal (duplicate entries): must succeed, and "final" gives the
             path, type and symlink target the last entry leaves behind.
"""
import argparse
import gzip
import hashlib
import json
import os
import platform
import stat
import sys
import tarfile

MTIME = 1700000000
BLOCK = 512


# ---------------------------------------------------------------- tar bytes


def _pad(data):
    return data + b"\0" * (-len(data) % BLOCK)


def _info(name, kind, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = kw.get("mode", 0o755 if kind == tarfile.DIRTYPE else 0o644)
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mtime = MTIME
    ti.linkname = kw.get("linkname", "")
    ti.devmajor = kw.get("major", 0)
    ti.devminor = kw.get("minor", 0)
    if "pax" in kw:
        ti.pax_headers = dict(kw["pax"])
    return ti


def entry(op, fmt=tarfile.PAX_FORMAT):
    """One archive member as bytes. op: (kind, name, arg...) with kind in
    file, dir, symlink, hardlink, chr, raw."""
    kind, name = op[0], op[1]
    data = b""
    if kind == "file":
        data = op[2] if len(op) > 2 else b"x\n"
        ti = _info(name, tarfile.REGTYPE)
        ti.size = len(data)
    elif kind == "dir":
        ti = _info(name, tarfile.DIRTYPE)
    elif kind == "symlink":
        ti = _info(name, tarfile.SYMTYPE, linkname=op[2], mode=0o777)
    elif kind == "hardlink":
        ti = _info(name, tarfile.LNKTYPE, linkname=op[2])
    elif kind == "chr":
        ti = _info(name, tarfile.CHRTYPE, major=op[2], minor=op[3], mode=0o666)
    elif kind == "pax-file":
        # ustar name `name`, pax path= op[2]: readers use the pax one.
        data = b"pax\n"
        ti = _info(name, tarfile.REGTYPE, pax={"path": op[2]})
        ti.size = len(data)
    elif kind == "pax-hardlink":
        ti = _info(name, tarfile.LNKTYPE, linkname="benign-target", pax={"linkpath": op[2]})
    elif kind == "raw":
        return op[2]
    else:
        raise ValueError(kind)
    return ti.tobuf(fmt, "utf-8", "surrogateescape") + _pad(data)


def raw_ustar(name, prefix="", typeflag=b"0", data=b"", linkname=""):
    """A ustar header written by hand: tarfile only fills `prefix` for long
    names, never with "..", so this is how a prefix that escapes is made."""
    def field(value, size):
        b = value.encode() if isinstance(value, str) else value
        assert len(b) <= size, (value, size)
        return b + b"\0" * (size - len(b))

    def octal(n, size):
        return field(b"%0*o" % (size - 1, n), size)

    hdr = (field(name, 100) + octal(0o644, 8) + octal(0, 8) + octal(0, 8) +
           octal(len(data), 12) + octal(MTIME, 12) + b" " * 8 + typeflag +
           field(linkname, 100) + b"ustar\x0000" + field("root", 32) + field("root", 32) +
           octal(0, 8) + octal(0, 8) + field(prefix, 155) + b"\0" * 12)
    assert len(hdr) == BLOCK
    chk = b"%06o\0 " % sum(hdr)
    hdr = hdr[:148] + chk + hdr[156:]
    return hdr + _pad(data)


def make_tar(ops, fmt=tarfile.PAX_FORMAT):
    out = b"".join(entry(op, fmt) for op in ops)
    return out + b"\0" * (2 * BLOCK)


# ---------------------------------------------------------------- OCI


def sha(data):
    return hashlib.sha256(data).hexdigest()


def goarch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386",
            "ppc64le": "ppc64le", "s390x": "s390x", "riscv64": "riscv64"}.get(m, m)


class Image:
    """An OCI image in memory: blobs by hex digest, the index.json bytes."""

    def __init__(self, layers, gz=True, ref=None, config_extra=None, created=None):
        """layers: uncompressed layer tars (bytes), bottom first."""
        self.blobs = {}
        descs, diff_ids = [], []
        for tar in layers:
            diff_ids.append("sha256:" + sha(tar))
            if gz:
                blob = gzip.compress(tar, compresslevel=1, mtime=0)
                mt = "application/vnd.oci.image.layer.v1.tar+gzip"
            else:
                blob = tar
                mt = "application/vnd.oci.image.layer.v1.tar"
            descs.append(self.add(blob, mt))
        config = {"architecture": goarch(), "os": "linux",
                  "config": {"Cmd": ["sh"],
                             "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids}}
        if created:
            config["created"] = created
        config.update(config_extra or {})
        cdesc = self.add(json.dumps(config, sort_keys=True).encode(),
                         "application/vnd.oci.image.config.v1+json")
        self.config_digest = cdesc["digest"]
        self.diff_ids = diff_ids
        self.layer_digests = [d["digest"] for d in descs]
        manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": cdesc, "layers": descs}
        mdesc = self.add(json.dumps(manifest, sort_keys=True).encode(),
                         "application/vnd.oci.image.manifest.v1+json")
        mdesc["platform"] = {"architecture": goarch(), "os": "linux"}
        if ref:
            mdesc["annotations"] = {"org.opencontainers.image.ref.name": ref}
        self.manifest_digest = mdesc["digest"]
        self.index = json.dumps({"schemaVersion": 2,
                                 "mediaType": "application/vnd.oci.image.index.v1+json",
                                 "manifests": [mdesc]}, sort_keys=True).encode()

    def add(self, data, media_type):
        h = sha(data)
        self.blobs[h] = data
        return {"mediaType": media_type, "digest": "sha256:" + h, "size": len(data)}

    def members(self):
        """The layout as archive ops, in the order skopeo writes them."""
        ops = [("file", "oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
               ("file", "index.json", self.index), ("dir", "blobs"), ("dir", "blobs/sha256")]
        ops += [("file", "blobs/sha256/" + h, self.blobs[h]) for h in sorted(self.blobs)]
        return ops

    def write_layout(self, path):
        os.makedirs(os.path.join(path, "blobs", "sha256"), exist_ok=True)
        for kind, name, *rest in self.members():
            if kind == "file":
                with open(os.path.join(path, name), "wb") as f:
                    f.write(rest[0])

    def write_archive(self, path, extra=(), replace=None, drop=()):
        """extra: more ops appended; replace: {member: op} swaps members;
        drop: members left out."""
        ops = []
        for op in self.members():
            if op[1] in drop:
                continue
            ops.append((replace or {}).get(op[1], op))
        with open(path, "wb") as f:
            f.write(make_tar(ops + list(extra)))


# ---------------------------------------------------------------- corpus


def corpus_cases(outside, token, up):
    """(name, expect, ops, needles, final, fmt). outside: absolute canary
    dir; up: ".." count from a layer root to the canary dir's parent."""
    T = "ctlesc-" + token
    UP = "../" * up                       # from the layer root to $TMP
    TOP = "../" * 24                      # clamps at / from anywhere
    out_rel = UP + os.path.basename(outside)  # $TMP/outside, relative
    PAX, GNU = tarfile.PAX_FORMAT, tarfile.GNU_FORMAT
    benign = [("dir", "etc"), ("file", "etc/hostname", b"hostile\n"), ("file", "file", b"inside\n")]
    cases = []

    def case(name, expect, ops, needles, final=None, fmt=PAX):
        cases.append((name, expect, benign + ops, needles, final, fmt))

    # ".." components and absolute names.
    case("dotdot", "fail", [("file", "../" + T + "-dotdot")], [T + "-dotdot"])
    case("dotdot-tmp", "fail", [("file", UP + T + "-dotdot-tmp")], [T + "-dotdot-tmp"])
    case("dotdot-slash", "fail", [("file", TOP + "tmp/" + T + "-dotdot-slash")], [T + "-dotdot-slash"])
    case("dotdot-mid", "fail", [("file", "a/b/../../" + UP + T + "-mid")], [T + "-mid"])
    case("dotdot-dir", "fail", [("dir", UP + T + "-dir")], [T + "-dir"])
    case("dotdot-name", "fail", [("dir", "..")], ["`..", "`../", "'..'", '".."'])
    case("dotdot-overwrite", "fail", [("file", out_rel + "/canary", b"pwned\n")], [out_rel + "/canary"])
    case("absolute", "fail", [("file", os.path.dirname(outside) + "/" + T + "-abs")], [T + "-abs"])
    case("absolute-overwrite", "fail", [("file", outside + "/canary", b"pwned\n")], [outside + "/canary"])
    case("absolute-root", "fail", [("file", "/" + T + "-absroot")], [T + "-absroot"])
    # A prefix field with ".." (raw header: tarfile never writes one).
    case("ustar-prefix", "fail", [("raw", "", raw_ustar(T + "-prefix", prefix=UP.rstrip("/"), data=b"p\n"))],
         [T + "-prefix"])
    # pax and GNU long names that escape.
    case("pax-path", "fail", [("pax-file", "benign-name", UP + T + "-pax")], [T + "-pax"])
    case("pax-linkpath", "fail", [("pax-hardlink", "hl-pax", out_rel + "/canary")], ["hl-pax", "canary"])
    case("gnu-longname", "fail", [("file", "../" * 40 + T + "-gnulong", b"g\n")], [T + "-gnulong"], fmt=GNU)
    case("gnu-longlink", "fail", [("hardlink", "hl-gnu", TOP + TOP + outside.lstrip("/") + "/canary")],
         ["hl-gnu", "canary"], fmt=GNU)

    # Symlinks out, then entries through them (files, dirs, symlinks,
    # hardlinks, device nodes, whiteouts, opaque markers).
    case("symlink-root", "contained", [("symlink", "lnk", "/"), ("file", "lnk/" + T + "-symroot")],
         ["lnk/" + T + "-symroot"])
    case("symlink-abs", "contained",
         [("symlink", "lnk", outside), ("file", "lnk/" + T + "-symabs"), ("file", "lnk/canary", b"pwned\n")],
         ["lnk/" + T + "-symabs", "lnk/canary"])
    case("symlink-rel", "contained",
         [("symlink", "lnk", UP.rstrip("/")), ("file", "lnk/" + T + "-symrel"),
          ("file", "lnk/outside/canary", b"pwned\n")],
         ["lnk/" + T + "-symrel", "lnk/outside/canary"])
    case("symlink-up", "contained", [("symlink", "lnk", ".."), ("file", "lnk/" + T + "-symup")],
         ["lnk/" + T + "-symup"])
    case("symlink-chain", "contained",
         [("symlink", "l1", "l2"), ("symlink", "l2", UP.rstrip("/")), ("file", "l1/" + T + "-chain"),
          ("dir", "l1/" + T + "-chaindir"), ("file", "l1/" + T + "-chaindir/f")],
         ["l1/" + T + "-chain"])
    case("symlink-chain-abs", "contained",
         [("dir", "d"), ("symlink", "d/l1", "../l2"), ("symlink", "l2", outside),
          ("file", "d/l1/canary", b"pwned\n"), ("file", "d/l1/" + T + "-chainabs")],
         ["d/l1/canary", "d/l1/" + T + "-chainabs"])
    case("symlink-then-symlink", "contained",
         [("symlink", "lnk", UP.rstrip("/")), ("symlink", "lnk/" + T + "-symsym", "/")],
         ["lnk/" + T + "-symsym"])
    case("symlink-then-hardlink", "contained",
         [("symlink", "lnk", UP.rstrip("/")), ("hardlink", "lnk/" + T + "-symhl", "file")],
         ["lnk/" + T + "-symhl"])
    case("symlink-abs-then-hardlink", "contained",
         [("symlink", "lnk", outside), ("hardlink", "lnk/" + T + "-symabshl", "file")],
         ["lnk/" + T + "-symabshl"])
    case("hardlink-via-symlink", "contained",
         [("symlink", "lnk", outside), ("hardlink", "hl", "lnk/canary"), ("file", "hl", b"pwned\n")],
         ["lnk/canary", "hl"])
    case("symlink-then-device", "contained",
         [("symlink", "lnk", UP.rstrip("/")), ("chr", "lnk/" + T + "-dev", 1, 3)],
         ["lnk/" + T + "-dev"])
    case("symlink-then-whiteout", "contained",
         [("symlink", "lnk", outside), ("file", "lnk/.wh.canary", b"")],
         ["lnk/.wh.canary"])
    case("symlink-then-opaque", "contained",
         [("symlink", "lnk", out_rel), ("file", "lnk/.wh..wh..opq", b"")],
         ["lnk/.wh..wh..opq"])
    case("symlink-then-opaque-abs", "contained",
         [("symlink", "lnk", outside), ("dir", "lnk/sub"), ("file", "lnk/sub/.wh..wh..opq", b"")],
         ["lnk/sub"])

    # Hardlinks whose target is outside.
    case("hardlink-dotdot", "fail", [("hardlink", "hl", "../../etc/passwd")], ["../../etc/passwd"])
    case("hardlink-dotdot-tmp", "fail", [("hardlink", "hl", out_rel + "/canary"), ("file", "hl", b"pwned\n")],
         [out_rel + "/canary"])
    case("hardlink-abs", "fail", [("hardlink", "hl", "/etc/passwd")], ["/etc/passwd", "etc/passwd"])
    case("hardlink-abs-tmp", "fail", [("hardlink", "hl", outside + "/canary"), ("file", "hl", b"pwned\n")],
         [outside + "/canary", outside.lstrip("/") + "/canary"])
    # The hardlink's own target is a symlink pointing out: linking the
    # symlink itself is harmless, following it is not.
    case("hardlink-to-symlink", "contained",
         [("symlink", "out", outside + "/canary"), ("hardlink", "hl", "out"), ("file", "hl", b"pwned\n")],
         ["hl", "out"])

    # Whiteouts naming "..", ".", or nothing.
    case("whiteout-dotdot", "fail", [("file", ".wh...", b"")], [".wh..."])
    case("whiteout-dotdot-sub", "fail", [("dir", "a"), ("file", "a/.wh...", b"")], ["a/.wh..."])
    case("whiteout-empty", "fail", [("file", ".wh.", b"")], [".wh."])
    case("whiteout-dot", "fail", [("file", "a/.wh..", b"")], ["a/.wh.."])
    # ".wh.." as a directory component is just an odd name; a whiteout
    # handler that rewrites names must not turn it into "..".
    case("whiteout-dotdot-dir", "contained",
         [("dir", "a"), ("dir", "a/.wh.."), ("file", "a/.wh../" + T + "-whdir")],
         ["a/.wh..", T + "-whdir"])

    # Huge and deep names.
    long_path = "/".join("long-%d-%s" % (i, "x" * 240) for i in range(20)) + "/f"
    case("long-path", "fail", [("file", long_path)], ["long-0-xxxxxxxx"])
    deep = "/".join("deep%03d" % i for i in range(300)) + "/f"
    case("deep-path", "fail", [("file", deep)], ["deep000/deep001/deep002"])
    case("huge-component", "fail", [("file", "big/" + "c" * 4096)], ["big/cccccccccccccccccccccccccccccccc"])

    # Duplicates: legal, the last entry wins, nothing is followed.
    case("dup-file-dir-symlink", "ok",
         [("file", "dup", b"1\n"), ("dir", "dup"), ("symlink", "dup", UP.rstrip("/"))], ["dup"],
         {"path": "dup", "type": "symlink", "target": UP.rstrip("/")})
    case("dup-symlink-dir-file", "ok",
         [("symlink", "dup", outside), ("dir", "dup"), ("file", "dup/canary", b"inside\n")], ["dup"],
         {"path": "dup/canary", "type": "file", "content": "inside\n"})
    case("dup-symlink-file", "ok",
         [("symlink", "dup", outside + "/canary"), ("file", "dup", b"inside\n")], ["dup"],
         {"path": "dup", "type": "file", "content": "inside\n"})
    case("dup-then-through", "contained",
         [("file", "dup", b"1\n"), ("dir", "dup"), ("file", "dup/x"),
          ("symlink", "dup", UP.rstrip("/")), ("file", "dup/" + T + "-dup")],
         ["dup"])
    return cases


def outer_cases(outside, token, stolen):
    """Hostile members of an OCI archive around a harmless layer.
    stolen: an Image whose blobs are also written under outside/blobs."""
    T = "ctlesc-" + token
    TOP = "../" * 24
    layer = stolen.layer_digests[0].split(":")[1]
    blob = "blobs/sha256/" + layer
    cases = []

    def case(name, expect, needles, extra=(), replace=None, drop=()):
        cases.append((name, expect, needles, list(extra), replace or {}, list(drop)))

    case("outer-dotdot", "fail", ["blobs/sha256/../../x"], extra=[("file", "blobs/sha256/../../x", b"x\n")])
    case("outer-dotdot-deep", "fail", [T + "-outer"],
         extra=[("file", "blobs/sha256/" + "../" * 8 + T + "-outer", b"x\n")])
    case("outer-absolute", "fail", [T + "-outerabs"],
         extra=[("file", os.path.dirname(outside) + "/" + T + "-outerabs", b"x\n")])
    # The layer blob is a link to a file outside that has the right digest:
    # following it would import content from outside the archive.
    case("outer-symlink-blob", "fail", [blob, layer[:12]],
         replace={blob: ("symlink", blob, outside + "/blobs/sha256/" + layer)})
    case("outer-symlink-blob-rel", "fail", [blob, layer[:12]],
         replace={blob: ("symlink", blob, TOP + outside.lstrip("/") + "/blobs/sha256/" + layer)})
    case("outer-symlink-passwd", "fail", [blob, layer[:12]],
         replace={blob: ("symlink", blob, "/etc/passwd")})
    case("outer-hardlink-blob", "fail", [blob, layer[:12]],
         replace={blob: ("hardlink", blob, outside + "/blobs/sha256/" + layer)})
    case("outer-symlink-blobs-dir", "fail", ["blobs"],
         replace={"blobs": ("symlink", "blobs", outside + "/blobs")},
         drop=["blobs/sha256"] + ["blobs/sha256/" + h for h in stolen.blobs])
    case("outer-symlink-index", "fail", ["index.json"],
         replace={"index.json": ("symlink", "index.json", outside + "/index.json")})
    case("outer-symlink-through", "contained", ["evil"],
         extra=[("symlink", "evil", TOP.rstrip("/")), ("file", "evil/" + T + "-outerthrough", b"x\n")])
    return cases


def write_outside(outside, stolen):
    os.makedirs(os.path.join(outside, "dir"), exist_ok=True)
    with open(os.path.join(outside, "canary"), "w") as f:
        f.write("canary\n")
    with open(os.path.join(outside, "dir", "file"), "w") as f:
        f.write("canary in a dir\n")
    if not os.path.lexists(os.path.join(outside, "link")):
        os.symlink("canary", os.path.join(outside, "link"))
    stolen.write_layout(outside)


def cmd_corpus(args):
    out, outside = os.path.abspath(args.out), os.path.abspath(args.outside)
    for d in ("plain", "layout", "archive"):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    stolen = Image([make_tar([("file", "stolen", b"from outside the archive\n")])], gz=False)
    write_outside(outside, stolen)
    listing = []
    for name, expect, ops, needles, final, fmt in corpus_cases(outside, args.token, args.up):
        tar = make_tar(ops, fmt)
        p = os.path.join(out, "plain", name + ".tar")
        with open(p, "wb") as f:
            f.write(tar)
        listing.append({"name": name, "wrap": "plain", "path": p, "expect": expect,
                        "needles": needles, "final": final})
        p = os.path.join(out, "layout", name)
        Image([tar], gz=True).write_layout(p)
        listing.append({"name": name, "wrap": "layout", "path": p, "expect": expect,
                        "needles": needles, "final": final})
        p = os.path.join(out, "archive", name + ".tar")
        Image([tar], gz=False).write_archive(p)
        listing.append({"name": name, "wrap": "archive", "path": p, "expect": expect,
                        "needles": needles, "final": final})
    for name, expect, needles, extra, replace, drop in outer_cases(outside, args.token, stolen):
        p = os.path.join(out, "archive", name + ".tar")
        stolen.write_archive(p, extra=extra, replace=replace, drop=drop)
        listing.append({"name": name, "wrap": "archive", "path": p, "expect": expect,
                        "needles": needles, "final": None})
    with open(os.path.join(out, "cases.json"), "w") as f:
        json.dump(listing, f, indent=1)


# ---------------------------------------------------------------- layer trees


def _walk(top):
    yield top
    for n in sorted(os.listdir(top)):
        p = os.path.join(top, n)
        if os.path.isdir(p) and not os.path.islink(p):
            yield from _walk(p)
        else:
            yield p


def cmd_layer_tree(args):
    top = os.path.abspath(args.dir)
    for p in _walk(top):
        st = os.lstat(p)
        rel = os.path.relpath(p, top)
        extra = os.readlink(p) if stat.S_ISLNK(st.st_mode) else ""
        if stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                extra = sha(f.read())[:16]
        if stat.S_ISCHR(st.st_mode):
            extra = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
        print("%s %o %d:%d %s" % (rel, st.st_mode, st.st_uid, st.st_gid, extra))


def busybox_ops(path):
    """Every member of a tar as-is (modes, owners, links)."""
    ops = []
    with tarfile.open(path) as t:
        for m in t:
            data = t.extractfile(m).read() if m.isfile() else b""
            ops.append(("raw", m.name, m.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape") + _pad(data)))
    return ops


def spec_layer(spec, busybox=None):
    import random
    kv = dict(item.split("=", 1) for item in spec.split(","))
    rnd = random.Random(kv.get("seed", "0"))
    ops = busybox_ops(busybox) if busybox else []
    d = "data-" + kv.get("seed", "0")
    ops.append(("dir", d))
    size = int(kv.get("size", 8192))
    for i in range(int(kv.get("files", 0))):
        ops.append(("file", "%s/f%05d" % (d, i), rnd.randbytes(size)))
    if int(kv.get("big", 0)):
        ops.append(("file", d + "/big", rnd.randbytes(int(kv["big"]))))
    if "marker" in kv:
        ops.append(("file", "marker", kv["marker"].encode() + b"\n"))
    return make_tar(ops)


def cmd_image(args):
    layers = [spec_layer(s, args.busybox if i == 0 else None) for i, s in enumerate(args.layer)]
    img = Image(layers, gz=True, created="2024-01-01T00:00:00Z")
    img.write_layout(args.layout)
    if args.archive:
        img.write_archive(args.archive)
    print(json.dumps({"id": img.config_digest.split(":")[1],
                      "diff_ids": [d.split(":")[1] for d in img.diff_ids],
                      "digests": [d.split(":")[1] for d in img.layer_digests]}))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("corpus")
    c.add_argument("out")
    c.add_argument("--outside", required=True)
    c.add_argument("--token", required=True)
    c.add_argument("--up", type=int, default=4)
    c.set_defaults(fn=cmd_corpus)
    t = sub.add_parser("layer-tree")
    t.add_argument("dir")
    t.set_defaults(fn=cmd_layer_tree)
    i = sub.add_parser("image")
    i.add_argument("layout")
    i.add_argument("--archive")
    i.add_argument("--busybox")
    i.add_argument("--layer", action="append", required=True)
    i.set_defaults(fn=cmd_image)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
