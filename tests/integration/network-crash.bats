#!/usr/bin/env bats
# Crash reconciliation of networking (issue 5, scope 7): the daemon is
# killed with SIGKILL while containers run; meanwhile one container exits
# and another is removed by hand (its processes killed, its record
# deleted), and leftovers of an attach that never finished are planted on
# the file's bridge. The next start keeps the running containers (same
# address, reachable, published ports working), removes the veth and netns
# file of the exited one (its lease stays until rm) and every trace of the
# removed one and of the planted leftovers, and leaves links that are not
# its own alone. A second test kills the daemon at moments during parallel
# starts and checks that nothing is half-made after the restart.

load helpers
load net-helpers

kill_daemon() {
        local pid
        pid=$(cat "$TMP/daemon.pid")
        kill -KILL "$pid"
        wait_until 10 ctl_pid_gone "$pid"
        wait "$pid" 2>/dev/null || true
        rm -f "$TMP/daemon.pid"
}

restart_daemon() {
        net_daemon_start
        disown "$CTL_DAEMON_PID" 2>/dev/null || true
}

sleep_ms() {
        sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# Removes container $1 behind the daemon's back (the daemon is not
# running): kills its init and monitor, unmounts and deletes its state
# dirs and its cgroup. Its veth, netns file and lease stay for the daemon
# to find. Everything touched is this file's own.
remove_by_hand() {
        local id=$1 init=$2 mon=$3 cg=$4 d m h
        kill -KILL "$init" 2>/dev/null || true
        wait_until 5 ctl_pid_gone "$init"
        kill -KILL "$mon" 2>/dev/null || true
        wait_until 5 ctl_pid_gone "$mon"
        for d in "$TMP/root/containers/$id" "$CTL_RUN_ROOT/containers/$id"; do
                for m in $(grep -F " $d/" /proc/self/mountinfo | awk '{print $5}' | sort -r); do
                        umount -l "$m"
                done
                rm -rf --one-file-system "$d"
        done
        [[ -n $cg && $cg != null ]] || return 0
        for h in $(ctl_cgroup_roots); do
                [[ -d $h${cg#/} ]] || continue
                find "$h${cg#/}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
        done
}

# Invariants after a restart: every running container has its veth on its
# bridge and its netns file, every other container has neither, every
# netns file and every port of our bridges belongs to a running container,
# and every lease to an existing container.
net_consistent() {
        local id st veth running_veths=" " ids=" " f v b
        for id in $(containerctl ps -a -q); do
                ids+="$id "
                st=$(ctl_state "$id")
                veth=vc${id:0:10}
                echo "$veth" >>"$NET_STATE/veths"
                if [[ $st == running ]]; then
                        running_veths+="$veth "
                        link_exists "$veth" || { echo "running $id has no veth"; return 1; }
                        ls "$CTL_RUN_ROOT/netns/" | grep -q "^${id}" || { echo "running $id has no netns file"; return 1; }
                        [[ $(net_addr "$id") == 10.* ]] || { echo "running $id has no address"; return 1; }
                else
                        link_exists "$veth" && { echo "stopped $id has a veth"; return 1; }
                fi
        done
        for f in $(net_netns_files); do
                [[ $running_veths == *" vc${f:0:10} "* ]] || { echo "netns file $f of no running container"; return 1; }
        done
        for b in $(sort -u "$NET_STATE/bridges"); do
                for v in $(net_bridge_ports "$b"); do
                        [[ $running_veths == *" $v "* ]] || { echo "port $v on $b of no running container"; return 1; }
                done
        done
        for f in $(net_ipam_files); do
                for id in $(grep -oE '[0-9a-f]{64}' "$f" | sort -u); do
                        [[ $ids == *" ${id:0:12} "* ]] || { echo "lease of $id in $f"; return 1; }
                done
        done
        return 0
}

# The daemon is killed on purpose here: disowned, bash does not print a
# "Killed" job report for it.
setup_file() {
        net_setup_file
        disown "$CTL_DAEMON_PID" 2>/dev/null || true
}

# A test that failed between a kill and the restart leaves no daemon.
setup() {
        net_daemon_alive || restart_daemon
}

@test "SIGKILL: running containers keep addresses and ports; leftovers of exited, removed and half-made ones go" {
        net_create crashnet
        local cbase=$NET_LAST_BASE cbr=$NET_LAST_BRIDGE hp
        hp=$(net_free_port tcp)
        net_httpd live -p "127.0.0.1:$hp:80"
        net_httpd live2 --network crashnet
        containerctl run -d --name exits busybox sleep 600 >/dev/null
        containerctl run -d --name gone --network crashnet busybox sleep 600 >/dev/null
        wait_until 10 state_is exits running
        wait_until 10 state_is gone running
        local a_live a_live2 a_exits id_exits id_gone v_exits v_gone init_exits init_gone mon_gone cg_gone
        a_live=$(net_addr live)
        a_live2=$(net_addr live2)
        a_exits=$(net_addr exits)
        id_exits=$(net_id exits)
        id_gone=$(net_id gone)
        v_exits=$(net_veth_of exits)
        v_gone=$(net_veth_of gone)
        net_veth_of live >/dev/null
        net_veth_of live2 >/dev/null
        init_exits=$(inspect_field exits .state.pid)
        init_gone=$(inspect_field gone .state.pid)
        mon_gone=$(ctl_monitor_pid gone)
        cg_gone=$(inspect_field gone '.cgroup | if type == "object" then .path else . end')
        net_wait_http "http://127.0.0.1:$hp/" live
        net_wait_http "http://$a_live2/" live2
        net_has_lease "$id_gone"

        # Leftovers of an attach the crash interrupted, planted on our
        # bridge: a veth named like ours and a netns file; and a veth named
        # like ours that is not on any of our bridges (another daemon's):
        # it must be left alone.
        local fake fake_peer foreign foreign_peer
        fake=vc$(ctl_random | cut -c1-8)ab
        fake_peer=$(net_pick_ifname ctlp)
        foreign=vc$(ctl_random | cut -c1-8)cd
        foreign_peer=$(net_pick_ifname ctlq)
        echo "$fake" >>"$NET_STATE/veths"
        net_own_link "$fake"
        net_own_link "$foreign"
        kill_daemon
        ip link add "$fake" type veth peer name "$fake_peer"
        ip link set "$fake" master "$NET_BRIDGE" up
        ip link add "$foreign" type veth peer name "$foreign_peer"
        local fakeid
        fakeid=$(ctl_random)$(ctl_random)$(ctl_random)
        touch "$CTL_RUN_ROOT/netns/$fakeid"

        # Meanwhile: one container exits, one is removed by hand.
        kill -KILL "$init_exits"
        wait_until 5 ctl_pid_gone "$init_exits"
        remove_by_hand "$id_gone" "$init_gone" "$mon_gone" "$cg_gone"
        # The relay of `live` keeps working without a daemon.
        net_http_is "http://127.0.0.1:$hp/" live

        restart_daemon
        wait_until 10 eval "not link_exists $v_gone"
        wait_until 10 eval "not link_exists $v_exits"
        wait_until 10 eval "not link_exists $fake"
        link_exists "$foreign"
        wait_until 10 test ! -e "$CTL_RUN_ROOT/netns/$id_gone"
        wait_until 10 test ! -e "$CTL_RUN_ROOT/netns/$id_exits"
        wait_until 10 test ! -e "$CTL_RUN_ROOT/netns/$fakeid"
        wait_until 10 not net_has_lease "$id_gone"
        # The exited container keeps its address for its next start.
        net_has_lease "$id_exits"
        [[ $(ctl_state exits) == exited ]]
        run containerctl inspect gone
        assert_error
        [[ $(net_members crashnet) == 1 ]]

        # The running ones are as they were.
        [[ $(net_addr live) == "$a_live" ]]
        [[ $(net_addr live2) == "$a_live2" ]]
        [[ $(link_master "$(net_veth_of live2)") == "$cbr" ]]
        net_http_is "http://127.0.0.1:$hp/" live
        net_http_is "http://$a_live2/" live2
        run cwget --network crashnet -- http://live2/
        assert_status 0
        [[ $output == hello-live2 ]]
        # A container that just exited (cwget) leaves its netns to the
        # teardown batch (0.5 s after the last attach): a bounded wait.
        wait_until 10 eval 'net_consistent >/dev/null' || true
        run net_consistent
        [[ $status -eq 0 ]] || { echo "$output" >&2; false; }

        # The exited one starts again with its address; a new container on
        # crashnet gets an address of its own.
        containerctl start exits >/dev/null
        wait_until 10 state_is exits running
        [[ $(net_addr exits) == "$a_exits" ]]
        containerctl run -d --name new --network crashnet busybox sleep 60 >/dev/null
        wait_until 10 state_is new running
        [[ $(net_addr new) != "$a_live2" ]]
        [[ $(net_addr new) == "$cbase".* ]]
        # A container that just exited (cwget) leaves its netns to the
        # teardown batch (0.5 s after the last attach): a bounded wait.
        wait_until 10 eval 'net_consistent >/dev/null' || true
        run net_consistent
        [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
}

@test "SIGKILL during parallel starts: after the restart nothing is half-made" {
        # How long a start takes here, to spread the kills over it.
        local t0 t1 dur i k n=0 pids=()
        t0=$(now_ms)
        containerctl run -d --name probe0 busybox sleep 60 >/dev/null
        t1=$(now_ms)
        dur=$((t1 - t0))
        ((dur > 20)) || dur=20
        containerctl rm -f probe0 >/dev/null
        for k in 10 30 60 100 200 400; do
                pids=()
                for i in 1 2 3; do
                        containerctl run -d --name "k$n-$i" busybox sleep 600 >/dev/null 2>&1 &
                        pids+=($!)
                done
                sleep_ms $((dur * k / 100))
                kill_daemon
                for i in "${pids[@]}"; do
                        wait "$i" 2>/dev/null || true
                done
                restart_daemon
                wait_until 10 eval 'net_consistent >/dev/null'
                n=$((n + 1))
        done
        # Every container can be started (or runs) and then removed.
        for i in $(containerctl ps -a -q); do
                if [[ $(ctl_state "$i") != running ]]; then
                        containerctl start "$i" >/dev/null
                        wait_until 10 state_is "$i" running
                fi
        done
        # A container that just exited (cwget) leaves its netns to the
        # teardown batch (0.5 s after the last attach): a bounded wait.
        wait_until 10 eval 'net_consistent >/dev/null' || true
        run net_consistent
        [[ $status -eq 0 ]] || { echo "$output" >&2; false; }
        local addrs
        addrs=$(for i in $(containerctl ps -q); do net_addr "$i"; done)
        [[ $(sort <<<"$addrs" | uniq -d) == "" ]]
}
