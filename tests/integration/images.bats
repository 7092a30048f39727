#!/usr/bin/env bats
# Images: import of plain and compressed rootfs tarballs, ids from the image
# config, the shared layer store (rm keeps layers, prune sweeps them),
# progress notifications, naming rules, list, rm, rm of an image in use,
# several names per image (untag vs delete), concurrent imports sharing a
# layer, and bad imports that must change nothing. OCI layouts and archives
# in depth: images-oci.bats; hostile archives: images-hostile.bats; kill -9:
# images-crash.bats.

load helpers

# Every name of every image, one per line ("<none>:<none>" for a dangling one).
image_refs() {
        containerctl image list --json |
                jq -r '(if type == "array" then . else .images end)[] |
                       (.refs // ["\(.name):\(.tag)"]) | if length == 0 then ["<none>:<none>"] else . end | .[]' |
                sort
}

# The full id of the image holding ref $1.
image_id_of() {
        containerctl image list --json |
                jq -r --arg r "$1" '(if type == "array" then . else .images end)[] | select(.refs | index($r)) | .id'
}

# A copy of the test image with its own content ($1 goes into /marker), so
# it gets its own id.
distinct_tar() {
        mkdir -p "$TMP/mk-$1"
        echo "$1" >"$TMP/mk-$1/marker"
        cp "$CTL_IMAGE_TAR" "$TMP/distinct-$1.tar"
        tar --append -f "$TMP/distinct-$1.tar" -C "$TMP/mk-$1" --owner=0 --group=0 ./marker
        echo "$TMP/distinct-$1.tar"
}

# The error kind of image.remove of $1 over the raw API.
remove_kind() {
        printf '{"jsonrpc":"2.0","id":1,"method":"image.remove","params":{"image":"%s"}}\n' "$1" |
                rpc | jq -r '.error.data.kind // "none"'
}

# call METHOD PARAMS: one raw request; prints every line the daemon sends
# (notifications, then the reply) until the reply.
call() {
        python3 - "$CTL_SOCK" "$1" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(120)
s.connect(sys.argv[1])
s.sendall((json.dumps({"jsonrpc": "2.0", "id": 7, "method": sys.argv[2],
                       "params": json.loads(sys.argv[3])}) + "\n").encode())
buf = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        sys.exit("connection closed before the reply")
    buf += chunk
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        print(line.decode(), flush=True)
        if "id" in json.loads(line):
            sys.exit(0)
EOF
}

# The error kind of a raw request ($1 method, $2 params JSON), or "none".
call_kind() {
        call "$1" "$2" | tail -n 1 | jq -r '.error.data.kind // "none"'
}

# The result of a raw request ($1 method, $2 params JSON), compact.
call_result() {
        call "$1" "$2" | tail -n 1 | jq -c '.result'
}

# image.import over the raw API, every line until the reply. $1: params.
import_lines() {
        call image.import "$1"
}

# The OCI name of the host architecture.
host_arch() {
        case $(uname -m) in
        x86_64) echo amd64 ;;
        aarch64) echo arm64 ;;
        armv7l | armv6l) echo arm ;;
        i?86) echo 386 ;;
        *) uname -m ;;
        esac
}

# The image id a rootfs tarball gets: the sha256 of its synthesized config,
# which names the tarball's diff_id (the sha256 of the uncompressed tar).
rootfs_image_id() {
        local diff_id
        diff_id=sha256:$(sha256sum <"$1" | cut -d' ' -f1)
        printf '{"architecture":"%s","config":{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},"os":"linux","rootfs":{"diff_ids":["%s"],"type":"layers"}}' \
                "$(host_arch)" "$diff_id" | sha256sum | cut -d' ' -f1
}

# mkoci DIR SPEC: an OCI image layout in DIR from SPEC, a JSON list of
# images {"refs":[annotation names],"layers":[uncompressed tar paths]};
# layers are gzip'd (mtime 0: the same tar gives the same blob).
mkoci() {
        python3 - "$1" "$2" "$(host_arch)" <<'EOF'
import gzip, hashlib, json, os, sys
out, spec, arch = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + d, "size": len(data)}
manifests = []
for n, img in enumerate(spec):
    layers, diff_ids = [], []
    for path in img["layers"]:
        raw = open(path, "rb").read()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        d = blob(gzip.compress(raw, compresslevel=1, mtime=0))
        d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
        layers.append(d)
    config = {"architecture": arch, "os": "linux", "created": "2024-05-06T07:08:09Z",
              "config": {"Cmd": ["sh"], "Labels": {"n": str(n)}},
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    c = blob(json.dumps(config).encode())
    c["mediaType"] = "application/vnd.oci.image.config.v1+json"
    m = blob(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                         "config": c, "layers": layers}).encode())
    m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    for ref in img.get("refs") or [None]:
        e = dict(m)
        if ref:
            e["annotations"] = {"org.opencontainers.image.ref.name": ref}
        manifests.append(e)
