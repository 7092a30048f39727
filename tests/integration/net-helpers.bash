# Networking tests (issue 5): loaded after helpers.bash by network.bats,
# ports.bats and network-crash.bats.
#
# Each file runs its daemon with its own default bridge and subnet
# (helpers.bash: CTL_BRIDGE, CTL_SUBNET in 10.200-249.x.0/24). Tests that
# make user networks take a free 10.125-130.x.0/24 each (checked against
# the host's addresses and routes and reserved under /tmp/ctlnet-reserve,
# so that files running at the same time never share one) and a bridge
# name of their own.
#
# After every test (net_teardown) every container and user network is
# removed through the product, then the test fails unless, within a bounded
# wait: no veth of any container this file made exists, no veth hangs on a
# bridge of this file, no pinned netns file is left in the run root, the
# bridges of removed networks are gone and no lease is left in an IPAM
# file. teardown_file then runs the common checks (processes, cgroups,
# mounts; the default network's bridge, which outlives the daemon by
# design, is deleted there) and checks the veths again once the daemon is
# gone.
#
# Traffic: only 127.0.0.1, the file's bridges and the containers' own
# namespaces. The only links the tests make themselves are bridges and
# veths with fresh names (ctl*, and vc* planted as crash leftovers),
# deleted again.

NET_RESERVE_DIR=/tmp/ctlnet-reserve

# net_pick_subnet: reserves a free 10.X.Y.0/24 (X in 125..130) and prints
# "10.X.Y". Free = overlapping no IPv4 address or route of the host (any
# table) and not reserved by a live test file. A reservation names its
# file's $NET_STATE; one whose $NET_STATE is gone is stale and taken over.
net_pick_subnet() {
        python3 - "$NET_RESERVE_DIR" "$NET_STATE" "$NET_STATE/reserved" <<'EOF'
import ipaddress, json, os, random, subprocess, sys

resdir, owner, listfile = sys.argv[1:4]
os.makedirs(resdir, exist_ok=True)
used = []
for cmd in (["ip", "-4", "-j", "route", "show", "table", "all"], ["ip", "-4", "-j", "addr"]):
    for e in json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout or "[]"):
        if "dst" in e:
            if e["dst"] in ("default", "0.0.0.0/0"):
                continue
            try:
                used.append(ipaddress.ip_network(e["dst"], strict=False))
            except ValueError:
                pass
        for a in e.get("addr_info", []):
            used.append(ipaddress.ip_network("%s/%d" % (a["local"], a["prefixlen"]), strict=False))
for _ in range(2000):
    base = "10.%d.%d" % (random.randint(125, 130), random.randint(0, 255))
    net = ipaddress.ip_network(base + ".0/24")
    if any(net.overlaps(u) for u in used):
        continue
    d = os.path.join(resdir, base)
    try:
        os.mkdir(d)
    except FileExistsError:
        try:
            with open(os.path.join(d, "owner")) as f:
                other = f.read().strip()
        except OSError:
            continue
        if not other or os.path.isdir(other):
            continue
    with open(os.path.join(d, "owner"), "w") as f:
        f.write(owner + "\n")
    with open(listfile, "a") as f:
        f.write(base + "\n")
    print(base)
    sys.exit(0)
sys.exit("no free 10.125-130.x.0/24 subnet")
EOF
}

# net_pick_ifname PREFIX: PREFIX + 4 random hex digits, a name no link has.
net_pick_ifname() {
        local n i
        for i in {1..50}; do
                n=$1$(ctl_random | cut -c1-4)
                if ! ip link show dev "$n" >/dev/null 2>&1; then
                        echo "$n"
                        return 0
                fi
        done
        return 1
}

