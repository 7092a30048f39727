#!/usr/bin/env python3
"""Compares two directory trees as a container would see them, for the
image tests: the merged overlay of an imported image's layers against
`umoci unpack` of the same image.

Usage: treecmp.py A B [--ignore REL]...

For every path (lstat, never following symlinks) it compares: file type,
mode including setuid/setgid/sticky, uid, gid, size (regular files),
sha256 of the content (regular files), symlink target, rdev (device
nodes), the xattrs an image can carry (security.capability and user.*;
trusted.overlay.* and everything else is the storage's business, not the
image's), mtime (regular files, nanoseconds), and hardlink groups (the
sets of paths sharing one inode). The root itself is compared by type,
mode and owner. Prints one line per difference and exits 1, else prints
`identical: N entries` and exits 0. --ignore REL skips REL and everything
below it (relative to both roots, e.g. `dev`).
"""
import argparse
import hashlib
import os
import stat
import sys

XATTR_PREFIXES = ("user.",)
XATTR_NAMES = ("security.capability",)


def kind(mode):
        for test, name in ((stat.S_ISREG, "file"), (stat.S_ISDIR, "dir"),
                           (stat.S_ISLNK, "symlink"), (stat.S_ISCHR, "chardev"),
                           (stat.S_ISBLK, "blockdev"), (stat.S_ISFIFO, "fifo"),
                           (stat.S_ISSOCK, "socket")):
                if test(mode):
                        return name
        return "unknown"


def digest(path):
        h = hashlib.sha256()
        # O_NOFOLLOW: the walk saw a regular file; never read through a
        # link swapped in meanwhile.
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as f:
                while True:
                        b = f.read(1 << 20)
                        if not b:
                                break
                        h.update(b)
        return h.hexdigest()


def xattrs(path):
        out = {}
        try:
                names = os.listxattr(path, follow_symlinks=False)
        except OSError:
                return out
        for n in names:
                if n in XATTR_NAMES or n.startswith(XATTR_PREFIXES):
                        try:
                                out[n] = os.getxattr(path, n, follow_symlinks=False).hex()
                        except OSError as e:
                                out[n] = "error:%s" % e.strerror
        return out


def scan(root, ignore):
        """rel path -> dict of facts; plus {inode: [rel paths]}."""
        entries = {}
        inodes = {}

        def visit(rel, full, is_root=False):
                st = os.lstat(full)
                k = kind(st.st_mode)
                e = {"type": k, "mode": "%04o" % stat.S_IMODE(st.st_mode),
                     "uid": st.st_uid, "gid": st.st_gid}
                if not is_root:
                        e["xattrs"] = xattrs(full)
                if k == "file":
                        e["size"] = st.st_size
                        e["sha256"] = digest(full)
                        e["mtime_ns"] = st.st_mtime_ns
                        if st.st_nlink > 1:
                                inodes.setdefault((st.st_dev, st.st_ino), []).append(rel)
                elif k == "symlink":
                        e["target"] = os.readlink(full)
                elif k in ("chardev", "blockdev"):
                        e["rdev"] = "%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev))
                entries[rel] = e
                return k

        visit(".", root, True)
        stack = [""]
        while stack:
                d = stack.pop()
                full_d = os.path.join(root, d) if d else root
                for name in sorted(os.listdir(full_d)):
                        rel = os.path.join(d, name) if d else name
                        if rel in ignore:
                                continue
                        if visit(rel, os.path.join(root, rel)) == "dir":
                                stack.append(rel)
        groups = sorted(sorted(v) for v in inodes.values() if len(v) > 1)
        return entries, groups


def main():
        ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
        ap.add_argument("a")
        ap.add_argument("b")
        ap.add_argument("--ignore", action="append", default=[])
        args = ap.parse_args()
        ignore = set(os.path.normpath(p).lstrip("/") for p in args.ignore)

        ea, ga = scan(args.a, ignore)
        eb, gb = scan(args.b, ignore)
        diffs = []
        for rel in sorted(set(ea) | set(eb)):
                if rel not in eb:
                        diffs.append("only in A: %s (%s)" % (rel, ea[rel]["type"]))
                        continue
                if rel not in ea:
                        diffs.append("only in B: %s (%s)" % (rel, eb[rel]["type"]))
                        continue
                a, b = ea[rel], eb[rel]
                for key in sorted(set(a) | set(b)):
                        if a.get(key) != b.get(key):
                                diffs.append("%s: %s: A=%r B=%r" % (rel, key, a.get(key), b.get(key)))
        if ga != gb:
                diffs.append("hardlink groups differ: A=%r B=%r" % (ga, gb))
        for d in diffs:
                print(d)
        if diffs:
                print("%d difference(s) between %s (A) and %s (B)" % (len(diffs), args.a, args.b))
                return 1
        print("identical: %d entries, %d hardlink group(s)" % (len(ea), len(ga)))
        return 0


if __name__ == "__main__":
        sys.exit(main())