with open(out + "/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
with open(out + "/index.json", "w") as f:
    json.dump({"schemaVersion": 2, "manifests": manifests}, f)
EOF
}

# big_tar NAME MIB: a tar of MIB MiB of random data (a layer that takes a
# moment to unpack).
big_tar() {
        mkdir -p "$TMP/big-$1"
        head -c "$(($2 * 1024 * 1024))" /dev/urandom >"$TMP/big-$1/data"
        tar -C "$TMP/big-$1" --owner=0 --group=0 -cf "$TMP/big-$1.tar" ./data
        echo "$TMP/big-$1.tar"
}

# Entries named .tmp-* in the store's images/ and layers/.
store_tmp() {
        find "$TMP/root/images" "$TMP/root/layers" -mindepth 1 -maxdepth 1 -name '.tmp-*'
}

# Committed layers, one diff_id hex per line.
store_layers() {
        find "$TMP/root/layers" -mindepth 1 -maxdepth 1 -regextype egrep -regex '.*/[0-9a-f]{64}' \
                -printf '%f\n' | sort
}

# fuse_gate FILE DATA OFFSET: mounts over the regular file FILE a one-file
# FUSE file system (python3 speaking /dev/fuse, no libfuse needed) that
# serves DATA's bytes, with direct I/O so every read() reaches it. The
# first read at or past OFFSET blocks: the server creates FILE.gated and
# waits for fuse_gate_release; then it serves that read and every later
# one with each byte inverted (a corrupt blob). A test can so hold an
# unpack mid-blob for as long as it needs, with no timing involved.
# fuse_gate_stop undoes it (teardown calls it too).
fuse_gate() {
        mkfifo "$1.gate"
        python3 - "$1" "$2" "$3" >"$TMP/fuse-gate.log" 2>&1 <<'EOF' &
import ctypes, os, struct, sys
target, data, gate_at = sys.argv[1], open(sys.argv[2], "rb").read(), int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
fd = os.open("/dev/fuse", os.O_RDWR | os.O_CLOEXEC)
opts = f"fd={fd},rootmode=100000,user_id=0,group_id=0".encode()
if libc.mount(b"ctltest-gate", target.encode(), b"fuse", 2 | 4, opts) != 0:  # NOSUID|NODEV
    sys.exit(f"mount {target}: {os.strerror(ctypes.get_errno())}")
open(target + ".mounted", "w").close()
released = False

def reply(unique, payload=b"", error=0):
    try:
        os.write(fd, struct.pack("<IiQ", 16 + len(payload), error, unique) + payload)
    except OSError:
        pass  # the request was interrupted

while True:
    try:
        req = os.read(fd, (1 << 20) + 4096)
    except OSError as e:
        if e.errno in (4, 2, 11):  # EINTR, ENOENT, EAGAIN
            continue
        break  # ENODEV: unmounted
    _, op, unique = struct.unpack_from("<IIQ", req)  # struct fuse_in_header
    body = req[40:]
    if op == 26:  # INIT: protocol 7.31, no optional features
        readahead = struct.unpack_from("<III", body)[2]
        reply(unique, struct.pack("<IIIIHHIIHHII", 7, 31, readahead, 0, 16, 12, 1 << 17, 1,
                                  0, 0, 0, 0) + bytes(24))
    elif op == 3:  # GETATTR: a 0644 root-owned file of len(data) bytes, never cached
        attr = struct.pack("<QQQQQQIIIIIIIIII", 1, len(data), (len(data) + 511) // 512,
                           0, 0, 0, 0, 0, 0, 0o100644, 1, 0, 0, 0, 4096, 0)
        reply(unique, struct.pack("<QII", 0, 0, 0) + attr)
    elif op == 14:  # OPEN: FOPEN_DIRECT_IO
        reply(unique, struct.pack("<QIi", 1, 1, 0))
    elif op == 15:  # READ
        _, off, size = struct.unpack_from("<QQI", body)
        chunk = data[off:off + size]
        if off >= gate_at and not released:
            open(target + ".gated", "w").close()
            with open(target + ".gate") as g:
                g.read()
            released = True
        if released:
            chunk = bytes(b ^ 0xFF for b in chunk)
        reply(unique, chunk)
    elif op in (18, 25):  # RELEASE, FLUSH
        reply(unique)
    elif op in (2, 36, 42):  # FORGET, INTERRUPT, BATCH_FORGET: no reply
        pass
    else:
        reply(unique, error=-38)  # ENOSYS
EOF
        echo "$! $1" >"$TMP/fuse-gate.pid"
        wait_until 10 test -e "$1.mounted"
}

