#!/usr/bin/env python3
"""Makes the input of bench/import.sh: one image layer, deterministically.

A tar of --files regular files (default 7,000, 322 MB of content, sizes 0
to --max-mb MB, most of them small) in a tree of directories up to 9 levels
deep, plus a few symlinks and hard links, about 3:1 compressible with gzip
-6 (110 MB): whole random files like compressed assets, text files like
source code, and "binaries" mixing random, text and repetitive blocks.
From it:

  OUT/layer.tar       the layer (PAX, sorted names, fixed mtime and owners)
  OUT/layer.tar.gz    gzip -6 -n
  OUT/layer.tar.zst   zstd -3
  OUT/oci-gzip/       an OCI image layout with that one gzip layer: config
                      (rootfs.diff_ids = the tar's sha256), manifest, and
                      index.json whose entry has the annotation
                      org.opencontainers.image.ref.name = --ref; the layer
                      blob is a hard link to layer.tar.gz
  OUT/oci-zstd/       the same with the zstd layer
  OUT/layer.json      what was made (counts, sizes, digests); also printed

Same --seed and arguments, same bytes and digests, given the same Python
minor version, gzip and zstd.

Usage: mklayer.py OUT [--seed N] [--files N] [--tar-mb N] [--max-mb N]
                      [--ref NAME] [--arch ARCH]
"""

import argparse
import hashlib
import io
import json
import math
import os
import platform
import random
import shutil
import subprocess
import sys
import tarfile

MTIME = 1700000000
TEXT_POOL = 24 << 20     # bytes of generated text the text blocks are cut from
BLOCK_MIN, BLOCK_MAX = 4096, 65536

# The mix that gives ~3:1 with gzip -6: share of the tar's bytes per kind of
# file, and of block kinds inside "binary" files.
FILE_KINDS = [("asset", 0.10), ("text", 0.38), ("binary", 0.52)]
BINARY_BLOCKS = [("random", 0.10), ("text", 0.40), ("repeat", 0.50)]


