#!/usr/bin/env bats
# API authorization (issue 7, scope 6) with real uids: users and groups made
# here (unique names, removed in teardown) call the daemon through setpriv.
# Admins (root, the admin group) may do everything; users (the user group)
# only reads and their own containers, always in their own user namespace,
# never privileged, on the host network, on a port below 1024 or with a
# bind from outside their home; anyone else is refused at connect.

load helpers

AUTHZ_SIZE=65536

setup_file() {
        local r
        r=$(ctl_random | cut -c1-6)
        AUTHZ_DIR=$(mktemp -d /tmp/ctlauthz.XXXXXX)
        chmod 0755 "$AUTHZ_DIR"
        # The build dir may be private (mktemp): the users get their own copy
        # of this build's client.
        mkdir -p "$AUTHZ_DIR/bin"
        install -m 0755 "$(command -v containerctl)" "$AUTHZ_DIR/bin/containerctl"
        AG=ctlga$r UG=ctlgu$r
        UA=ctlua$r UB=ctlub$r UN=ctlun$r UADM=ctlum$r
        export AUTHZ_DIR AG UG UA UB UN UADM
        groupadd "$AG"
        groupadd "$UG"
        # Homes below AUTHZ_DIR; -M: we make them ourselves.
        for u in "$UA" "$UB" "$UN" "$UADM"; do
                mkdir -p "$AUTHZ_DIR/home/$u"
        done
        useradd -M -N -d "$AUTHZ_DIR/home/$UA" -s /bin/sh -G "$UG" "$UA"
        useradd -M -N -d "$AUTHZ_DIR/home/$UB" -s /bin/sh -G "$UG" "$UB"
        useradd -M -N -d "$AUTHZ_DIR/home/$UN" -s /bin/sh "$UN"
        useradd -M -N -d "$AUTHZ_DIR/home/$UADM" -s /bin/sh -G "$AG" "$UADM"
        for u in "$UA" "$UB" "$UN" "$UADM"; do
                chown "$u" "$AUTHZ_DIR/home/$u"
        done
        printf 'containerctl:%d:%d\n' $(((1100 + RANDOM % 20000) * AUTHZ_SIZE)) $((8 * AUTHZ_SIZE)) \
                >"$AUTHZ_DIR/subuid"
        cp "$AUTHZ_DIR/subuid" "$AUTHZ_DIR/subgid"
        CTL_DAEMON_CONFIG="admin_group = $AG
user_group = $UG
subuid_file = $AUTHZ_DIR/subuid
subgid_file = $AUTHZ_DIR/subgid"
        export CTL_DAEMON_CONFIG
        ctl_setup_file
        # The socket is in our private dir: let the test users walk to it.
        chmod 0711 "$TMP"
}

teardown_file() {
        ctl_teardown_file
        local u
        for u in "$UA" "$UB" "$UN" "$UADM"; do
                userdel "$u" 2>/dev/null || true
        done
        groupdel "$AG" 2>/dev/null || true
        groupdel "$UG" 2>/dev/null || true
        rm -rf "$AUTHZ_DIR"
}

# as USER CONTAINERCTL-ARGS...: the client as USER with its groups.
as() {
        local u=$1
        shift
        setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups \
                env -i PATH=/usr/bin:/bin HOME="$AUTHZ_DIR/home/$u" CONTAINERCTL_SOCKET="$CTL_SOCK" \
                "$AUTHZ_DIR/bin/containerctl" "$@"
}

@test "the socket is 0660, group the user group" {
        [[ $(stat -c '%a %U %G' "$CTL_SOCK") == "660 root $UG" ]]
}

@test "anyone else: refused at connect with a message saying why" {
        run as "$UN" version
        assert_error
        [[ $output == *"permission denied"* && $output == *containerctl* ]]
        # With the socket open to all, the daemon itself refuses, naming
        # the uid and the groups.
        chmod 0666 "$CTL_SOCK"
        run as "$UN" ps
        chmod 0660 "$CTL_SOCK"
        assert_error
        [[ $output == *"uid $(id -u "$UN") may not use containerctld"* && $output == *"$UG"* ]]
}

@test "an admin-group member may do everything (ACL on the socket)" {
        run as "$UADM" image list
        assert_status 0
        [[ $output == *busybox* ]]
        run as "$UADM" network ls
        assert_status 0
        run as "$UADM" run --rm --network none busybox true
        assert_status 0
}

@test "a user reads, but images and networks are for admins" {
        run as "$UA" version
        assert_status 0
        run as "$UA" image list
        assert_status 0
        [[ $output == *busybox* ]]
        cp "$CTL_IMAGE_TAR" "$AUTHZ_DIR/home/$UA/image.tar"
        chmod 0644 "$AUTHZ_DIR/home/$UA/image.tar"
        run as "$UA" image import "$AUTHZ_DIR/home/$UA/image.tar" mine:1
        assert_error
        [[ $output == *"only administrators"* ]]
        run as "$UA" image rm busybox
        assert_error
        [[ $output == *"only administrators"* ]]
        run as "$UA" network create --subnet 10.251.7.0/24 n1
        assert_error
        [[ $output == *"only administrators"* ]]
}