fuse_gate_release() {
        echo go >"$1.gate"
}

fuse_gate_stop() {
        local pid file
        [[ -n ${TMP:-} && -f $TMP/fuse-gate.pid ]] || return 0
        read -r pid file <"$TMP/fuse-gate.pid"
        # Killing the server aborts a read still blocked in it; the lazy
        # unmount then always succeeds.
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        umount -l "$file" 2>/dev/null || true
        rm -f "$TMP/fuse-gate.pid" "$file.gate" "$file.gated" "$file.mounted"
}

teardown() {
        fuse_gate_stop
        ctl_teardown
}

# has_layer_status FILE LAYER STATUS: the progress lines in FILE (the
# import_lines output so far) report STATUS for layer LAYER.
has_layer_status() {
        jq -se --argjson l "$2" --arg s "$3" \
                '[.[] | select(.method) | .params | select(.layer == $l) | .status] | index($s) != null' \
                <"$1" >/dev/null
}

@test "busybox:latest imported by setup is listed" {
        run image_refs
        assert_status 0
        assert_line_eq "busybox:latest"
}

@test "import .tar, .tar.gz, .tar.xz, .tar.zst and run from each" {
        # Distinct content per format (a marker file), so each is its own image.
        local ext
        mkdir -p "$TMP/marker"
        for ext in tar tar.gz tar.xz tar.zst; do
                cp "$CTL_IMAGE_TAR" "$TMP/img-$ext"
                echo "$ext" >"$TMP/marker/format"
                tar --append -f "$TMP/img-$ext" -C "$TMP/marker" --owner=0 --group=0 ./format
        done
        cp "$TMP/img-tar" "$TMP/img.tar"
        gzip -c "$TMP/img-tar.gz" >"$TMP/img.tar.gz"
        xz -T1 -0 -c "$TMP/img-tar.xz" >"$TMP/img.tar.xz"
        zstd -q -c "$TMP/img-tar.zst" >"$TMP/img.tar.zst"
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl image import "$TMP/img.$ext" "fmt:${ext//./-}"
                assert_status 0
        done
        run image_refs
        for ext in tar tar.gz tar.xz tar.zst; do
                assert_line_eq "fmt:${ext//./-}"
        done
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl run --rm "fmt:${ext//./-}" cat /format
                assert_status 0
                [[ $output == "$ext" ]]
        done
        for ext in tar tar.gz tar.xz tar.zst; do
                run containerctl image rm "fmt:${ext//./-}"
                assert_status 0
        done
        run image_refs
        not grep -q '^fmt:' <<<"$output"
}

@test "the same content imported under a second name keeps the first name" {
        local refs_both refs_after
        containerctl image import "$CTL_IMAGE_TAR" second:1 >/dev/null
        refs_both=$(image_refs)
        containerctl image rm second:1 >/dev/null || true
        refs_after=$(image_refs)
        # Restore before asserting, so later tests have busybox:latest.
        containerctl image import "$CTL_IMAGE_TAR" busybox:latest >/dev/null
        echo "after import of second:1: $refs_both"
        echo "after rm of second:1: $refs_after"
        grep -qx busybox:latest <<<"$refs_both"
        grep -qx second:1 <<<"$refs_both"
        grep -qx busybox:latest <<<"$refs_after"
        not grep -qx second:1 <<<"$refs_after"
}

@test "image list, ls, images, -q and inspect agree" {
        run containerctl image list
        assert_status 0
        grep -q busybox <<<"$output"
        run containerctl image ls
        assert_status 0
        grep -q busybox <<<"$output"
        run containerctl images
        assert_status 0
        grep -q busybox <<<"$output"
        local id
        id=$(containerctl image list --json | jq -r '(if type == "array" then . else .images end)[] | select(.name == "busybox") | .id')
        [[ $id =~ ^(sha256:)?[0-9a-f]{64}$ ]]
        run containerctl image list -q
        assert_status 0
        grep -q "${id#sha256:}" <<<"${output#sha256:}" || grep -q "${id:0:12}" <<<"$output"
        run containerctl image inspect busybox
        assert_status 0
        [[ $(jq -r 'if type == "array" then .[0] else . end | .name' <<<"$output") == busybox ]]
}

@test "image rm removes; rm of an unknown image fails" {
        local id
        containerctl image import "$(distinct_tar gone)" gone:1 >/dev/null
        id=$(image_id_of gone:1)
        run containerctl image rm gone:1
        assert_status 0
        assert_line_eq "Deleted: $id"
        run image_refs
        not grep -qx 'gone:1' <<<"$output"
        run containerctl image rm gone:1
        [[ $status -ne 0 ]]
        grep -qi 'not found\|no such' <<<"$output"
}