def oci_arch():
    m = platform.machine()
    return {"x86_64": "amd64", "aarch64": "arm64", "i686": "386", "i386": "386",
            "armv7l": "arm", "ppc64le": "ppc64le", "s390x": "s390x",
            "riscv64": "riscv64"}.get(m, m)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.text = self._text_pool()

    def _word(self):
        r = self.r
        n = r.choice([1, 2, 3, 3, 4, 4, 5, 5, 6, 7, 8, 9, 10, 12])
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(n))

    def _text_pool(self):
        """Lines of words drawn with Zipf weights from a vocabulary, some
        with numbers and punctuation: gzip -6 gets about 3.4:1, like source code."""
        r = self.r
        vocab = [self._word() for _ in range(1500)]
        vocab += ["=", "(", ")", "{", "}", ";", "0", "1", "return", "if", "self", "#"]
        weights = [1.0 / (i + 1) ** 1.1 for i in range(len(vocab))]
        words = r.choices(vocab, weights=weights, k=TEXT_POOL // 5)
        lines, i = [], 0
        while i < len(words):
            n = r.randint(2, 14)
            indent = " " * (4 * r.randint(0, 3))
            lines.append(indent + " ".join(words[i:i + n]))
            if r.random() < 0.1:
                lines.append("%s%d" % (indent, r.randint(0, 1 << 32)))
            i += n
        pool = "\n".join(lines).encode()
        while len(pool) < TEXT_POOL:
            pool += pool
        return pool[:TEXT_POOL]

    def random(self, n):
        return self.r.randbytes(n)

    def textb(self, n):
        if n <= 0:
            return b""
        off = self.r.randrange(0, TEXT_POOL - n) if n < TEXT_POOL else 0
        out = self.text[off:off + n]
        while len(out) < n:
            out += self.text[:n - len(out)]
        return out

    def repeat(self, n):
        """A short random record repeated with small changes, like tables,
        padding and relocations in binaries: gzip gets 10:1 or more."""
        r = self.r
        rec = r.randbytes(r.randint(16, 256))
        parts, size = [], 0
        while size < n:
            parts.append(rec)
            noise = r.randbytes(r.randint(1, 6))
            parts.append(noise)
            size += len(rec) + len(noise)
        return b"".join(parts)[:n]

    def content(self, kind, n):
        if kind == "asset":
            return self.random(n)
        if kind == "text":
            return self.textb(n)
        names = [k for k, _ in BINARY_BLOCKS]
        w = [s for _, s in BINARY_BLOCKS]
        parts, size = [], 0
        while size < n:
            b = min(n - size, self.r.randint(BLOCK_MIN, BLOCK_MAX))
            k = self.r.choices(names, weights=w)[0]
            parts.append(self.random(b) if k == "random" else
                         self.textb(b) if k == "text" else self.repeat(b))
            size += b
        return b"".join(parts)


def make_tree(r, n_dirs):
    """Directories several levels deep (up to 9), top-level names like a
    distribution's; new directories go more often under deep ones."""
    tops = ["usr", "etc", "var", "opt", "lib", "srv", "home"]
    dirs = list(tops)
    while len(dirs) < n_dirs:
        parent = r.choice(dirs)
        if parent.count("/") >= 8:
            continue
        name = "%s%d" % (r.choice(["lib", "share", "pkg", "mod", "src", "data", "d", "x"]),
                         r.randrange(1000))
        d = parent + "/" + name
        if d not in dirs:
            dirs.append(d)
    return sorted(set(dirs))


def file_sizes(r, n, total, max_bytes):
    """Log-normal sizes (median ~6 KB), 3% empty, scaled so they add up to
    about total, none above max_bytes."""
    raw = [0 if r.random() < 0.03 else r.lognormvariate(math.log(6000), 2.1) for _ in range(n)]
    scale = 1.0
    for _ in range(40):
        s = sum(min(int(x * scale), max_bytes) for x in raw)
        if abs(s - total) < total * 0.001:
            break
        scale *= total / max(s, 1)
    return [min(int(x * scale), max_bytes) for x in raw]


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


class HashWriter:
    """A file that hashes what is written to it (the layer's diff_id)."""

    def __init__(self, f):
        self.f, self.h, self.pos = f, hashlib.sha256(), 0

    def write(self, b):
        self.h.update(b)
        self.pos += len(b)
        return self.f.write(b)

    def tell(self):
        return self.pos


def write_tar(path, gen, args):
    r = gen.r
    dirs = make_tree(r, max(10, args.files // 12))
    sizes = file_sizes(r, args.files, args.tar_mb * 1000 * 1000, int(args.max_mb * 1000 * 1000))
    kinds = [k for k, _ in FILE_KINDS]
    kw = [s for _, s in FILE_KINDS]
    ext = {"asset": [".png", ".gz", ".jpg", ".woff2"], "text": [".py", ".txt", ".conf", ".js", ".h"],
           "binary": [".so", "", ".bin", ".o"]}
    files = {}
    for i, size in enumerate(sizes):
        k = r.choices(kinds, weights=kw)[0]
        while True:
            p = "%s/f%05d%s" % (r.choice(dirs), i, r.choice(ext[k]))
            if p not in files:
                break
        files[p] = (k, size)
    names = sorted(files)
    n_sym = max(1, args.files // 70)
    n_hard = max(1, args.files // 350)
    links = {}
    for j in range(n_sym):
        src = r.choice(dirs) + "/link%04d" % j
        tgt = r.choice(names)
        links[src] = ("sym", os.path.relpath(tgt, os.path.dirname(src)))
    for j in range(n_hard):
        src = r.choice(dirs) + "/hard%04d" % j
        links[src] = ("hard", r.choice(names))

    def info(name, typ, mode, size=0):
        ti = tarfile.TarInfo(name)
        ti.type, ti.mode, ti.size, ti.mtime = typ, mode, size, MTIME
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    total = 0
    with open(path, "wb") as f:
        hw = HashWriter(f)
        with tarfile.open(fileobj=hw, mode="w", format=tarfile.PAX_FORMAT) as tar:
            # Parents before children: sorted paths, every prefix listed.
            all_dirs = set()
            for d in dirs:
                parts = d.split("/")
                for i in range(1, len(parts) + 1):
                    all_dirs.add("/".join(parts[:i]))
            # Hard links last: their targets must come before them.
            entries = sorted([(d, "dir") for d in all_dirs] + [(n, "file") for n in names] +
                             [(s, "link") for s in links if links[s][0] == "sym"])
            entries += sorted((s, "link") for s in links if links[s][0] == "hard")
            for name, what in entries:
                if what == "dir":
                    tar.addfile(info(name, tarfile.DIRTYPE, 0o755))
                elif what == "file":
                    k, size = files[name]
                    mode = 0o755 if k == "binary" and r.random() < 0.3 else 0o644
                    ti = info(name, tarfile.REGTYPE, mode, size)
                    if r.random() < 0.02:
                        ti.uid = ti.gid = 1000
                        ti.uname = ti.gname = "user"
                    data = gen.content(k, size)
                    total += size
                    tar.addfile(ti, io.BytesIO(data))
                else:
                    t, tgt = links[name]
                    ti = info(name, tarfile.SYMTYPE if t == "sym" else tarfile.LNKTYPE,
                              0o777 if t == "sym" else 0o644)
                    ti.linkname = tgt
                    tar.addfile(ti)
    return {"files": len(names), "dirs": len(all_dirs), "symlinks": n_sym, "hardlinks": n_hard,
            "content_bytes": total, "diff_id": "sha256:" + hw.h.hexdigest()}


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def write_blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def write_layout(layout, blob, media_type, diff_id, ref, arch):
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    ldigest = "sha256:" + sha256_file(blob)
    lsize = os.path.getsize(blob)
    link_or_copy(blob, os.path.join(layout, "blobs", "sha256", ldigest[7:]))
    created = "2023-11-14T22:13:20Z"  # MTIME
    config = {
        "created": created, "architecture": arch, "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": "bench/mklayer.py"}],
    }
    cdigest, csize = write_blob(layout, json.dumps(config, sort_keys=True).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdigest, "size": csize},
        "layers": [{"mediaType": media_type, "digest": ldigest, "size": lsize}],
    }
    mdigest, msize = write_blob(layout, json.dumps(manifest, sort_keys=True).encode())
    index = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": mdigest, "size": msize,
                       "platform": {"architecture": arch, "os": "linux"},
                       "annotations": {"org.opencontainers.image.ref.name": ref}}],
    }
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f, sort_keys=True)
    return {"layer_digest": ldigest, "layer_size": lsize, "config_digest": cdigest, "manifest_digest": mdigest}


