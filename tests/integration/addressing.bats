#!/usr/bin/env bats
# Addressing containers: by name, full id, unique id prefix; an ambiguous
# prefix is an error that names the problem.

load helpers

@test "a container is found by name, full id and unique prefix" {
        containerctl create --name addr1 busybox true >/dev/null
        local id
        id=$(inspect_field addr1 .id)
        [[ $id =~ ^[0-9a-f]{64}$ ]]
        [[ $(inspect_field "$id" .name) == addr1 ]]
        [[ $(inspect_field "${id:0:12}" .name) == addr1 ]]
        [[ $(inspect_field "${id:0:5}" .name) == addr1 ]]
        containerctl rm "${id:0:12}"
        run containerctl inspect addr1
        [[ $status -ne 0 ]]
}

@test "the id printed by create and run -d addresses the container" {
        local id
        id=$(containerctl create busybox true)
        [[ $id =~ ^[0-9a-f]{64}$ ]]
        [[ $(inspect_field "$id" .id) == "$id" ]]
        containerctl rm "$id"
}

@test "an ambiguous prefix is refused" {
        # 17 ids over 16 first hex digits: two share a one-digit prefix.
        local ids=() i id p=""
        for i in $(seq 17); do
                id=$(containerctl create --name "amb$i" busybox true)
                ids+=("$id")
        done
        p=$(printf '%s\n' "${ids[@]}" | cut -c1 | sort | uniq -d | head -n1)
        [[ -n $p ]]
        run containerctl inspect "$p"
        [[ $status -ne 0 ]]
        grep -qi 'ambiguous\|multiple\|more than one' <<<"$output"
        run containerctl rm "$p"
        [[ $status -ne 0 ]]
        for id in "${ids[@]}"; do
                containerctl rm "$id"
        done
}

@test "an unknown container is not found" {
        run containerctl inspect no-such-container
        [[ $status -ne 0 ]]
        grep -qi 'not found\|no such' <<<"$output"
        run containerctl start no-such-container
        assert_error
}
