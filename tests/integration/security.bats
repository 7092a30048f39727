#!/usr/bin/env bats
# Security options (issue 7): capabilities seen in /proc/self/status,
# seccomp profiles (default, unconfined, custom, malformed), no_new_privs,
# --read-only with --tmpfs, --privileged, and what inspect and info show.
# The breakout probes themselves are in breakout.bats.

load helpers

# Capability masks as /proc/self/status prints them.
# Docker's default set without MKNOD: CHOWN DAC_OVERRIDE FOWNER FSETID KILL
# SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT AUDIT_WRITE SETFCAP.
DEFAULT_CAPS=00000000a00425fb
NET_BIND_SERVICE=0000000000000400
NONE=0000000000000000

@test "default: Docker's capabilities without MKNOD, no_new_privs, seccomp filter" {
        run containerctl run --rm busybox /probe caps nnp seccomp
        assert_status 0
        assert_line_eq "CapEff=$DEFAULT_CAPS"
        assert_line_eq "CapPrm=$DEFAULT_CAPS"
        assert_line_eq "CapBnd=$DEFAULT_CAPS"
        assert_line_eq "CapInh=$NONE"
        assert_line_eq "CapAmb=$NONE"
        assert_line_eq "NoNewPrivs=1"
        assert_line_eq "Seccomp=2"
}

@test "--cap-drop ALL --cap-add NET_BIND_SERVICE: exactly that one capability" {
        run containerctl run --rm --cap-drop ALL --cap-add NET_BIND_SERVICE busybox /probe caps
        assert_status 0
        assert_line_eq "CapEff=$NET_BIND_SERVICE"
        assert_line_eq "CapPrm=$NET_BIND_SERVICE"
        assert_line_eq "CapBnd=$NET_BIND_SERVICE"
        assert_line_eq "CapAmb=$NONE"
}

@test "--cap-add and --cap-drop take any case, with or without CAP_" {
        # + SYS_TIME (bit 25), + NET_ADMIN (bit 12), - CHOWN (bit 0), - KILL (bit 5)
        run containerctl run --rm --cap-add sys_time --cap-add CAP_NET_ADMIN --cap-drop Cap_Chown \
                --cap-drop kill busybox /probe caps
        assert_status 0
        assert_line_eq "CapEff=00000000a20435da"
        assert_line_eq "CapBnd=00000000a20435da"
}

@test "a non-root user keeps only the bounding set" {
        run containerctl run --rm --user 65534 --cap-add NET_ADMIN busybox /probe caps
        assert_status 0
        assert_line_eq "CapEff=$NONE"
        assert_line_eq "CapPrm=$NONE"
        assert_line_eq "CapBnd=00000000a00435fb"
}

@test "an unknown capability is a clear error and creates nothing" {
        run containerctl run --rm --name sec-badcap --cap-add NET_FLY busybox true
        assert_error
        [[ $output == *"unknown capability"*"CAP_NET_FLY"* ]] || { echo "$output" >&2; false; }
        run containerctl run --rm --cap-drop 'net admin' busybox true
        assert_error
        [[ $output == *"--cap-drop"*"not a capability name"* ]] || { echo "$output" >&2; false; }
        run containerctl inspect sec-badcap
        assert_error
}

@test "a custom seccomp profile returns EPERM for mkdir inside the container" {
        cat >"$TMP/no-mkdir.json" <<'EOF'
{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    { "names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 }
  ]
}
EOF
        run containerctl run --rm --security-opt seccomp="$TMP/no-mkdir.json" busybox \
                sh -c 'mkdir /tmp/d; echo rc=$?; touch /tmp/f && echo touch=ok; /probe seccomp'
        assert_status 0
        [[ $output == *"Operation not permitted"* ]] || { echo "$output" >&2; false; }
        assert_line_eq "rc=1"
        assert_line_eq "touch=ok"
        assert_line_eq "Seccomp=2"
}

@test "the same profile: inspect names it" {
        cat >"$TMP/no-mkdir2.json" <<'EOF'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}
EOF
        run containerctl create --name sec-custom --security-opt "seccomp=$TMP/no-mkdir2.json" busybox true
        assert_status 0
        run inspect_field sec-custom '.security.seccomp'
        [[ $output == "$TMP/no-mkdir2.json" ]] || { echo "$output" >&2; false; }
        run inspect_field sec-custom '.security.security_opt | join(" ")'
        [[ $output == "seccomp=$TMP/no-mkdir2.json no-new-privileges=true" ]] || { echo "$output" >&2; false; }
        containerctl rm sec-custom >/dev/null
}