@test "image rm of an image in use is refused until the container is gone" {
        # Own content: inuse:1 is the image's only name.
        containerctl image import "$(distinct_tar inuse)" inuse:1 >/dev/null
        containerctl create --name inuse-c inuse:1 true >/dev/null
        run containerctl image rm inuse:1
        assert_error
        [[ $(remove_kind inuse:1) == conflict ]]
        run image_refs
        assert_line_eq "inuse:1"
        containerctl rm inuse-c >/dev/null
        run containerctl image rm inuse:1
        assert_status 0
}

@test "import of a non-tar file fails clearly and adds nothing" {
        local before layers
        before=$(image_refs)
        layers=$(store_layers)
        head -c 4096 /dev/urandom >"$TMP/junk.tar"
        run containerctl image import "$TMP/junk.tar" junk:1
        [[ $status -ne 0 ]]
        [[ -n $output ]]
        [[ $(image_refs) == "$before" ]]
        [[ $(call_kind image.import "{\"path\":\"$TMP/junk.tar\"}") == invalid_params ]]
        # No half-unpacked layer or temp directories left behind either.
        [[ $(store_layers) == "$layers" ]]
        [[ -z $(store_tmp) ]]
        run containerctl run --rm junk:1 true
        [[ $status -ne 0 ]]
}

@test "import of a missing file names the file and adds nothing" {
        local before
        before=$(image_refs)
        run containerctl image import "$TMP/does-not-exist.tar" missing:1
        [[ $status -ne 0 ]]
        grep -qF "does-not-exist.tar" <<<"$output"
        [[ $(image_refs) == "$before" ]]
        [[ $(call_kind image.import "{\"path\":\"$TMP/does-not-exist.tar\",\"name\":\"missing\"}") == invalid_params ]]
}

@test "image list shows one row per name and --json each image once with its refs" {
        containerctl image import "$CTL_IMAGE_TAR" alias:1 >/dev/null
        run containerctl image list
        assert_status 0
        grep -Eq '^busybox +latest ' <<<"$output"
        grep -Eq '^alias +1 ' <<<"$output"
        run containerctl image list --json
        assert_status 0
        local id
        id=$(image_id_of busybox:latest)
        [[ $(jq --arg id "$id" '[.[] | select(.id == $id)] | length' <<<"$output") == 1 ]]
        [[ $(jq -c --arg id "$id" '.[] | select(.id == $id) | .refs' <<<"$output") == '["busybox:latest","alias:1"]' ]]
        [[ $(jq -r --arg id "$id" '.[] | select(.id == $id) | "\(.name) \(.tag) \(.ref)"' <<<"$output") == "busybox latest busybox:latest" ]]
        [[ $(containerctl image list -q | grep -c "^${id:0:12}$") == 2 ]]
        containerctl image rm alias:1 >/dev/null
}

@test "image rm of one of several names only untags; of the last name deletes" {
        local tar id
        tar=$(distinct_tar untag)
        containerctl image import "$tar" multi:1 >/dev/null
        containerctl image import "$tar" multi:2 >/dev/null
        id=$(image_id_of multi:1)
        [[ $id == $(image_id_of multi:2) ]]
        run containerctl image rm multi:1
        assert_status 0
        [[ $output == "Untagged: multi:1" ]]
        run image_refs
        not grep -qx multi:1 <<<"$output"
        assert_line_eq multi:2
        run containerctl run --rm multi:2 cat /marker
        assert_status 0
        [[ $output == untag ]]
        run containerctl image rm multi:2
        assert_status 0
        assert_line_eq "Untagged: multi:2"
        assert_line_eq "Deleted: $id"
        run containerctl image inspect "$id"
        [[ $status -ne 0 ]]
        [[ ! -e $TMP/root/images/$id ]]
}

@test "image rm by id of an image with several names: conflict unless forced" {
        local tar id
        tar=$(distinct_tar byid)
        containerctl image import "$tar" byid:1 >/dev/null
        containerctl image import "$tar" byid:2 >/dev/null
        id=$(image_id_of byid:1)
        run containerctl image rm "${id:0:12}"
        assert_error
        [[ $(remove_kind "$id") == conflict ]]
        run image_refs
        assert_line_eq byid:1
        assert_line_eq byid:2
        run containerctl image rm -f "${id:0:12}"
        assert_status 0
        assert_line_eq "Untagged: byid:1"
        assert_line_eq "Untagged: byid:2"
        assert_line_eq "Deleted: $id"
        run image_refs
        not grep -q '^byid:' <<<"$output"
}