net_setup_file() {
        # State of this file that outlives $TMP (teardown_file needs it after
        # ctl_teardown_file removed $TMP).
        NET_STATE=$(mktemp -d /tmp/ctlnet-state.XXXXXX)
        export NET_STATE
        : >"$NET_STATE/reserved"
        : >"$NET_STATE/veths"
        : >"$NET_STATE/bridges"
        # helpers.bash gives every file's daemon its own bridge and subnet
        # (CTL_BRIDGE, CTL_SUBNET, as flags). Without them, the config does.
        if ! declare -f ctl_free_subnet >/dev/null; then
                NET_BASE=$(net_pick_subnet) || return 1
                NET_BRIDGE=$(net_pick_ifname ctlt) || return 1
                CTL_DAEMON_CONFIG="bridge = $NET_BRIDGE
subnet = $NET_BASE.0/24${NET_EXTRA_CONFIG:+
$NET_EXTRA_CONFIG}"
        elif [[ -n ${NET_EXTRA_CONFIG:-} ]]; then
                CTL_DAEMON_CONFIG=$NET_EXTRA_CONFIG
        fi
        ctl_setup_file || return 1
        if [[ -n ${CTL_BRIDGE:-} ]]; then
                NET_BRIDGE=$CTL_BRIDGE
                NET_BASE=${CTL_SUBNET%.0/24}
        fi
        NET_SUBNET=$NET_BASE.0/24
        NET_GW=$NET_BASE.1
        export NET_BASE NET_BRIDGE NET_SUBNET NET_GW
        echo "$NET_BRIDGE" >>"$NET_STATE/bridges"
}

net_teardown_file() {
        local leaks="" v b r rc=0
        ctl_teardown_file || rc=1
        # The daemon is gone: no veth of our containers may remain.
        for v in $(sort -u "$NET_STATE/veths"); do
                if ip link show dev "$v" >/dev/null 2>&1; then
                        leaks+="veth $v; "
                        ip link del dev "$v" 2>/dev/null || true
                fi
        done
        # The default bridge outlives the daemon by design; the others were
        # checked when their networks were removed. All are ours to delete.
        for b in $(sort -u "$NET_STATE/bridges"); do
                if ip -d link show dev "$b" 2>/dev/null | grep -qw bridge; then
                        [[ $b == "$NET_BRIDGE" ]] || leaks+="bridge $b; "
                        ip link del dev "$b" 2>/dev/null || true
                fi
        done
        for r in $(cat "$NET_STATE/reserved"); do
                rm -rf "${NET_RESERVE_DIR:?}/$r"
        done
        rm -rf "$NET_STATE"
        if [[ -n $leaks ]]; then
                echo "LEFT BEHIND (network): $leaks" >&2
                rc=1
        fi
        return $rc
}

setup_file() { net_setup_file; }
teardown_file() { net_teardown_file; }
teardown() { net_teardown; }

# --- queries ----------------------------------------------------------------

net_field() {
        inspect_field "$1" ".network.$2"
}

net_addr() {
        net_field "$1" address
}

net_id() {
        inspect_field "$1" .id
}

# The host end of a container's veth, from its id ("vc" + 10 hex), and
# remembered for the leak checks.
net_veth_of() {
        local id
        id=$(net_id "$1") || return 1
        echo "vc${id:0:10}" >>"$NET_STATE/veths"
        echo "vc${id:0:10}"
}

link_exists() {
        ip link show dev "$1" >/dev/null 2>&1
}

# Master (bridge) of a link, empty if none.
link_master() {
        ip -j link show dev "$1" 2>/dev/null | jq -r '.[0].master // empty'
}

# Names of the links on bridge $1.
net_bridge_ports() {
        ip -j link show master "$1" 2>/dev/null | jq -r '.[].ifname'
}

# Lists the host's interface names (as /proc/net/dev does).
net_host_netdevs() {
        awk -F: 'NR > 2 { gsub(/ /, "", $1); print $1 }' /proc/net/dev | sort
}

# The pinned netns files of the daemon.
net_netns_files() {
        ls -A "$CTL_RUN_ROOT/netns" 2>/dev/null
}

# The IPAM state files of the daemon (one per network).
net_ipam_files() {
        ls "$TMP/root/networks/"*.ipam.json 2>/dev/null
}

# Succeeds if container id (or its 12-char prefix) $1 holds a lease in any
# IPAM file.
net_has_lease() {
        local f
        for f in $(net_ipam_files); do
                grep -q "$1" "$f" && return 0
        done
        return 1
}

# Number of containers attached to (holding a lease in) network $1, from
# network inspect.
net_members() {
        containerctl network inspect "$1" | jq -r 'if type == "array" then .[0] else . end | .containers | if type == "array" then length else . end'
}

# --- containers ---------------------------------------------------------------

# net_httpd NAME [run options...]: a container serving "hello-NAME" on
# port 80 with busybox httpd; waits until it runs.
net_httpd() {
        local name=$1
        shift
        containerctl run -d --name "$name" "$@" busybox \
                sh -c "mkdir -p /srv && echo hello-$name >/srv/index.html && exec httpd -f -p 80 -h /srv" >/dev/null ||
                return 1
        wait_until 10 state_is "$name" running
}