def main():
    p = argparse.ArgumentParser(description="Make the bench/import.sh layer (deterministic).")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=4)
    p.add_argument("--files", type=int, default=7000)
    p.add_argument("--tar-mb", type=int, default=322, help="content bytes, in MB (10^6)")
    p.add_argument("--max-mb", type=float, default=4, help="largest file, in MB")
    p.add_argument("--ref", default="bench")
    p.add_argument("--arch", default=oci_arch())
    args = p.parse_args()

    os.makedirs(args.out, exist_ok=True)
    tar = os.path.join(args.out, "layer.tar")
    gen = Gen(args.seed)
    res = write_tar(tar, gen, args)
    res["tar_bytes"] = os.path.getsize(tar)
    with open(tar + ".gz", "wb") as f:
        subprocess.run(["gzip", "-6", "-n", "-c", tar], stdout=f, check=True)
    subprocess.run(["zstd", "-3", "-q", "-f", "-T1", "--no-progress", tar, "-o", tar + ".zst"], check=True)
    res["gz_bytes"] = os.path.getsize(tar + ".gz")
    res["zst_bytes"] = os.path.getsize(tar + ".zst")
    res["gz_ratio"] = round(res["tar_bytes"] / res["gz_bytes"], 3)
    res["zst_ratio"] = round(res["tar_bytes"] / res["zst_bytes"], 3)
    res["ref"] = args.ref
    res["seed"] = args.seed
    res["oci-gzip"] = write_layout(os.path.join(args.out, "oci-gzip"), tar + ".gz",
                                   "application/vnd.oci.image.layer.v1.tar+gzip",
                                   res["diff_id"], args.ref, args.arch)
    res["oci-zstd"] = write_layout(os.path.join(args.out, "oci-zstd"), tar + ".zst",
                                   "application/vnd.oci.image.layer.v1.tar+zstd",
                                   res["diff_id"], args.ref, args.arch)
    with open(os.path.join(args.out, "layer.json"), "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)
        f.write("\n")
    json.dump(res, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
