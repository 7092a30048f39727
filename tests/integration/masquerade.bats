#!/usr/bin/env bats
# Outbound access (masquerade, issue 5 scope 5). The daemon runs inside a
# network namespace this file makes ("inside"), joined with nsenter --net
# (not `ip netns exec`, which remounts /sys and hides the cgroup tree); a
# second one ("outside") is linked to it by a veth pair in 198.18.N.0/24
# (the benchmarking range) and runs a small HTTP server that answers with
# the peer address it sees. No traffic leaves the namespaces this file made.
# Checked: a masquerading network reaches the outside under the inside
# address; a network without masquerade does not get out; masquerading and
# other networks stay apart; the daemon's nftables table holds exactly the
# rules of the networks that exist (also after a SIGKILL and a planted
# stale rule); masquerade turned off in the config removes the table; and
# the host namespace's ruleset and ip_forward are what they were before.

load helpers

mq_in() { nsenter --net="/run/netns/$MQ_NS" "$@"; }
mq_out() { nsenter --net="/run/netns/$MQ_OUT" "$@"; }

# helpers.bash starts `containerctld ... &`: this runs it inside. exec, so
# that $! is the daemon itself (the helpers signal and wait for it).
containerctld() {
        if [[ $BASHPID == "$$" ]]; then
                echo "containerctld wrapper: only in the background" >&2
                return 1
        fi
        exec nsenter --net="/run/netns/$MQ_NS" "$(type -P containerctld)" "$@"
}

setup_file() {
        MQ_STATE=$(mktemp -d /tmp/ctlmq.XXXXXX)
        [[ -d $MQ_STATE ]] || return 1
        export MQ_STATE
        local id
        id=$(ctl_random | cut -c1-6)
        MQ_NS=ctlmq-in-$id MQ_OUT=ctlmq-out-$id
        MQ_VIN=mqa$id MQ_VOUT=mqb$id
        MQ_NET=198.18.$((RANDOM % 250 + 1))
        MQ_INSIDE=$MQ_NET.1 MQ_OUTSIDE=$MQ_NET.2 MQ_PORT=8080
        export MQ_NS MQ_OUT MQ_VIN MQ_VOUT MQ_NET MQ_INSIDE MQ_OUTSIDE MQ_PORT
        echo "$MQ_NS $MQ_OUT" >"$MQ_STATE/netns"
        # The host's state, compared in teardown_file.
        nft list ruleset >"$MQ_STATE/ruleset.before"
        cat /proc/sys/net/ipv4/ip_forward >"$MQ_STATE/ip_forward.before"

        ip netns add "$MQ_NS"
        ip netns add "$MQ_OUT"
        ip link add "$MQ_VIN" netns "$MQ_NS" type veth peer name "$MQ_VOUT" netns "$MQ_OUT"
        mq_in ip link set lo up
        mq_in ip addr add "$MQ_INSIDE/24" dev "$MQ_VIN"
        mq_in ip link set "$MQ_VIN" up
        mq_out ip link set lo up
        mq_out ip addr add "$MQ_OUTSIDE/24" dev "$MQ_VOUT"
        mq_out ip link set "$MQ_VOUT" up

        # The outside server: every request is answered with "peer=ADDR" and
        # logged to peers.log. nsenter execs python: $! is the server.
        nsenter --net="/run/netns/$MQ_OUT" python3 -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peer = self.client_address[0]
        with open(sys.argv[3], "a") as f:
            f.write(peer + "\n")
        body = ("peer=%s\n" % peer).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer((sys.argv[1], int(sys.argv[2])), H).serve_forever()' \
                "$MQ_OUTSIDE" "$MQ_PORT" "$MQ_STATE/peers.log" </dev/null >"$MQ_STATE/server.log" 2>&1 3>&- 4>&- &
        echo $! >"$MQ_STATE/server.pid"
        : >"$MQ_STATE/peers.log"

        CTL_DAEMON_CONFIG="masquerade = yes"
        ctl_setup_file || return 1
        MQ_TABLE=containerctl-$CTL_BRIDGE
        export MQ_TABLE
        wait_until 10 mq_in curl -sf --noproxy '*' --max-time 1 "http://$MQ_OUTSIDE:$MQ_PORT/"
}