# curl from the host, never through a proxy, bounded.
hcurl() {
        curl -sf --noproxy '*' --max-time "${HCURL_TIMEOUT:-3}" "$@"
}

# Waits until URL answers with hello-NAME from the host.
net_wait_http() {
        wait_until "${3:-10}" net_http_is "$1" "$2"
}

net_http_is() {
        [[ $(hcurl "$1") == "hello-$2" ]]
}

# cwget [run options...] -- URL: wget from a new --rm container, bounded.
cwget() {
        local opts=()
        while [[ $1 != -- ]]; do
                opts+=("$1")
                shift
        done
        shift
        # Not wget as the container's init: pid 1 ignores timeout's SIGTERM.
        containerctl run --rm "${opts[@]}" busybox \
                sh -c 'timeout "$0" wget -Y off -qO- "$1"; exit $?' "${CWGET_TIMEOUT:-5}" "$1"
}

# --- host sockets (python) ------------------------------------------------------

# net_free_port tcp|udp [ADDR]: a port the kernel says is free now.
net_free_port() {
        python3 -c '
import socket, sys
t = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, t)
s.bind((sys.argv[2], 0))
print(s.getsockname()[1])' "$1" "${2:-127.0.0.1}"
}

# net_hold_port tcp|udp ADDR [PORT]: a background python process holds the
# port (TCP: listening) until net_release_ports; prints the port.
net_hold_port() {
        local f
        f=$(mktemp "$NET_STATE/hold.XXXXXX")
        python3 -c '
import socket, sys, time
t = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(socket.AF_INET, t)
s.bind((sys.argv[2], int(sys.argv[3])))
if t == socket.SOCK_STREAM:
    s.listen(1)
print(s.getsockname()[1], flush=True)
time.sleep(300)' "$1" "$2" "${3:-0}" >"$f" 2>&1 3>&- &
        echo $! >>"$NET_STATE/holders"
        wait_until 5 test -s "$f" || return 1
        cat "$f"
}

net_release_ports() {
        local p
        [[ -f $NET_STATE/holders ]] || return 0
        for p in $(cat "$NET_STATE/holders"); do
                kill "$p" 2>/dev/null || true
                wait "$p" 2>/dev/null || true
        done
        rm -f "$NET_STATE/holders"
}

# Succeeds if something accepts TCP connections at ADDR PORT.
tcp_open() {
        python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)' "$1" "$2" 2>/dev/null
}

# udp_ask ADDR PORT MSG: sends MSG, prints the reply (2 s, 3 tries).
udp_ask() {
        python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.7)
for _ in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recv(65536).decode())
        sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)' "$@"
}

# A static UDP echo server ("echo:" + datagram back), since the image's
# busybox nc has no -u. Built once into $NET_STATE/bin; run it with
# -v "$NET_STATE/bin:/netbin" and /netbin/udpecho PORT.
net_build_udpecho() {
        mkdir -p "$NET_STATE/bin"
        [[ -x $NET_STATE/bin/udpecho ]] && return 0
        cat >"$NET_STATE/udpecho.c" <<'EOF'
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
        struct sockaddr_in a = { .sin_family = AF_INET };
        char buf[2048] = "echo:";
        int s = socket(AF_INET, SOCK_DGRAM, 0);

        if (argc != 2 || s < 0)
                return 2;
        a.sin_port = htons(atoi(argv[1]));
        if (bind(s, (struct sockaddr *) &a, sizeof a) < 0) {
                perror("bind");
                return 1;
        }
        for (;;) {
                struct sockaddr_in from;
                socklen_t fl = sizeof from;
                ssize_t n = recvfrom(s, buf + 5, sizeof buf - 5, 0, (struct sockaddr *) &from, &fl);

                if (n < 0)
                        continue;
                sendto(s, buf, n + 5, 0, (struct sockaddr *) &from, fl);
        }
}
EOF
        gcc -static -O2 -o "$NET_STATE/bin/udpecho" "$NET_STATE/udpecho.c"
}

# --- per-test cleanup and leak check --------------------------------------------

# Non-default networks as "name bridge" lines.
net_user_networks() {
        containerctl network ls --json 2>/dev/null |
                jq -r '(if type == "array" then . else .networks end)[] | select(.default != true) | "\(.name) \(.bridge)"'
}