@test "a name moved to other content leaves the old image dangling" {
        local old new
        containerctl image import "$(distinct_tar move-a)" moving:1 >/dev/null
        old=$(image_id_of moving:1)
        containerctl image import "$(distinct_tar move-b)" moving:1 >/dev/null
        new=$(image_id_of moving:1)
        [[ $old != "$new" ]]
        run containerctl image list --json
        [[ $(jq -c --arg id "$old" '.[] | select(.id == $id) | [.refs, .ref]' <<<"$output") == '[[],"<none>:<none>"]' ]]
        run containerctl image list
        grep -Eq "^<none> +<none> +${old:0:12} " <<<"$output"
        run containerctl image rm "$old"
        assert_status 0
        [[ $output == "Deleted: $old" ]]
        containerctl image rm moving:1 >/dev/null
}

@test "image rm of an image with several names used by a container" {
        local tar id
        tar=$(distinct_tar used)
        containerctl image import "$tar" used:1 >/dev/null
        containerctl image import "$tar" used:2 >/dev/null
        id=$(image_id_of used:1)
        containerctl create --name used-c used:1 cat /marker >/dev/null
        # Untagging is allowed while a container uses the image.
        run containerctl image rm used:1
        assert_status 0
        [[ $output == "Untagged: used:1" ]]
        # The last name and the id are refused: a container uses the image.
        run containerctl image rm used:2
        assert_error
        [[ $(remove_kind used:2) == conflict ]]
        [[ $(remove_kind "$id") == conflict ]]
        run image_refs
        assert_line_eq used:2
        run containerctl start -a used-c
        assert_status 0
        [[ $output == used ]]
        containerctl rm used-c >/dev/null
        run containerctl image rm used:2
        assert_status 0
        assert_line_eq "Deleted: $id"
}

@test "image rm -f deletes an image a container uses" {
        local id
        containerctl image import "$(distinct_tar forced)" forced:1 >/dev/null
        id=$(image_id_of forced:1)
        containerctl create --name forced-c forced:1 true >/dev/null
        run containerctl image rm forced:1
        assert_error
        run containerctl image rm -f forced:1
        assert_status 0
        assert_line_eq "Deleted: $id"
        run containerctl rm forced-c
        assert_status 0
}

@test "names survive a daemon restart" {
        local tar id
        tar=$(distinct_tar restart)
        containerctl image import "$tar" keep:1 >/dev/null
        containerctl image import "$tar" keep:2 >/dev/null
        id=$(image_id_of keep:1)
        ctl_daemon_stop
        ctl_daemon_start
        run containerctl image list --json
        [[ $(jq -c --arg id "$id" '.[] | select(.id == $id) | .refs' <<<"$output") == '["keep:1","keep:2"]' ]]
        containerctl image rm keep:1 keep:2 >/dev/null
}

@test "a rootfs tarball's id is the sha256 of its config; the same tar re-imported or gzip'd is the same image" {
        local tar id
        tar=$(distinct_tar sameid)
        id=$(rootfs_image_id "$tar")
        containerctl image import "$tar" sameid:1 >/dev/null
        [[ $(image_id_of sameid:1) == "$id" ]]
        # Same tar again, and gzip'd: same diff_id, same config, same image.
        containerctl image import "$tar" sameid:2 >/dev/null
        gzip -1 -c "$tar" >"$TMP/sameid.tar.gz"
        containerctl image import "$TMP/sameid.tar.gz" sameid:3 >/dev/null
        [[ $(image_id_of sameid:2) == "$id" && $(image_id_of sameid:3) == "$id" ]]
        run containerctl image list --json
        [[ $(jq -c --arg id "$id" '.[] | select(.id == $id) | [.refs, .layers]' <<<"$output") == \
                '[["sameid:1","sameid:2","sameid:3"],1]' ]]
        # One layer in the store, named by the tar's sha256.
        [[ -d $TMP/root/layers/$(sha256sum <"$tar" | cut -d' ' -f1)/diff ]]
        containerctl image rm sameid:1 sameid:2 sameid:3 >/dev/null
}

@test "inspect shows the OCI config, the layers and their dirs" {
        local tar diff
        tar=$(distinct_tar insp)
        diff=$(sha256sum <"$tar" | cut -d' ' -f1)
        containerctl image import "$tar" insp:1 >/dev/null
        run call_result image.inspect '{"image":"insp:1"}'
        assert_status 0
        echo "$output"
        jq -e --arg d "sha256:$diff" --arg dir "$TMP/root/layers/$diff/diff" --arg arch "$(host_arch)" '
                .architecture == $arch and .os == "linux" and .manifest_digest == null and
                .history == [] and .config.config.Cmd == ["sh"] and
                .config.rootfs.diff_ids == [$d] and
                (.layers | length) == 1 and .layers[0].diff_id == $d and
                .layers[0].dir == $dir and (.layers[0].digest | startswith("sha256:")) and
                .layers[0].media_type == "application/vnd.oci.image.layer.v1.tar" and
                .layers[0].blob_size > 0 and .layers[0].size == .size and .size > 0' <<<"$output"
        run containerctl run --rm insp:1 cat /marker
        assert_status 0
        [[ $output == insp ]]
        containerctl image rm insp:1 >/dev/null
}