teardown_file() {
        local rc=0 pid
        ctl_teardown_file || rc=1
        pid=$(cat "$MQ_STATE/server.pid" 2>/dev/null) || true
        if [[ -n $pid ]]; then
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
        fi
        # Everything inside (bridges, veths, the daemon's table) goes with
        # the namespaces.
        for ns in $(cat "$MQ_STATE/netns" 2>/dev/null); do
                ip netns del "$ns" 2>/dev/null || true
        done
        nft list ruleset >"$MQ_STATE/ruleset.after"
        if ! diff -u "$MQ_STATE/ruleset.before" "$MQ_STATE/ruleset.after" >&2; then
                echo "the host's nftables ruleset changed" >&2
                rc=1
        fi
        if [[ $(cat /proc/sys/net/ipv4/ip_forward) != $(cat "$MQ_STATE/ip_forward.before") ]]; then
                echo "the host's net.ipv4.ip_forward changed" >&2
                rc=1
        fi
        rm -rf "${MQ_STATE:?}"
        return $rc
}

teardown() {
        ctl_teardown
        local ids name
        ids=$(timeout 30 containerctl ps -a -q 2>/dev/null) || true
        for id in $ids; do
                timeout 30 containerctl rm -f "$id" >/dev/null 2>&1 || true
        done
        for name in $(containerctl network ls --json 2>/dev/null |
                jq -r '(if type == "array" then . else .networks end)[] | select(.default != true) | .name'); do
                timeout 30 containerctl network rm "$name" >/dev/null 2>&1 || true
        done
}

# cfetch [run options...]: from a new --rm container, GET the outside
# server; prints its answer. Bounded.
cfetch() {
        containerctl run --rm "$@" busybox \
                sh -c 'timeout 4 wget -Y off -qO- "$0"; exit $?' "http://$MQ_OUTSIDE:$MQ_PORT/"
}

# The daemon's table inside, as text ("" if it does not exist).
mq_table() {
        mq_in nft list table ip "$MQ_TABLE" 2>/dev/null || true
}

mq_table_has() {
        grep -qF -- "$1" <<<"$(mq_table)"
}

mq_forwarding() {
        mq_in cat "/proc/sys/net/ipv4/conf/$1/forwarding"
}

mq_daemon_start() {
        if [[ -f $TMP/containerctld.conf ]]; then
                ctl_daemon_start --config "$TMP/containerctld.conf"
        else
                ctl_daemon_start
        fi
}

@test "masquerade = yes: the default network reaches the outside under the inside address" {
        run cfetch
        assert_status 0
        [[ $output == "peer=$MQ_INSIDE" ]]
        # What the daemon changed inside: its table, ip_forward, the bridge.
        mq_table_has "ip saddr $CTL_SUBNET oifname != \"$CTL_BRIDGE\" masquerade"
        [[ $(mq_in cat /proc/sys/net/ipv4/ip_forward) == 1 ]]
        [[ $(mq_forwarding "$CTL_BRIDGE") == 1 ]]
        run containerctl network inspect bridge
        assert_status 0
        [[ $(jq -r 'if type == "array" then .[0] else . end | .masquerade' <<<"$output") == true ]]
        # The outside never saw a container address.
        not grep -q '^10\.' "$MQ_STATE/peers.log"
}