@test "a user's event stream has only the user's own containers' events, and image events" {
        local since until a b
        since=$(date +%s.%N)
        as "$UA" run -d --network none --name ua-ev busybox sleep 600 >/dev/null
        as "$UB" run -d --network none --name ub-ev busybox sleep 600 >/dev/null
        containerctl run --rm --network none --name root-ev busybox true
        until=$(date +%s.%N)
        # The image import (setup_file) is before since: all of the ring.
        run as "$UA" events --since 0 --until "$until" --format json
        assert_status 0
        a=$output
        [[ $(jq -r --argjson t "${since/./}" 'select(.type == "container" and .time_ns >= $t) | .name' <<<"$a" | sort -u) == ua-ev ]]
        jq -se 'any(.[]; .type == "image" and .action == "import")' <<<"$a" >/dev/null
        [[ $(jq -r 'select(.type == "container") | .owner_uid' <<<"$a" | sort -u) == "$(id -u "$UA")" ]]
        run as "$UB" events --since "$since" --until "$until" --format json --filter type=container
        assert_status 0
        b=$output
        [[ $(jq -r .name <<<"$b" | sort -u) == ub-ev ]]
        # An administrator sees them all.
        run containerctl events --since "$since" --until "$until" --format json --filter type=container
        assert_status 0
        [[ $(jq -r .name <<<"$output" | sort -u | tr '\n' ' ') == "root-ev ua-ev ub-ev " ]]
        as "$UA" rm -f ua-ev >/dev/null
        as "$UB" rm -f ub-ev >/dev/null
}

@test "a user's container runs in its own user namespace, never as host root" {
        run as "$UA" run --rm --network none busybox cat /proc/self/uid_map
        assert_status 0
        local inside host
        read -r inside host _ <<<"$output"
        [[ $inside == 0 && $host != 0 ]]
        run as "$UA" run --rm --network none --userns host busybox true
        assert_error
        [[ $output == *"own user namespace"* ]]
}

@test "what a user may not ask for: privileged, host network, low ports, binds outside home" {
        run as "$UA" run --rm --privileged busybox true
        assert_error
        [[ $output == *"administrators only"* ]]
        run as "$UA" run --rm --network host busybox true
        assert_error
        [[ $output == *"administrators only"* ]]
        run as "$UA" run --rm -p 127.0.0.1:80:80 busybox true
        assert_error
        [[ $output == *"below 1024"* ]]
        run as "$UA" run --rm --network none -v /etc:/x busybox true
        assert_error
        [[ $output == *"outside your home"* ]]
        # A symlink in the home does not lead out of it.
        ln -s /etc "$AUTHZ_DIR/home/$UA/etc-link"
        run as "$UA" run --rm --network none -v "$AUTHZ_DIR/home/$UA/etc-link:/x" busybox true
        assert_error
        [[ $output == *"outside your home"* ]]
        # Nothing was created by any of these.
        run containerctl ps -a -q
        [[ -z $output ]]
        # Inside the home: fine.
        mkdir -p "$AUTHZ_DIR/home/$UA/data"
        chown "$UA" "$AUTHZ_DIR/home/$UA/data"
        run as "$UA" run --rm --network none -v "$AUTHZ_DIR/home/$UA/data:/data" busybox ls /data
        assert_status 0
}

@test "users see and manage only their own containers; admins see all" {
        run as "$UA" run -d --network none --name ua-c busybox sleep 600
        assert_status 0
        run as "$UA" ps
        [[ $output == *ua-c* ]]
        run as "$UB" ps -a
        assert_status 0
        [[ $output != *ua-c* ]]
        for cmd in "stop ua-c" "inspect ua-c" "exec ua-c true" "rm -f ua-c" "logs ua-c" "pause ua-c" "stats --no-stream ua-c"; do
                # shellcheck disable=SC2086
                run as "$UB" $cmd
                assert_error
                [[ $output == *"no such container"* ]] || { echo "$cmd: $output"; false; }
        done
        run containerctl ps
        [[ $output == *ua-c* ]]
        run as "$UA" stats --no-stream --json
        assert_status 0
        [[ $output == *ua-c* ]]
        run as "$UB" stats --no-stream --json
        [[ $output != *ua-c* ]]
        run as "$UA" rm -f ua-c
        assert_status 0
}

@test "state-changing requests are logged and their events carry the caller's uid" {
        local uid
        uid=$(id -u "$UA")
        run as "$UA" run -d --network none --name ua-log busybox sleep 600
        assert_status 0
        grep -q "uid=$uid .*container.create" "$TMP/daemon.log"
        run containerctl events --since 0 --until "$(date +%s.%N)" --filter container=ua-log --format json
        assert_status 0
        [[ $(jq -r 'select(.action == "create") | .uid' <<<"$output") == "$uid" ]]
        [[ $(jq -r 'select(.action == "start") | .uid' <<<"$output") == "$uid" ]]
        as "$UA" rm -f ua-log >/dev/null
}
