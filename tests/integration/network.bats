#!/usr/bin/env bats
# Networks (issue 5): the default bridge network (addresses, gateway, MAC,
# veth on the bridge), containers reaching each other by address and by
# name (hosts files kept current, aliases), the none, host and container:
# modes, user networks (create/ls/inspect/rm, rm refused while attached,
# isolation between networks), IPAM exhaustion and reuse, addresses never
# handed out twice across a restart, restart persistence, counters, and
# bad input. net-helpers.bash gives this file its own bridge and subnet and
# checks after every test that no veth, netns file, lease or bridge is left.

load helpers
load net-helpers

# hosts_has CONTENT ADDR NAME: a line of a hosts file maps ADDR to NAME.
hosts_has() {
        awk -v a="$2" -v n="$3" '$1 == a { for (i = 2; i <= NF; i++) if ($i == n) f = 1 } END { exit !f }' <<<"$1"
}

net_json() {
        containerctl network inspect "$1" | jq -c 'if type == "array" then .[0] else . end'
}

@test "default network: address, gateway, MAC, bridge and veth in inspect and in the container" {
        net_httpd web
        local id veth addr mac
        id=$(net_id web)
        veth=$(net_veth_of web)
        addr=$(net_addr web)
        [[ $(net_field web mode) == bridge ]]
        [[ $(net_field web network) == bridge ]]
        [[ $(net_field web bridge) == "$NET_BRIDGE" ]]
        [[ $addr == "$NET_BASE".* ]]
        ((${addr##*.} >= 2 && ${addr##*.} <= 254))
        [[ $(net_field web prefix) == 24 ]]
        [[ $(net_field web gateway) == "$NET_GW" ]]
        IFS=. read -r a b c d <<<"$addr"
        mac=$(printf '02:42:%02x:%02x:%02x:%02x' "$a" "$b" "$c" "$d")
        [[ $(net_field web mac) == "$mac" ]]
        [[ $(net_field web veth) == "$veth" ]]

        # The host side: the bridge with the gateway address, the veth on it,
        # the pinned namespace.
        [[ $(link_master "$veth") == "$NET_BRIDGE" ]]
        ip -d link show dev "$NET_BRIDGE" | grep -qw bridge
        [[ $(ip -j -4 addr show dev "$NET_BRIDGE" | jq -r '.[0].addr_info[] | "\(.local)/\(.prefixlen)"') == "$NET_GW/24" ]]
        [[ -e $CTL_RUN_ROOT/netns/$id ]]

        # The container side: eth0 with that address and MAC, default route.
        run containerctl exec web ip -4 addr show dev eth0
        assert_status 0
        grep -qF "inet $addr/24" <<<"$output"
        run containerctl exec web ip link show dev eth0
        grep -qF "link/ether $mac" <<<"$output"
        run containerctl exec web ip route
        grep -qE "^default via $NET_GW dev eth0" <<<"$output"
        run containerctl exec web /probe netdevs
        [[ $(sort <<<"$output" | tr '\n' ' ') == "netdev=eth0 netdev=lo " ]]

        # The host reaches it at its address, on the bridge.
        net_wait_http "http://$addr/" web

        # The default network is listed.
        run containerctl network ls --json
        assert_status 0
        local d
        d=$(jq -c '(if type == "array" then . else .networks end)[] | select(.name == "bridge")' <<<"$output")
        [[ $(jq -r .default <<<"$d") == true ]]
        [[ $(jq -r .subnet <<<"$d") == "$NET_SUBNET" ]]
        [[ $(jq -r .bridge <<<"$d") == "$NET_BRIDGE" ]]
        [[ $(jq -r .gateway <<<"$d") == "$NET_GW" ]]
        run containerctl network ls
        assert_status 0
        grep -qw bridge <<<"$output"

        # Stopped: no veth and no netns file, the address is kept for the
        # next start.
        # (Detached in a worker after the exit: allow a moment.)
        containerctl stop -t 2 web >/dev/null
        wait_until 10 not link_exists "$veth"
        wait_until 10 test ! -e "$CTL_RUN_ROOT/netns/$id"
        [[ $(net_field web address) == null ]]
        net_has_lease "$id"
        containerctl start web >/dev/null
        wait_until 10 state_is web running
        [[ $(net_addr web) == "$addr" ]]
        net_wait_http "http://$addr/" web
}

@test "containers reach each other by address and by name; hosts files follow the members" {
        net_httpd web
        local addr addr2
        addr=$(net_addr web)
        net_wait_http "http://$addr/" web

        run cwget -- "http://$addr/"
        assert_status 0
        [[ $output == hello-web ]]
        run cwget -- http://web/
        assert_status 0
        [[ $output == hello-web ]]

        # An alias is a name too, in every member's hosts file. web's hosts
        # file learned about web2 (and forgets it when it goes, below).
        net_httpd web2 --network-alias www
        addr2=$(net_addr web2)
        [[ $addr2 != "$addr" ]]
        # (Other members' files are rewritten after the start: allow a moment.
        # A new container's own file is complete when it starts.)
        wait_until 5 eval 'hosts_has "$(containerctl exec web cat /etc/hosts)" "$addr2" web2'
        run containerctl exec web cat /etc/hosts
        hosts_has "$output" "$addr" web
        hosts_has "$output" "$addr2" web2
        hosts_has "$output" "$addr2" www
        run containerctl run --rm busybox cat /etc/hosts
        hosts_has "$output" "$addr" web
        hosts_has "$output" "$addr2" web2
        hosts_has "$output" "$addr2" www
        run cwget -- http://www/
        assert_status 0
        [[ $output == hello-web2 ]]
        run cwget -- http://web2/
        [[ $output == hello-web2 ]]

        # web2 reaches web by name from its running container too.
        run containerctl exec web2 timeout 5 wget -Y off -qO- http://web/
        assert_status 0
        [[ $output == hello-web ]]

        containerctl rm -f web2 >/dev/null
        wait_until 5 eval 'not hosts_has "$(containerctl exec web cat /etc/hosts)" "$addr2" web2'
        # resolv.conf never points at a loopback resolver the namespace
        # cannot reach.
        run containerctl exec web cat /etc/resolv.conf
        not grep -qE '^nameserver[[:space:]]+127\.' <<<"$output"
}

@test "--network none: only lo, no address, no veth" {
        run containerctl run --rm --network none busybox /probe netdevs
        assert_status 0
        [[ $output == netdev=lo ]]
        containerctl run -d --name nn --network none busybox sleep 60 >/dev/null
        wait_until 10 state_is nn running
        net_veth_of nn >/dev/null
        [[ $(net_field nn mode) == none ]]
        [[ $(net_field nn address) == null ]]
        [[ $(net_field nn veth) == null ]]
        run containerctl exec nn ip -o link
        assert_status 0
        [[ $(wc -l <<<"$output") == 1 ]]
        grep -q ': lo:' <<<"$output"
        not link_exists "$(net_veth_of nn)"
        [[ -z $(net_netns_files) ]]
}

@test "--network host: the host's interfaces and namespace" {
        local before after seen hostns
        # Test files running at the same time add and remove their bridges
        # and veths (ctl*, vc*) at any moment: those are left out.
        before=$(net_host_netdevs | grep -v '^ctl\|^vc')
        run containerctl run --rm --network host busybox /probe netdevs ns
        assert_status 0
        after=$(net_host_netdevs | grep -v '^ctl\|^vc')
        seen=$(sed -n 's/^netdev=//p' <<<"$output" | grep -v '^ctl\|^vc' | sort)
        hostns=$(readlink /proc/self/ns/net)
        grep -qxF "ns_net=$hostns" <<<"$output"
        # Every interface the host had before and after was seen, and
        # nothing the host never had.
        [[ -z $(comm -23 <(comm -12 <(echo "$before") <(echo "$after")) <(echo "$seen")) ]]
        [[ -z $(comm -23 <(echo "$seen") <(sort -u <(echo "$before") <(echo "$after"))) ]]
        grep -qx lo <<<"$seen"
        [[ $(wc -l <<<"$seen") -ge 2 ]]

        containerctl run -d --name hh --network host busybox sleep 60 >/dev/null
        wait_until 10 state_is hh running
        net_veth_of hh >/dev/null
        [[ $(net_field hh mode) == host ]]
        [[ $(net_field hh address) == null ]]
        not link_exists "$(net_veth_of hh)"
}

@test "--network container:NAME shares that container's stack" {
        net_httpd web
        local webid
        webid=$(net_id web)
        net_wait_http "http://$(net_addr web)/" web
        run cwget --network container:web -- http://127.0.0.1/
        assert_status 0
        [[ $output == hello-web ]]

        containerctl run -d --name side --network container:web busybox sleep 60 >/dev/null
        wait_until 10 state_is side running
        [[ $(net_field side mode) == container ]]
        [[ $(net_field side container) == "$webid" ]]
        not link_exists "$(net_veth_of side)"
        [[ $(containerctl exec side /probe ns | grep '^ns_net=') == "$(containerctl exec web /probe ns | grep '^ns_net=')" ]]
        # By id too.
        run containerctl run --rm --network "container:${webid:0:12}" busybox /probe netdevs
        assert_status 0
        grep -qx netdev=eth0 <<<"$output"
}

@test "deferred teardown: a restart at once, many short-lived containers, a namespace still in use" {
        # Stopped and started again at once: its parked endpoint (same veth,
        # same pin) is removed before the new attach.
        net_httpd web
        local addr veth
        addr=$(net_addr web)
        veth=$(net_veth_of web)
        net_wait_http "http://$addr/" web
        containerctl stop -t 1 web >/dev/null
        containerctl start web >/dev/null
        wait_until 10 state_is web running
        [[ $(net_addr web) == "$addr" ]]
        [[ $(link_master "$veth") == "$NET_BRIDGE" ]]
        net_wait_http "http://$addr/" web

        # Back to back: each start finds the previous teardown parked.
        local i
        for i in 1 2 3 4 5 6; do
                run containerctl run --rm busybox /probe netdevs
                assert_status 0
                grep -qx netdev=eth0 <<<"$output"
        done

        # web exits while side still holds its namespace: the kernel will
        # not remove web's veth then, the batch deletes it itself.
        containerctl run -d --name side --network container:web busybox sleep 60 >/dev/null
        wait_until 10 state_is side running
        containerctl kill web >/dev/null
        wait_until 10 not state_is web running
        wait_until 10 not link_exists "$veth"
        containerctl rm -f side >/dev/null
        # (net_teardown checks that nothing else is left.)
}

@test "container:NAME of a stopped, exited or unknown container is refused" {
        containerctl create --name cre busybox true >/dev/null
        containerctl run --name ex busybox true >/dev/null || true
        local n
        for n in cre ex; do
                run containerctl run --rm --network "container:$n" busybox true
                assert_status 125
                grep -qi "container \`$n\` is not running\|$n.*not running" <<<"$output"
        done
        run containerctl run --rm --network container:no-such-ctr busybox true
        assert_status 125
        grep -q no-such-ctr <<<"$output"
        run containerctl create --name x1 --network container:cre busybox true
        assert_status 125
        # Nothing was created by the refused calls.
        [[ $(containerctl ps -a -q | wc -l) == 2 ]]
}

@test "network create, ls, inspect and rm; rm refused while a container is attached" {
        net_create backend
        local base=$NET_LAST_BASE br=$NET_LAST_BRIDGE j
        j=$(net_json backend)
        [[ $(jq -r .name <<<"$j") == backend ]]
        [[ $(jq -r .subnet <<<"$j") == "$base.0/24" ]]
        [[ $(jq -r .gateway <<<"$j") == "$base.1" ]]
        [[ $(jq -r .bridge <<<"$j") == "$br" ]]
        [[ $(jq -r .default <<<"$j") == false ]]
        [[ $(jq -r '.containers | length' <<<"$j") == 0 ]]
        [[ -n $(jq -r .created <<<"$j") ]]

        run containerctl network ls
        assert_status 0
        grep -qw backend <<<"$output"
        grep -qw bridge <<<"$output"
        run containerctl network ls -q
        grep -qx backend <<<"$output"

        run containerctl run --rm --network backend busybox ip -4 addr show dev eth0
        assert_status 0
        grep -qE "inet $base\.[0-9]+/24" <<<"$output"

        containerctl run -d --name b1 --network backend busybox sleep 60 >/dev/null
        wait_until 10 state_is b1 running
        local veth addr id
        veth=$(net_veth_of b1)
        id=$(net_id b1)
        addr=$(net_addr b1)
        [[ $addr == "$base".* ]]
        [[ $(net_field b1 network) == backend ]]
        [[ $(net_field b1 bridge) == "$br" ]]
        [[ $(net_field b1 gateway) == "$base.1" ]]
        [[ $(link_master "$veth") == "$br" ]]
        j=$(net_json backend)
        [[ $(jq -r '.containers | length' <<<"$j") == 1 ]]
        [[ $(jq -r '.containers[0].name' <<<"$j") == b1 ]]
        [[ $(jq -r '.containers[0].id' <<<"$j") == "$id" ]]
        [[ $(jq -r '.containers[0].address' <<<"$j") == "$addr" ]]
        [[ $(jq -r '.containers' <<<"$(containerctl network ls --json | jq -c '(if type == "array" then . else .networks end)[] | select(.name == "backend")')") == 1 ]]

        # Attached (running, then stopped: the lease stays): rm refused.
        run containerctl network rm backend
        assert_error
        grep -qi 'b1\|in use\|attached\|container' <<<"$output"
        containerctl stop -t 1 b1 >/dev/null
        run containerctl network rm backend
        assert_error
        link_exists "$br"
        containerctl rm b1 >/dev/null
        # Its lease may still wait for the teardown batch: not a member.
        [[ $(containerctl network ls --json | jq -r '(if type == "array" then . else .networks end)[] | select(.name == "backend") | .containers') == 0 ]]

        run containerctl network rm backend
        assert_status 0
        echo "$br" >>"$NET_STATE/removed-bridges"
        not link_exists "$br"
        [[ ! -e $TMP/root/networks/backend.json && ! -e $TMP/root/networks/backend.ipam.json ]]
        run containerctl network ls -q
        not grep -qx backend <<<"$output"
        run containerctl network inspect backend
        assert_error
        grep -q backend <<<"$output"
        run containerctl run --rm --network backend busybox true
        assert_status 125
}

@test "network create: default bridge name ctl-NAME, and a bridge taken by another network" {
        local r n1 n2 base
        r=$(ctl_random | cut -c1-4)
        n1=nt$r
        base=$(net_pick_subnet)
        echo "ctl-$n1" >>"$NET_STATE/bridges"
        run containerctl network create --subnet "$base.0/24" "$n1"
        assert_status 0
        [[ $(net_json "$n1" | jq -r .bridge) == "ctl-$n1" ]]
        run containerctl run --rm --network "$n1" busybox true
        assert_status 0
        ip -d link show dev "ctl-$n1" | grep -qw bridge

        # Long names are cut to 15 characters: two such names share a bridge
        # name, and the second is refused (naming --bridge).
        n1=nl${r}zzzzzzzzz1
        n2=nl${r}zzzzzzzzz2
        echo "ctl-nl${r}zzzzz" >>"$NET_STATE/bridges"
        run containerctl network create --subnet "$(net_pick_subnet).0/24" "$n1"
        assert_status 0
        [[ $(net_json "$n1" | jq -r .bridge) == "ctl-nl${r}zzzzz" ]]
        run containerctl network create --subnet "$(net_pick_subnet).0/24" "$n2"
        assert_error
        grep -qi 'bridge' <<<"$output"
        run containerctl network inspect "$n2"
        assert_error
}

@test "two user networks are isolated from each other" {
        net_create neta
        net_create netb
        net_httpd wa --network neta
        net_httpd wb --network netb
        local aa ab
        aa=$(net_addr wa)
        ab=$(net_addr wb)
        net_wait_http "http://$aa/" wa
        net_wait_http "http://$ab/" wb

        run cwget --network neta -- http://wa/
        assert_status 0
        [[ $output == hello-wa ]]
        run cwget --network netb -- "http://$ab/"
        [[ $output == hello-wb ]]

        CWGET_TIMEOUT=2
        run cwget --network netb -- "http://$aa/"
        [[ $status -ne 0 && $output != hello-wa ]]
        run cwget --network neta -- "http://$ab/"
        [[ $status -ne 0 && $output != hello-wb ]]
        # Nor can the default network reach either.
        run cwget -- "http://$aa/"
        [[ $status -ne 0 && $output != hello-wa ]]
        # The hosts files list only their own network's members. (Not
        # tried with wget: an unknown name would go to the host's DNS.)
        run containerctl exec wa cat /etc/hosts
        grep -qw wa <<<"$output"
        not grep -qw wb <<<"$output"
        run containerctl exec wb cat /etc/hosts
        not grep -qw wa <<<"$output"
}

@test "IPAM: a full /29 is a clear error, nothing half-made, the address is reused after rm" {
        net_create small 29
        local base=$NET_LAST_BASE i addrs=() id6
        for i in 1 2 3 4 5; do
                containerctl run -d --name "s$i" --network small busybox sleep 60 >/dev/null
        done
        for i in 1 2 3 4 5; do
                wait_until 10 state_is "s$i" running
                addrs+=("$(net_addr "s$i")")
        done
        [[ $(printf '%s\n' "${addrs[@]}" | sort -u | wc -l) == 5 ]]
        for i in "${addrs[@]}"; do
                [[ $i == "$base".[2-6] ]]
        done
        [[ $(net_members small) == 5 ]]

        run containerctl run -d --name s6 --network small busybox sleep 60
        assert_error
        grep -qF "network \`small\` has no free address in $base.0/29" <<<"$output"
        # s6 was created but did not start: no veth, no netns, no lease.
        id6=$(net_id s6)
        [[ $(ctl_state s6) != running ]]
        not link_exists "$(net_veth_of s6)"
        [[ ! -e $CTL_RUN_ROOT/netns/$id6 ]]
        not net_has_lease "$id6"
        [[ $(net_members small) == 5 ]]
        [[ $(net_bridge_ports "$NET_LAST_BRIDGE" | wc -l) == 5 ]]
        # Its monitor, spawned while the network was being made
        # (--wait-network), left without making a container or a cgroup.
        wait_until 5 eval '[[ -z $(ps -eo args | grep -F -- "--id $id6" | grep -v grep) ]]'
        [[ -z $(ctl_our_cgroups | grep -F "$id6") ]]

        local freed
        freed=$(net_addr s3)
        containerctl rm -f s3 >/dev/null
        containerctl start s6 >/dev/null
        wait_until 10 state_is s6 running
        [[ $(net_addr s6) == "$freed" ]]
        [[ $(net_members small) == 5 ]]
}

@test "a record whose config.json lacks the netns path (an older daemon's) gets it before the monitor reads it" {
        local id cfg
        containerctl create --name oldspec busybox sleep 60 >/dev/null
        id=$(net_id oldspec)
        cfg=$TMP/root/containers/$id/bundle/config.json
        [[ $(jq -r '.linux.namespaces[] | select(.type == "network") | .path' "$cfg") == "$CTL_RUN_ROOT/netns/$id" ]]
        jq '(.linux.namespaces[] | select(.type == "network")) |= del(.path)' "$cfg" >"$cfg.new"
        mv "$cfg.new" "$cfg"
        # A restart: the daemon has not checked this record's config.json yet.
        ctl_daemon_restart
        containerctl start oldspec >/dev/null
        wait_until 10 state_is oldspec running
        [[ $(jq -r '.linux.namespaces[] | select(.type == "network") | .path' "$cfg") == "$CTL_RUN_ROOT/netns/$id" ]]
        [[ $(containerctl exec oldspec cat /sys/class/net/eth0/operstate) == up ]]
        containerctl rm -f oldspec >/dev/null
}

@test "addresses are not handed out twice, also across a daemon restart" {
        net_create cyc 28
        local used=() a
        containerctl run -d --name c1 --network cyc busybox sleep 60 >/dev/null
        wait_until 10 state_is c1 running
        used+=("$(net_addr c1)")
        containerctl rm -f c1 >/dev/null
        containerctl run -d --name c2 --network cyc busybox sleep 60 >/dev/null
        wait_until 10 state_is c2 running
        a=$(net_addr c2)
        [[ " ${used[*]} " != *" $a "* ]]
        used+=("$a")
        containerctl run -d --name d1 busybox sleep 60 >/dev/null
        wait_until 10 state_is d1 running
        local d1
        d1=$(net_addr d1)
        containerctl rm -f d1 >/dev/null

        ctl_daemon_restart
        containerctl run -d --name c3 --network cyc busybox sleep 60 >/dev/null
        wait_until 10 state_is c3 running
        a=$(net_addr c3)
        [[ " ${used[*]} " != *" $a "* ]]
        [[ $(net_addr c2) == "${used[1]}" ]]
        containerctl run -d --name d2 busybox sleep 60 >/dev/null
        wait_until 10 state_is d2 running
        [[ $(net_addr d2) != "$d1" ]]
}

@test "networks and running containers survive a daemon restart" {
        net_create persist
        local base=$NET_LAST_BASE br=$NET_LAST_BRIDGE
        net_httpd p1 --network persist
        net_httpd p2
        local a1 a2 v1 v2
        a1=$(net_addr p1)
        a2=$(net_addr p2)
        v1=$(net_veth_of p1)
        v2=$(net_veth_of p2)
        net_wait_http "http://$a1/" p1

        ctl_daemon_restart
        run containerctl network ls -q
        grep -qx persist <<<"$output"
        [[ $(net_json persist | jq -r .subnet) == "$base.0/24" ]]
        [[ $(net_json persist | jq -r .bridge) == "$br" ]]
        [[ $(net_addr p1) == "$a1" ]]
        [[ $(net_addr p2) == "$a2" ]]
        [[ $(net_field p1 veth) == "$v1" ]]
        [[ $(link_master "$v1") == "$br" ]]
        [[ $(link_master "$v2") == "$NET_BRIDGE" ]]
        net_wait_http "http://$a1/" p1
        net_wait_http "http://$a2/" p2
        run cwget --network persist -- http://p1/
        assert_status 0
        [[ $output == hello-p1 ]]
        run cwget -- http://p2/
        [[ $output == hello-p2 ]]
        # A new member after the restart appears in the old member's hosts.
        containerctl run -d --name p3 --network persist busybox sleep 60 >/dev/null
        wait_until 10 state_is p3 running
        [[ $(net_addr p3) != "$a1" ]]
        wait_until 5 eval 'hosts_has "$(containerctl exec p1 cat /etc/hosts)" "$(net_addr p3)" p3'
        # Stop and start after the restart: the veth goes, the address stays.
        containerctl stop -t 2 p1 >/dev/null
        wait_until 10 not link_exists "$v1"
        containerctl start p1 >/dev/null
        wait_until 10 state_is p1 running
        [[ $(net_addr p1) == "$a1" ]]
        net_wait_http "http://$a1/" p1
}

@test "inspect counters: rx/tx bytes and packets move with traffic" {
        net_httpd web
        local addr c0 c1 k
        addr=$(net_addr web)
        net_wait_http "http://$addr/" web
        c0=$(net_field web counters)
        for k in rx_bytes rx_packets tx_bytes tx_packets; do
                [[ $(jq -r ".$k" <<<"$c0") =~ ^[0-9]+$ ]]
        done
        for k in 1 2 3 4 5; do
                hcurl "http://$addr/" >/dev/null
        done
        c1=$(net_field web counters)
        # The container received the requests and sent the replies.
        (($(jq -r .rx_bytes <<<"$c1") > $(jq -r .rx_bytes <<<"$c0") + 5 * 60))
        (($(jq -r .tx_bytes <<<"$c1") > $(jq -r .tx_bytes <<<"$c0") + 5 * 60))
        (($(jq -r .rx_packets <<<"$c1") >= $(jq -r .rx_packets <<<"$c0") + 10))
        (($(jq -r .tx_packets <<<"$c1") >= $(jq -r .tx_packets <<<"$c0") + 10))
        containerctl run -d --name nn --network none busybox sleep 60 >/dev/null
        wait_until 10 state_is nn running
        [[ $(net_field nn counters) == null ]]
}

@test "bad input: unknown network, bad subnets, overlaps, taken names, the default network" {
        # Unknown network: refused at create, nothing created.
        run containerctl run --rm --network no-such-net busybox true
        assert_status 125
        grep -qF 'no such network `no-such-net`' <<<"$output"
        run containerctl create --name u1 --network no-such-net busybox true
        assert_status 125
        [[ -z $(containerctl ps -a -q) ]]

        local base br
        base=$(net_pick_subnet)
        br=$(net_pick_ifname ctlu)
        echo "$br" >>"$NET_STATE/bridges"
        # Not a network address.
        run containerctl network create --subnet "$base.5/24" --bridge "$br" bad1
        assert_error
        grep -qF "$base.5/24 is not a network address" <<<"$output"
        grep -qF "$base.0/24" <<<"$output"
        not link_exists "$br"
        # Prefixes a network cannot have, and junk.
        local s
        for s in "$base.0/31" "$base.0/32" "10.0.0.0/7" "$base.0" "$base.0/" "$base.0/33" \
                "$base.256/24" "x.y.z.0/24" "127.0.0.0/24" "169.254.0.0/24" "224.0.0.0/24"; do
                run containerctl network create --subnet "$s" --bridge "$br" bad2
                assert_error
                not link_exists "$br"
        done
        run containerctl network create --bridge "$br" bad3
        assert_error
        run containerctl network ls -q
        not grep -q '^bad' <<<"$output"

        # Overlaps with the daemon's networks.
        net_create ov1
        local ovbase=$NET_LAST_BASE ovbr=$NET_LAST_BRIDGE
        run containerctl network create --subnet "$ovbase.128/25" --bridge "$br" ov2
        assert_error
        grep -qi overlap <<<"$output"
        run containerctl network create --subnet "$NET_SUBNET" --bridge "$br" ov3
        assert_error
        grep -qi overlap <<<"$output"
        not link_exists "$br"
        # With an address of a host interface (a bridge this test makes).
        local hb hbase
        hb=$(net_pick_ifname ctlh)
        hbase=$(net_pick_subnet)
        net_own_link "$hb"
        ip link add "$hb" type bridge
        ip addr add "$hbase.1/24" dev "$hb"
        run containerctl network create --subnet "$hbase.0/24" --bridge "$br" ov4
        local st=$status out=$output
        run containerctl network create --subnet "$hbase.64/26" --bridge "$br" ov5
        local st5=$status out5=$output
        [[ $(ip -j -4 addr show dev "$hb" | jq -r '.[0].addr_info[0].local') == "$hbase.1" ]]
        ip link del "$hb"
        [[ $st -ne 0 ]]
        grep -qi overlap <<<"$out"
        grep -q "$hb\|$hbase" <<<"$out"
        [[ $st5 -ne 0 ]]
        grep -qi overlap <<<"$out5"
        not link_exists "$br"

        # Names: taken, invalid; bridge names: another network's, a link
        # that is not a bridge (a veth pair this test makes).
        run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge "$br" ov1
        assert_error
        grep -qi 'ov1' <<<"$output"
        run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge "$ovbr" ov6
        assert_error
        grep -qF "$ovbr" <<<"$output"
        local vp vq
        vp=$(net_pick_ifname ctlv)
        vq=$(net_pick_ifname ctlw)
        net_own_link "$vp"
        ip link add "$vp" type veth peer name "$vq"
        run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge "$vp" ov7
        st=$status out=$output
        ip -d link show dev "$vp" | grep -qw veth
        ip link del "$vp"
        [[ $st -ne 0 ]]
        grep -qF "$vp" <<<"$out"
        for s in 'a/b' '-x' 'sp ace' '' 'none' 'host' 'bridge' "$(printf 'n%.0s' {1..200})"; do
                run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge "$br" "$s"
                assert_error
        done
        run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge 'bad/name' ov8
        assert_error
        run containerctl network create --subnet "$(net_pick_subnet).0/24" --bridge 'abcdefghijklmnop' ov9
        assert_error
        not link_exists "$br"
        run containerctl network ls -q
        [[ $(grep -c . <<<"$output") == 2 ]]

        # The default network cannot be removed; unknown ones are not found.
        run containerctl network rm bridge
        assert_error
        grep -qi 'default\|bridge' <<<"$output"
        run containerctl network ls -q
        grep -qx bridge <<<"$output"
        run containerctl network rm no-such-net
        assert_error
        grep -q no-such-net <<<"$output"
        run containerctl network inspect no-such-net
        assert_error
}
