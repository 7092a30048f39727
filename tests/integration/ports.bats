#!/usr/bin/env bats
# Published ports (issue 5): -p at 127.0.0.1, at every address (reached
# at 127.0.0.1 and at the bridge address) and at the bridge address only,
# random host ports shown by inspect and ps, UDP, the relay surviving a
# daemon restart and dying with the container, a host port in use, and
# malformed specs and out-of-range ports through the CLI and the API. Only
# 127.0.0.1 and this file's bridge carry traffic.

load helpers
load net-helpers

rpc_one() {
        printf '%s\n' "$1" | rpc
}

# ports_json NAME: the published ports of a container as inspect shows them.
ports_json() {
        net_field "$1" ports
}

# The set of ports on our bridge, the netns files and our leases are empty:
# nothing of a refused container was made.
nothing_made() {
        [[ -z $(net_bridge_ports "$NET_BRIDGE") ]] || return 1
        [[ -z $(net_netns_files) ]] || return 1
        [[ $(net_members bridge) == 0 ]]
}

@test "-p 127.0.0.1:PORT:80: the host reaches the container; inspect and ps show it" {
        local hp
        hp=$(net_free_port tcp)
        net_httpd pub -p "127.0.0.1:$hp:80"
        net_wait_http "http://127.0.0.1:$hp/" pub
        [[ $(ports_json pub | jq -c '.[0] | [.host_ip, .host_port, .container_port, .protocol]') == "[\"127.0.0.1\",$hp,80,\"tcp\"]" ]]
        [[ $(ports_json pub | jq length) == 1 ]]
        run containerctl ps
        assert_status 0
        grep -qF "127.0.0.1:$hp->80/tcp" <<<"$output"
        run containerctl ps --json
        [[ $(jq -r '(if type == "array" then . else .containers end)[] | select(.name == "pub") | .ports[0].host_port' <<<"$output") == "$hp" ]]
        # Bound to loopback only.
        not tcp_open "$NET_GW" "$hp"
        # Many connections, some at once.
        local i pids=() ok=0
        for i in $(seq 20); do
                net_http_is "http://127.0.0.1:$hp/" pub
        done
        for i in $(seq 10); do
                hcurl -o "$BATS_TEST_TMPDIR/par.$i" "http://127.0.0.1:$hp/" &
                pids+=($!)
        done
        for i in "${pids[@]}"; do
                wait "$i" && ok=$((ok + 1))
        done
        [[ $ok == 10 ]]
        [[ $(cat "$BATS_TEST_TMPDIR"/par.* | sort -u) == hello-pub ]]
        # A larger reply goes through whole.
        containerctl exec pub sh -c 'head -c 3000000 /dev/urandom >/srv/big'
        [[ $(hcurl "http://127.0.0.1:$hp/big" | sha256sum) == $(containerctl exec pub sha256sum /srv/big | awk '{print $1}')"  -" ]]

        # Gone with the container; the port is free again.
        containerctl rm -f pub >/dev/null
        wait_until 5 not tcp_open 127.0.0.1 "$hp"
        net_httpd pub2 -p "127.0.0.1:$hp:80"
        net_wait_http "http://127.0.0.1:$hp/" pub2
}

@test "-p PORT:80 is reachable at 127.0.0.1 and at the bridge address; -p GW:PORT:80 only there" {
        local hp hp2
        hp=$(net_free_port tcp 0.0.0.0)
        net_httpd pall -p "$hp:80"
        [[ $(ports_json pall | jq -r '.[0].host_ip') == "" ]]
        net_wait_http "http://127.0.0.1:$hp/" pall
        net_wait_http "http://$NET_GW:$hp/" pall
        run containerctl ps
        grep -qF -- "$hp->80/tcp" <<<"$output"

        # The bridge exists now; a port bound to its address alone.
        hp2=$(net_free_port tcp "$NET_GW")
        net_httpd pgw -p "$NET_GW:$hp2:80"
        net_wait_http "http://$NET_GW:$hp2/" pgw
        not tcp_open 127.0.0.1 "$hp2"
        [[ $(ports_json pgw | jq -r '.[0].host_ip') == "$NET_GW" ]]
        # Another container on the network reaches the published port at the
        # gateway address, and the server directly.
        run cwget -- "http://$NET_GW:$hp2/"
        assert_status 0
        [[ $output == hello-pgw ]]
        run cwget -- "http://pgw/"
        [[ $output == hello-pgw ]]
}