@test "a malformed profile is an error naming the line or the field, and nothing is created" {
        local before
        before=$(containerctl ps -a -q | wc -l)
        printf '{\n  "defaultAction": "SCMP_ACT_ALLOW",\n  "syscalls": [\n    { "names": ["mkdir"] "action": 1 }\n  ]\n}\n' \
                >"$TMP/syntax.json"
        run containerctl run --rm --name sec-bad1 --security-opt "seccomp=$TMP/syntax.json" busybox true
        assert_error
        [[ $output == *"$TMP/syntax.json"*"line 4"* ]] || { echo "$output" >&2; false; }

        echo '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOPE"}]}' \
                >"$TMP/field.json"
        run containerctl run --rm --name sec-bad2 --security-opt "seccomp=$TMP/field.json" busybox true
        assert_error
        [[ $output == *"syscalls[0].action"*"SCMP_ACT_NOPE"* ]] || { echo "$output" >&2; false; }

        run containerctl run --rm --name sec-bad3 --security-opt "seccomp=$TMP/missing.json" busybox true
        assert_error
        [[ $output == *"seccomp=$TMP/missing.json"*"No such file"* ]] || { echo "$output" >&2; false; }

        run containerctl run --rm --security-opt apparmor=unconfined busybox true
        assert_error
        [[ $output == *"unknown option"* ]] || { echo "$output" >&2; false; }

        [[ $(containerctl ps -a -q | wc -l) == "$before" ]]
}

@test "seccomp=unconfined: no filter (Seccomp: 0); the default: a filter (Seccomp: 2)" {
        run containerctl run --rm --security-opt seccomp=unconfined busybox /probe seccomp
        assert_status 0
        assert_line_eq "Seccomp=0"
        run containerctl run --rm busybox /probe seccomp
        assert_status 0
        assert_line_eq "Seccomp=2"
}

@test "no-new-privileges=false turns no_new_privs off, the filter stays" {
        run containerctl run --rm --security-opt no-new-privileges=false busybox /probe nnp seccomp
        assert_status 0
        assert_line_eq "NoNewPrivs=0"
        assert_line_eq "Seccomp=2"
}

@test "--read-only: writes to / fail with EROFS, a --tmpfs /tmp is writable" {
        run containerctl run --rm --read-only --tmpfs /tmp --tmpfs /run:size=1m,mode=700 busybox \
                /probe write-test /etc/x write-test /tmp/x write-test /run/x mounts
        [[ $output == *$'write=EROFS\nwrite=ok\nwrite=ok'* ]] || { echo "$output" >&2; false; }
        grep -qE '^mount=/tmp tmpfs .*nosuid.*nodev.*noexec' <<<"$output" || { echo "$output" >&2; false; }
        grep -qE '^mount=/run tmpfs ' <<<"$output" || { echo "$output" >&2; false; }
        grep -qE '^mount=/ [a-z]+ ro[ ,]' <<<"$output" || { echo "$output" >&2; false; }
}

@test "--tmpfs with a bad path or option is refused" {
        run containerctl run --rm --tmpfs tmp busybox true
        assert_error
        [[ $output == *"--tmpfs"*"absolute"* ]] || { echo "$output" >&2; false; }
        run containerctl run --rm --tmpfs /tmp:size=1m,bogus busybox true
        assert_error
        [[ $output == *"bogus"* ]] || { echo "$output" >&2; false; }
}

@test "--privileged: every capability, no filter, no masked paths; shown in inspect and info" {
        run containerctl run -d --name sec-priv --privileged busybox /probe sleep
        assert_status 0
        run containerctl exec sec-priv /probe caps seccomp
        assert_status 0
        assert_line_eq "Seccomp=0"
        local eff
        eff=$(grep '^CapEff=' <<<"$output" | cut -d= -f2)
        [[ $eff == "$(grep '^CapBnd:' /proc/self/status | awk '{print $2}')" ]] || { echo "$output" >&2; false; }
        # /proc/timer_list is masked (empty) by default, readable here.
        run containerctl exec sec-priv sh -c 'head -c 1 /proc/timer_list | wc -c; ls /dev | wc -l'
        assert_status 0
        [[ $(sed -n 1p <<<"$output") == 1 ]] || { echo "$output" >&2; false; }
        (($(sed -n 2p <<<"$output") > 20)) || { echo "$output" >&2; false; }
        [[ $(inspect_field sec-priv '.security.privileged') == true ]]
        [[ $(inspect_field sec-priv '.security.seccomp') == unconfined ]]
        [[ $(inspect_field sec-priv '.security.masked_paths | length') == 0 ]]
        run containerctl info --json
        assert_status 0
        [[ $(jq -r '.security.privileged_containers' <<<"$output") == 1 ]] || { echo "$output" >&2; false; }
        containerctl rm -f sec-priv >/dev/null
}