# What the product should have removed by now; prints each leftover.
net_leftovers() {
        local v b id
        for v in $(sort -u "$NET_STATE/veths"); do
                link_exists "$v" && echo "veth $v"
        done
        for b in $(sort -u "$NET_STATE/bridges"); do
                for v in $(net_bridge_ports "$b"); do
                        echo "port $v on bridge $b"
                done
        done
        for b in $(sort -u "$NET_STATE/removed-bridges" 2>/dev/null); do
                link_exists "$b" && echo "bridge $b of a removed network"
        done
        for v in $(net_netns_files); do
                echo "netns $CTL_RUN_ROOT/netns/$v"
        done
        for id in $(sort -u "$NET_STATE/ids"); do
                net_has_lease "$id" && echo "lease of $id"
        done
        return 0
}

net_clean() {
        [[ -z $(net_leftovers) ]]
}

net_daemon_alive() {
        local pid
        pid=$(cat "$TMP/daemon.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null &&
                ! ctl_pid_gone "$pid"
}

# Starts the daemon as ctl_daemon_restart does (after a kill).
net_daemon_start() {
        if [[ -f $TMP/containerctld.conf ]]; then
                ctl_daemon_start --config "$TMP/containerctld.conf"
        else
                ctl_daemon_start
        fi
}

# net_own_link NAME: a link the test itself makes (a host bridge, a veth
# pair, a planted leftover); deleted after the test if still there.
net_own_link() {
        echo "$1" >>"$NET_STATE/own-links"
}

net_delete_own_links() {
        local l
        [[ -f $NET_STATE/own-links ]] || return 0
        for l in $(cat "$NET_STATE/own-links"); do
                ip link del dev "$l" 2>/dev/null || true
        done
        rm -f "$NET_STATE/own-links"
}

# Per-test teardown: removes the test's containers and user networks, then
# fails unless nothing of them is left (see the top of this file).
net_teardown() {
        local ids id line name bridge left rc=0
        ctl_teardown
        net_release_ports
        net_delete_own_links
        if ! net_daemon_alive; then
                echo "the daemon was not running after the test; starting it again" >&2
                rm -f "$TMP/daemon.pid"
                net_daemon_start || return 1
                rc=1
        fi
        ids=$(timeout 30 containerctl ps -a -q 2>/dev/null) || true
        for id in $ids; do
                echo "$id" >>"$NET_STATE/ids"
                echo "vc${id:0:10}" >>"$NET_STATE/veths"
                timeout 30 containerctl rm -f "$id" >/dev/null 2>&1 || {
                        echo "container $id could not be removed" >&2
                        rc=1
                }
        done
        while read -r name bridge; do
                [[ -n $name ]] || continue
                echo "$bridge" >>"$NET_STATE/bridges"
                if timeout 30 containerctl network rm "$name" >/dev/null 2>&1; then
                        echo "$bridge" >>"$NET_STATE/removed-bridges"
                else
                        echo "network $name could not be removed" >&2
                        rc=1
                fi
        done < <(net_user_networks)
        if ! wait_until 10 net_clean; then
                left=$(net_leftovers)
                echo "LEFT BEHIND by this test (network): $(tr '\n' ';' <<<"$left")" >&2
                # Repair what is ours so the next test starts clean.
                while read -r what name _; do
                        case $what in
                        veth) ip link del dev "$name" 2>/dev/null || true ;;
                        bridge) ip link del dev "$name" 2>/dev/null || true ;;
                        netns) umount -l "$name" 2>/dev/null; rm -f "$name" ;;
                        esac
                done <<<"$left"
                rc=1
        fi
        if [[ $rc -ne 0 ]]; then
                echo "--- daemon log (tail) ---" >&2
                tail -n 40 "$TMP/daemon.log" >&2
        fi
        return $rc
}

# net_create NAME [PREFIX_LEN] [more network create options]: a user network
# with a fresh subnet (a /24, or the first /PREFIX_LEN of one) and bridge;
# sets NET_LAST_BASE and NET_LAST_BRIDGE (call it without $(...)).
net_create() {
        local name=$1 plen=${2:-24}
        shift 2 || shift
        NET_LAST_BASE=$(net_pick_subnet) || return 1
        NET_LAST_BRIDGE=$(net_pick_ifname ctlu) || return 1
        echo "$NET_LAST_BRIDGE" >>"$NET_STATE/bridges"
        containerctl network create --subnet "$NET_LAST_BASE.0/$plen" --bridge "$NET_LAST_BRIDGE" "$@" "$name"
}