@test "random host ports: -p 127.0.0.1::80 and -p 80; inspect shows the port chosen" {
        net_httpd r1 -p 127.0.0.1::80 -p "$NET_GW::80"
        local hp hp2
        hp=$(ports_json r1 | jq -r '.[] | select(.host_ip == "127.0.0.1") | .host_port')
        hp2=$(ports_json r1 | jq -r --arg gw "$NET_GW" '.[] | select(.host_ip == $gw) | .host_port')
        [[ $hp =~ ^[0-9]+$ && $hp -gt 0 && $hp2 =~ ^[0-9]+$ && $hp2 -gt 0 ]]
        net_wait_http "http://127.0.0.1:$hp/" r1
        net_wait_http "http://$NET_GW:$hp2/" r1
        run containerctl ps
        grep -qF "127.0.0.1:$hp->80/tcp" <<<"$output"

        net_httpd r2 -p 80
        hp=$(ports_json r2 | jq -r '.[0].host_port')
        [[ $hp =~ ^[0-9]+$ && $hp -gt 0 ]]
        [[ $(ports_json r2 | jq -r '.[0].container_port') == 80 ]]
        net_wait_http "http://127.0.0.1:$hp/" r2

        # A restart of the container may pick another port; inspect follows.
        containerctl stop -t 1 r2 >/dev/null
        containerctl start r2 >/dev/null
        wait_until 10 state_is r2 running
        hp=$(ports_json r2 | jq -r '.[0].host_port')
        [[ $hp -gt 0 ]]
        net_wait_http "http://127.0.0.1:$hp/" r2
}

@test "UDP: -p 127.0.0.1:PORT:5353/udp echoes; TCP and UDP on the same host port" {
        net_build_udpecho
        local hp
        hp=$(net_free_port udp)
        # The same number for TCP too (the UDP one was free; try TCP's).
        if ! python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$hp"; then
                skip "port $hp free for UDP but not for TCP"
        fi
        containerctl run -d --name u1 -v "$NET_STATE/bin:/netbin:ro" \
                -p "127.0.0.1:$hp:5353/udp" -p "127.0.0.1:$hp:80/tcp" busybox \
                sh -c 'mkdir -p /srv; echo hello-u1 >/srv/index.html; /netbin/udpecho 5353 & exec httpd -f -p 80 -h /srv' >/dev/null
        wait_until 10 state_is u1 running
        wait_until 10 udp_ask 127.0.0.1 "$hp" ping
        run udp_ask 127.0.0.1 "$hp" hello
        assert_status 0
        [[ $output == echo:hello ]]
        # Several clients at once each get their own replies.
        local i pids=()
        for i in 1 2 3 4 5; do
                udp_ask 127.0.0.1 "$hp" "client$i" >"$BATS_TEST_TMPDIR/u.$i" &
                pids+=($!)
        done
        for i in "${pids[@]}"; do
                wait "$i"
        done
        for i in 1 2 3 4 5; do
                [[ $(cat "$BATS_TEST_TMPDIR/u.$i") == "echo:client$i" ]]
        done
        [[ $(ports_json u1 | jq -r '[.[] | .protocol] | sort | join(",")') == tcp,udp ]]
        net_wait_http "http://127.0.0.1:$hp/" u1
        run containerctl ps
        grep -qF "127.0.0.1:$hp->5353/udp" <<<"$output"
        containerctl rm -f u1 >/dev/null
        run udp_ask 127.0.0.1 "$hp" gone
        [[ $status -ne 0 ]]
}

@test "published ports outlive a daemon restart (and the daemon's absence), and die with the container" {
        local hp
        hp=$(net_free_port tcp)
        net_httpd keep -p "127.0.0.1:$hp:80"
        net_wait_http "http://127.0.0.1:$hp/" keep
        ctl_daemon_stop
        # The relay lives in the container's monitor, not in the daemon.
        net_http_is "http://127.0.0.1:$hp/" keep
        net_daemon_start
        net_http_is "http://127.0.0.1:$hp/" keep
        [[ $(ports_json keep | jq -r '.[0].host_port') == "$hp" ]]
        containerctl stop -t 2 keep >/dev/null
        wait_until 5 not tcp_open 127.0.0.1 "$hp"
        containerctl start keep >/dev/null
        wait_until 10 state_is keep running
        net_wait_http "http://127.0.0.1:$hp/" keep
        containerctl rm -f keep >/dev/null
        wait_until 5 not tcp_open 127.0.0.1 "$hp"
}