@test "inspect and info show the security settings in force" {
        run containerctl create --name sec-insp --cap-drop ALL --cap-add net_bind_service --read-only \
                --tmpfs /tmp:size=1m busybox true
        assert_status 0
        run containerctl inspect sec-insp
        assert_status 0
        local j
        j=$(jq 'if type == "array" then .[0] else . end' <<<"$output")
        [[ $(jq -r '.security.capabilities | join(",")' <<<"$j") == CAP_NET_BIND_SERVICE ]] || { echo "$j" >&2; false; }
        [[ $(jq -r '.security.read_only' <<<"$j") == true ]]
        [[ $(jq -r '.security.no_new_privileges' <<<"$j") == true ]]
        [[ $(jq -r '.security.seccomp' <<<"$j") == default ]]
        [[ $(jq -r '.security.tmpfs[0].destination + " " + .security.tmpfs[0].options' <<<"$j") == "/tmp size=1m" ]]
        [[ $(jq -r '.security.masked_paths | index("/proc/kcore") != null' <<<"$j") == true ]]
        run containerctl run --rm busybox sh -c 'head -c 1 /proc/timer_list | wc -c'
        [[ $output == 0 ]] || { echo "masked /proc/timer_list: $output" >&2; false; }
        [[ $(jq -r '.security.privileged' <<<"$j") == false ]]
        containerctl rm sec-insp >/dev/null

        run containerctl info --json
        assert_status 0
        j=$output
        # The installed file, or the copy built into the daemon when there is none.
        [[ $(jq -r '.security.seccomp.default_profile' <<<"$j") == @(*/seccomp.json|built-in) ]] || { echo "$j" >&2; false; }
        [[ $(jq -r '.security.seccomp.libseccomp_version' <<<"$j") =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]
        [[ $(jq -r '.security.default_capabilities | length' <<<"$j") == 13 ]]
        [[ $(jq -r '.security.no_new_privileges' <<<"$j") == true ]]
        [[ $(jq -r '.security.default_capabilities | index("CAP_MKNOD")' <<<"$j") == null ]]
        [[ -n $(jq -r '.security.devices' <<<"$j") ]]
        run containerctl info
        assert_status 0
        [[ $output == *default_profile* ]] || { echo "$output" >&2; false; }
}

@test "the seccomp cache is private to root and holds the compiled default profile" {
        run containerctl run --rm busybox true
        assert_status 0
        [[ $(stat -c '%a %u' "$CTL_RUN_ROOT/seccomp") == "700 0" ]]
        compgen -G "$CTL_RUN_ROOT/seccomp/*.bpf" >/dev/null
}

@test "the settings survive a daemon restart" {
        run containerctl create --name sec-keep --cap-drop ALL --read-only --tmpfs /tmp --security-opt seccomp=unconfined \
                busybox /probe caps seccomp
        assert_status 0
        ctl_daemon_restart
        [[ $(inspect_field sec-keep '.security.seccomp') == unconfined ]]
        [[ $(inspect_field sec-keep '.security.read_only') == true ]]
        run containerctl start -a sec-keep
        assert_status 0
        assert_line_eq "CapEff=$NONE"
        assert_line_eq "Seccomp=0"
        containerctl rm sec-keep >/dev/null
}

@test "the daemon refuses to start with a default profile that does not parse" {
        printf '{"defaultAction": "SCMP_ACT_ALLOW",\n "syscalls": [{"names": ["x"], "action": "NOPE"}]}\n' \
                >"$TMP/bad-default.json"
        run timeout 10 "$CTL_BUILDDIR/containerctld" --socket "$TMP/other.sock" --root "$TMP/other-root" \
                --run-root "$TMP/other-run" --cgroup-parent "$CTL_CGROUP_PARENT-other" \
                --seccomp-profile "$TMP/bad-default.json"
        [[ $status -ne 0 ]]
        [[ $output == *"$TMP/bad-default.json"*"syscalls[0].action"* ]] || { echo "$output" >&2; false; }
        [[ ! -e $TMP/other.sock ]]
        rm -rf "$TMP/other-root" "$TMP/other-run"
}