@test "a rootfs tarball imported without a name is dangling" {
        local tar id
        tar=$(distinct_tar noname)
        id=$(rootfs_image_id "$tar")
        run call_result image.import "{\"path\":\"$tar\"}"
        assert_status 0
        [[ $(jq -r '"\(.id) \(.ref) \(.refs | length)"' <<<"$output") == "$id <none>:<none> 0" ]]
        containerctl image rm "$id" >/dev/null
}

@test "bad import params are invalid_params and change nothing" {
        local before
        before=$(image_refs)
        [[ $(call_kind image.import '{"path":"relative.tar","name":"x"}') == invalid_params ]]
        [[ $(call_kind image.import "{\"path\":\"$CTL_IMAGE_TAR\",\"tag\":\"1\"}") == invalid_params ]]
        [[ $(call_kind image.import "{\"path\":\"$CTL_IMAGE_TAR\",\"name\":\"Bad Name\"}") == invalid_params ]]
        [[ $(call_kind image.import "{\"path\":\"$CTL_IMAGE_TAR\",\"name\":\"x\",\"tag\":\"1\",\"all\":true}") == invalid_params ]]
        [[ $(call_kind image.import "{\"path\":\"$CTL_IMAGE_TAR\",\"all\":true}") == invalid_params ]]
        [[ $(call_kind image.import '{"path":"/dev/null","name":"x"}') == invalid_params ]]
        [[ $(call_kind image.import "{\"path\":\"$CTL_IMAGE_TAR\",\"all\":1}") == invalid_params ]]
        [[ $(image_refs) == "$before" ]]
        [[ -z $(store_tmp) ]]
}

@test "import reports progress per layer before the reply" {
        local tar lines
        tar=$(distinct_tar progress)
        lines=$(import_lines "{\"path\":\"$tar\",\"name\":\"progress\"}")
        echo "$lines"
        # The archive is read first, then its one layer is unpacked.
        jq -se '[.[] | select(.method == "image.import.progress") | .params] as $n |
                ($n | map(select(.status == "reading")) | length) >= 1 and
                ($n | map(select(.status == "unpacking")) | length) >= 1 and
                ($n | map(select(.status == "done")) | length) == 1 and
                ($n | map(select(.status == "done"))[0] |
                        .image == 1 and .images == 1 and .layer == 1 and .layers == 1 and
                        .digest == "" and .bytes == .total and .total > 0)' <<<"$lines"
        [[ $(tail -n 1 <<<"$lines" | jq -r .result.ref) == progress:latest ]]
        grep -q "layer sha256:$(sha256sum <"$tar" | cut -d' ' -f1): unpacked [0-9]* bytes in [0-9]* ms" \
                "$TMP/daemon.log"
        containerctl image rm progress >/dev/null
}

@test "image rm keeps the layers; prune removes dangling images and unused layers" {
        local tar diff id used used_id used_diff res
        tar=$(distinct_tar prune)
        diff=$(sha256sum <"$tar" | cut -d' ' -f1)
        containerctl image import "$tar" prune:1 >/dev/null
        id=$(image_id_of prune:1)
        # A dangling image a container uses: prune keeps it and its layer.
        used=$(distinct_tar prune-used)
        used_diff=$(sha256sum <"$used" | cut -d' ' -f1)
        containerctl image import "$used" prune-used:1 >/dev/null
        used_id=$(image_id_of prune-used:1)
        containerctl create --name prune-c prune-used:1 cat /marker >/dev/null
        containerctl image import "$(distinct_tar prune-other)" prune-used:1 >/dev/null
        containerctl image rm prune:1 >/dev/null
        [[ ! -e $TMP/root/images/$id && -d $TMP/root/layers/$diff/diff ]]
        res=$(call_result image.prune '{}')
        echo "$res"
        jq -e --arg u "$used_id" '(.images_deleted | index($u)) == null and .layers_deleted >= 1 and
                .space_reclaimed > 0' <<<"$res"
        [[ ! -e $TMP/root/layers/$diff ]]
        [[ -d $TMP/root/images/$used_id && -d $TMP/root/layers/$used_diff/diff ]]
        [[ -z $(store_tmp) ]]
        run containerctl start -a prune-c
        assert_status 0
        [[ $output == prune-used ]]
        containerctl rm prune-c >/dev/null
        # Now the dangling image goes, and its layer with it.
        res=$(call_result image.prune '{}')
        echo "$res"
        jq -e --arg u "$used_id" '.images_deleted == [$u] and .layers_deleted == 1 and
                .space_reclaimed > 0' <<<"$res"
        [[ ! -e $TMP/root/layers/$used_diff && ! -e $TMP/root/images/$used_id ]]
        # Images with names are untouched and still run.
        run containerctl run --rm busybox true
        assert_status 0
        res=$(call_result image.prune '{}')
        jq -e '.images_deleted == [] and .layers_deleted == 0 and .space_reclaimed == 0' <<<"$res"
        containerctl image rm prune-used:1 >/dev/null
}