@test "a host port in use is a clear error at start, and nothing is left half-made" {
        local hp id
        hp=$(net_hold_port tcp 127.0.0.1)
        run containerctl run -d --name busy -p "127.0.0.1:$hp:80" busybox \
                sh -c 'mkdir -p /srv && echo hello-busy >/srv/index.html && exec httpd -f -p 80 -h /srv'
        assert_error
        grep -qF "port 127.0.0.1:$hp/tcp is already in use" <<<"$output"
        id=$(net_id busy)
        [[ $(ctl_state busy) != running ]]
        not link_exists "$(net_veth_of busy)"
        [[ ! -e $CTL_RUN_ROOT/netns/$id ]]
        not net_has_lease "$id"
        nothing_made
        # Freed, the same container starts and serves.
        net_release_ports
        containerctl start busy >/dev/null
        wait_until 10 state_is busy running
        net_wait_http "http://127.0.0.1:$hp/" busy

        # Taken by another container.
        run containerctl run -d --name busy2 -p "127.0.0.1:$hp:80" busybox sleep 60
        assert_error
        grep -qF "port 127.0.0.1:$hp/tcp is already in use" <<<"$output"
        not link_exists "$(net_veth_of busy2)"
        not net_has_lease "$(net_id busy2)"
        net_http_is "http://127.0.0.1:$hp/" busy

        # UDP, and a second mapping in use after a first free one: the
        # first one's socket is closed again.
        local hu hf
        hu=$(net_hold_port udp 127.0.0.1)
        hf=$(net_free_port tcp)
        run containerctl run -d --name busy3 -p "127.0.0.1:$hf:80" -p "127.0.0.1:$hu:53/udp" busybox sleep 60
        assert_error
        grep -qF "port 127.0.0.1:$hu/udp is already in use" <<<"$output"
        not tcp_open 127.0.0.1 "$hf"
        python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$hf"
        not link_exists "$(net_veth_of busy3)"
        not net_has_lease "$(net_id busy3)"
}

@test "malformed -p specs and ports out of range are refused by the CLI, nothing created" {
        local s
        for s in abc 80: 1.2.3.4:80:80:80 8080:80/sctp 8080:80/ 127.0.0.1:8080:80/tcpx \
                999.1.1.1:8080:80 localhost:8080:80 70000:80 8080:0 8080:99999 8080:-1 0:0 \
                8080:80x x:80 ::1:8080:80 '' 8080::80 127.0.0.01:8080:80 ' 80' 65536; do
                run containerctl run -d -p "$s" busybox sleep 10
                assert_status 125
                [[ -z $s ]] || grep -qF -- "$s" <<<"$output"
        done
        run containerctl run -d -p 8080:99999 busybox sleep 10
        grep -qi 'range' <<<"$output"
        # Only bridge networks publish ports.
        for s in none host container:nope; do
                run containerctl run -d --network "$s" -p 127.0.0.1:8080:80 busybox sleep 10
                assert_status 125
        done
        [[ -z $(containerctl ps -a -q) ]]
        nothing_made
}

@test "malformed ports are invalid params in the API, nothing created" {
        local p
        for p in \
                '[{"host_ip":"127.0.0.1","host_port":70000,"container_port":80,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":8080,"container_port":0,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":-1,"container_port":80,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":8080,"container_port":80,"protocol":"sctp"}]' \
                '[{"host_ip":"abc","host_port":8080,"container_port":80,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":"8080","container_port":80,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":8080,"protocol":"tcp"}]' \
                '[{"host_ip":"127.0.0.1","host_port":8080,"container_port":80,"protocol":"tcp"},{"host_ip":"127.0.0.1","host_port":8080,"container_port":81,"protocol":"tcp"}]' \
                '"8080:80"' '[1]' '{}'; do
                run rpc_one '{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","command":["true"],"ports":'"$p"'}}'
                assert_status 0
                [[ $(jq -r .error.data.kind <<<"$output") == invalid_params ]] || {
                        echo "ports $p: $output" >&2
                        false
                }
        done
        for p in none host; do
                run rpc_one '{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","command":["true"],"network":"'"$p"'","ports":[{"host_ip":"127.0.0.1","host_port":8080,"container_port":80,"protocol":"tcp"}]}}'
                # The contract says invalid_params; "invalid" (well-formed but
                # not possible) is accepted too.
                [[ $(jq -r .error.data.kind <<<"$output") == invalid_params ||
                        $(jq -r .error.data.kind <<<"$output") == invalid ]] || {
                        echo "network $p with ports: $output" >&2
                        false
                }
        done
        run rpc_one '{"jsonrpc":"2.0","id":1,"method":"container.create","params":{"image":"busybox","command":["true"],"network":"no-such-net"}}'
        [[ $(jq -r .error.data.kind <<<"$output") == not_found ]]
        [[ -z $(containerctl ps -a -q) ]]
        nothing_made
}
