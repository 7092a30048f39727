#!/usr/bin/env python3
"""Writes an OCI image layout with many layers, for tests of deep images.

mklayers.py BASE_TAR OUT_DIR N TAG

Layer 1 is BASE_TAR as it is (an uncompressed tar of a rootfs); layers
2..N+1 each add /layers/N and overwrite /top with N; layer 2 also replaces
etc/passwd with one that names a user `deep` (uid 4321, gid 4322), so a
user name must be resolved in an upper layer. Every digest, size and
diff_id is computed, so the layout is valid.
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def tar_bytes(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            info.mtime = 1700000000
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def put_blob(out, data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", h), "wb") as f:
        f.write(data)
    return "sha256:" + h


def main():
    base, out, n, tag = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(base, "rb") as f:
        layers = [f.read()]
    with open(base, "rb") as f, tarfile.open(fileobj=f) as t:
        passwd = t.extractfile(t.getmember(next(m for m in t.getnames()
                                                 if m.lstrip("./") == "etc/passwd"))).read()
    passwd += b"deep:x:4321:4322:deep:/:/bin/sh\n"
    for i in range(1, n + 1):
        files = [("layers/%d" % i, b"%d\n" % i), ("top", b"%d\n" % i)]
        if i == 1:
            files.append(("etc/passwd", passwd))
        layers.append(tar_bytes(files))
    descs, diff_ids = [], []
    for data in layers:
        digest = put_blob(out, data)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar",
                      "digest": digest, "size": len(data)})
        diff_ids.append(digest)
    config = {"architecture": {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine,
                                                                          os.uname().machine),
              "os": "linux",
              "config": {"Cmd": ["cat", "/top"], "Env": ["PATH=/bin:/usr/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cdata = json.dumps(config).encode()
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": put_blob(out, cdata), "size": len(cdata)},
                "layers": descs}
    mdata = json.dumps(manifest).encode()
    index = {"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": put_blob(out, mdata), "size": len(mdata),
         "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


main()