@test "prune keeps the layers of an image removed with force while its container exists" {
        local tar diff
        tar=$(distinct_tar forcekeep)
        diff=$(sha256sum <"$tar" | cut -d' ' -f1)
        containerctl image import "$tar" forcekeep:1 >/dev/null
        containerctl create --name forcekeep-c forcekeep:1 cat /marker >/dev/null
        containerctl image rm -f forcekeep:1 >/dev/null
        call_result image.prune '{}' >/dev/null
        [[ -d $TMP/root/layers/$diff/diff ]]
        run containerctl start -a forcekeep-c
        assert_status 0
        [[ $output == forcekeep ]]
        containerctl rm forcekeep-c >/dev/null
        call_result image.prune '{}' >/dev/null
        [[ ! -e $TMP/root/layers/$diff ]]
}

@test "leftovers of unfinished imports are removed at start; layers survive" {
        local layers
        layers=$(store_layers)
        mkdir -p "$TMP/root/layers/.tmp-crashed/diff/x" "$TMP/root/images/.tmp-crashed/blobs" \
                "$TMP/root/layers/.tmp-rm-crashed/diff"
        ctl_daemon_restart
        [[ -z $(store_tmp) ]]
        [[ $(store_layers) == "$layers" ]]
        run containerctl run --rm busybox true
        assert_status 0
}