@test "network create --masquerade gets out, a network without it does not; networks stay apart" {
        local sub=10.77.$((RANDOM % 250)) subm=10.78.$((RANDOM % 250)) id
        id=$(ctl_random | cut -c1-4)
        local brp=mqp$id brm=mqm$id
        containerctl network create --subnet "$sub.0/24" --bridge "$brp" plain
        containerctl network create --subnet "$subm.0/24" --bridge "$brm" --masquerade masq
        [[ $(containerctl network inspect masq | jq -r 'if type == "array" then .[0] else . end | .masquerade') == true ]]
        [[ $(containerctl network inspect plain | jq -r 'if type == "array" then .[0] else . end | .masquerade') == false ]]
        wait_until 5 mq_table_has "ip saddr $subm.0/24 oifname != \"$brm\" masquerade"
        not mq_table_has "$sub.0/24"

        : >"$MQ_STATE/peers.log"
        run cfetch --network plain
        [[ $status -ne 0 ]]
        [[ $(mq_forwarding "$brp") == 0 ]]
        run cfetch --network masq
        assert_status 0
        [[ $output == "peer=$MQ_INSIDE" ]]
        [[ $(mq_forwarding "$brm") == 1 ]]
        # Only the masquerading container's request arrived, masqueraded.
        run cat "$MQ_STATE/peers.log"
        [[ $output == "$MQ_INSIDE" ]]

        # Apart: a server on each network; neither reaches the other's, nor
        # the default network's, by address.
        local srv="mkdir -p /srv && echo hi >/srv/index.html && exec httpd -f -p 80 -h /srv"
        containerctl run -d --name sp --network plain busybox sh -c "$srv" >/dev/null
        containerctl run -d --name sm --network masq busybox sh -c "$srv" >/dev/null
        containerctl run -d --name sd busybox sh -c "$srv" >/dev/null
        wait_until 10 state_is sp running
        wait_until 10 state_is sm running
        wait_until 10 state_is sd running
        local ap am ad
        ap=$(inspect_field sp .network.address) am=$(inspect_field sm .network.address)
        ad=$(inspect_field sd .network.address)
        # Each answers on its own network (the check below means something).
        wait_until 10 containerctl exec sm timeout 2 wget -Y off -qO- "http://$am/"
        wait_until 10 containerctl exec sp timeout 2 wget -Y off -qO- "http://$ap/"
        run containerctl exec sm timeout 3 wget -Y off -qO- "http://$ap/"
        [[ $status -ne 0 ]]
        run containerctl exec sm timeout 3 wget -Y off -qO- "http://$ad/"
        [[ $status -ne 0 ]]
        run containerctl exec sp timeout 3 wget -Y off -qO- "http://$am/"
        [[ $status -ne 0 ]]
        run containerctl exec sd timeout 3 wget -Y off -qO- "http://$am/"
        [[ $status -ne 0 ]]
        containerctl rm -f sp sm sd >/dev/null

        # Its rules go with the network.
        containerctl network rm masq
        wait_until 5 not mq_table_has "$subm.0/24"
        mq_table_has "ip saddr $CTL_SUBNET"
        containerctl network rm plain
}

@test "--masquerade refuses a bridge name nftables would not take literally" {
        run containerctl network create --subnet 10.79.1.0/24 --bridge 'mq*x' --masquerade wild
        [[ $status -ne 0 ]]
        [[ $output == *"masquerade"* ]]
        run containerctl network ls -q
        not grep -qx wild <<<"$output"
}

@test "after SIGKILL, the restarted daemon rebuilds its table: a planted stale rule goes" {
        local pid
        pid=$(cat "$TMP/daemon.pid")
        kill -KILL "$pid"
        wait_until 10 ctl_pid_gone "$pid"
        wait "$pid" 2>/dev/null || true
        rm -f "$TMP/daemon.pid"
        mq_in nft add rule ip "$MQ_TABLE" postrouting ip saddr 10.254.254.0/24 masquerade
        mq_table_has "10.254.254.0/24"
        mq_daemon_start
        wait_until 10 not mq_table_has "10.254.254.0/24"
        mq_table_has "ip saddr $CTL_SUBNET oifname != \"$CTL_BRIDGE\" masquerade"
        run cfetch
        assert_status 0
        [[ $output == "peer=$MQ_INSIDE" ]]
}

@test "masquerade = no: the restarted daemon removes its table and nothing gets out" {
        # A container keeps running across the restart on the default network.
        containerctl run -d --name keep busybox sleep 600 >/dev/null
        wait_until 10 state_is keep running
        printf 'masquerade = no\n' >"$TMP/containerctld.conf"
        ctl_daemon_stop
        mq_daemon_start
        wait_until 10 eval '[[ -z "$(mq_table)" ]]'
        wait_until 10 eval '[[ $(mq_forwarding "$CTL_BRIDGE") == 0 ]]'
        : >"$MQ_STATE/peers.log"
        run cfetch
        [[ $status -ne 0 ]]
        run containerctl exec keep timeout 3 wget -Y off -qO- "http://$MQ_OUTSIDE:$MQ_PORT/"
        [[ $status -ne 0 ]]
        [[ ! -s $MQ_STATE/peers.log ]]
        [[ $(containerctl network inspect bridge | jq -r 'if type == "array" then .[0] else . end | .masquerade') == false ]]
        containerctl rm -f keep >/dev/null
        # Back to the file's setting for any test after this one.
        printf 'masquerade = yes\n' >"$TMP/containerctld.conf"
        ctl_daemon_stop
        mq_daemon_start
        wait_until 10 mq_table_has "masquerade"
}