@test "a layout with two images needs --all; --all imports both with their names" {
        local base a b lines
        base=$(distinct_tar oci-base)
        a=$(distinct_tar oci-a)
        b=$(distinct_tar oci-b)
        mkoci "$TMP/two-images" "[{\"refs\":[\"1.0\"],\"layers\":[\"$base\",\"$a\"]},
                                 {\"refs\":[\"other/img:2\"],\"layers\":[\"$base\",\"$b\"]}]"
        run call_kind image.import "{\"path\":\"$TMP/two-images\"}"
        [[ $output == invalid_params ]]
        run containerctl image import "$TMP/two-images"
        assert_error
        grep -qF "holds 2 images (two-images:1.0, other/img:2): pass --all" <<<"$output"
        [[ -z $(store_tmp) ]]
        lines=$(import_lines "{\"path\":\"$TMP/two-images\",\"all\":true}")
        echo "$lines"
        [[ $(tail -n 1 <<<"$lines" | jq -c '[.result.images[].ref]') == '["two-images:1.0","other/img:2"]' ]]
        [[ $(tail -n 1 <<<"$lines" | jq -c '[.result.images[].layers]') == '[2,2]' ]]
        # The shared base layer is unpacked once; the second image finds it.
        jq -se '[.[] | select(.method) | .params | select(.image == 2 and .layer == 1) | .status] |
                index("exists") != null' <<<"$lines"
        [[ $(grep -c "layer sha256:$(sha256sum <"$base" | cut -d' ' -f1): unpacking" "$TMP/daemon.log") == 1 ]]
        run containerctl run --rm other/img:2 cat /marker
        assert_status 0
        [[ $output == oci-b ]]
        # With --all, NAME is the repository for bare tags.
        run call_result image.import "{\"path\":\"$TMP/two-images\",\"name\":\"repo\",\"all\":true}"
        [[ $(jq -c '[.images[].refs]' <<<"$output") == '[["two-images:1.0","repo:1.0"],["other/img:2"]]' ]]
        # A single image named on the command line takes that name only (it
        # is the first image above: same config, same id).
        mkoci "$TMP/one-image" "[{\"refs\":[\"9\"],\"layers\":[\"$base\",\"$a\"]}]"
        run call_result image.import "{\"path\":\"$TMP/one-image\",\"name\":\"single\"}"
        [[ $(jq -c '.refs' <<<"$output") == '["two-images:1.0","repo:1.0","single:latest"]' ]]
        run call_result image.import "{\"path\":\"$TMP/one-image\"}"
        [[ $(jq -c '.refs' <<<"$output") == '["two-images:1.0","repo:1.0","single:latest","one-image:9"]' ]]
        containerctl image rm -f "$(jq -r .id <<<"$output")" >/dev/null
        containerctl image rm other/img:2 >/dev/null
}

@test "concurrent imports of images sharing a layer unpack it once" {
        local big small1 small2 diff out1 out2
        big=$(big_tar shared 48)
        diff=$(sha256sum <"$big" | cut -d' ' -f1)
        small1=$(distinct_tar conc-1)
        small2=$(distinct_tar conc-2)
        mkoci "$TMP/conc-1" "[{\"refs\":[\"conc:1\"],\"layers\":[\"$big\",\"$small1\"]}]"
        mkoci "$TMP/conc-2" "[{\"refs\":[\"conc:2\"],\"layers\":[\"$big\",\"$small2\"]}]"
        import_lines "{\"path\":\"$TMP/conc-1\"}" >"$TMP/conc-1.out" &
        import_lines "{\"path\":\"$TMP/conc-2\"}" >"$TMP/conc-2.out" &
        wait
        out1=$(cat "$TMP/conc-1.out")
        out2=$(cat "$TMP/conc-2.out")
        echo "$out1"
        echo "$out2"
        [[ $(tail -n 1 <<<"$out1" | jq -r .result.ref) == conc:1 ]]
        [[ $(tail -n 1 <<<"$out2" | jq -r .result.ref) == conc:2 ]]
        [[ $(grep -c "layer sha256:$diff: unpacking" "$TMP/daemon.log") == 1 ]]
        # The one that did not unpack it waited for the other (or found it done).
        cat "$TMP/conc-1.out" "$TMP/conc-2.out" |
                jq -se '[.[] | select(.method) | .params | select(.layer == 1) | .status] |
                        (index("waiting") != null or index("exists") != null) and
                        (map(select(. == "done")) | length) == 1'
        [[ -z $(store_tmp) ]]
        containerctl image rm conc:1 conc:2 >/dev/null
        call_result image.prune '{}' >/dev/null
        [[ ! -e $TMP/root/layers/$diff ]]
}

@test "an import waiting for a layer unpacks it itself when the other import fails" {
        local big small diff blob out_a out_b pid_a pid_b
        [[ -c /dev/fuse ]] || skip "needs /dev/fuse to hold an unpack mid-blob"
        big=$(big_tar waitfail 2)
        diff=$(sha256sum <"$big" | cut -d' ' -f1)
        small=$(distinct_tar waitfail)
        mkoci "$TMP/wf-bad" "[{\"refs\":[\"wf:bad\"],\"layers\":[\"$big\"]}]"
        mkoci "$TMP/wf-good" "[{\"refs\":[\"wf:good\"],\"layers\":[\"$small\",\"$big\"]}]"
        # wf-bad's blob of the shared layer is a FUSE file that holds
        # wf-bad's unpack half-way through the blob, then turns corrupt.
        blob=$(jq -r '.manifests[0].digest' "$TMP/wf-bad/index.json")
        blob=$(jq -r '.layers[0].digest' "$TMP/wf-bad/blobs/sha256/${blob#sha256:}")
        blob=$TMP/wf-bad/blobs/sha256/${blob#sha256:}
        cp "$blob" "$TMP/wf-blob"
        fuse_gate "$blob" "$TMP/wf-blob" $(($(stat -c %s "$TMP/wf-blob") / 2))
        import_lines "{\"path\":\"$TMP/wf-bad\"}" >"$TMP/wf-bad.out" &
        pid_a=$!
        # wf-bad claimed the layer when its unpack started, and that unpack
        # is now blocked half-way: it cannot end before the gate opens.
        wait_until 30 test -e "$blob.gated"
        import_lines "{\"path\":\"$TMP/wf-good\"}" >"$TMP/wf-good.out" &
        pid_b=$!
        # wf-good unpacks its first layer, then has to wait for the second.
        wait_until 60 has_layer_status "$TMP/wf-good.out" 2 waiting
        fuse_gate_release "$blob"
        wait "$pid_a"
        wait "$pid_b"
        fuse_gate_stop
        out_a=$(cat "$TMP/wf-bad.out")
        out_b=$(cat "$TMP/wf-good.out")
        echo "$out_a"
        echo "$out_b"
        [[ $(tail -n 1 <<<"$out_a" | jq -r .error.data.kind) == invalid_params ]]
        [[ $(tail -n 1 <<<"$out_b" | jq -r .result.ref) == wf:good ]]
        # The waiter unpacked the layer itself, from its own blob.
        grep -q "layer sha256:$diff: unpacking $TMP/wf-good/" "$TMP/daemon.log"
        jq -se '[.[] | select(.method) | .params | select(.layer == 2) | .status] |
                index("waiting") < index("unpacking") and index("done") != null' <<<"$out_b"
        [[ -z $(store_tmp) ]]
        run containerctl run --rm wf:good cat /marker
        assert_status 0
        [[ $output == waitfail ]]
        containerctl image rm wf:good >/dev/null
}
