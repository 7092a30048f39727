/* Root-only smoke test of the spawn path alone: loads <bundle>/config.json,
 * creates the container with our stdio, starts it, waits for it through its
 * pidfd and prints "exit code: N". Exits with the container's code (or
 * 125/126/127 when create fails). Removes the cgroup it asked for. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "common/error.h"
#include "daemon/cgroup/cgroup.h"
#include "daemon/runtime/runtime.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void
destroy_cgroup(const struct runtime_spec *spec)
{
        _cleanup_error_ struct ctr_error *err = NULL;
        const char *cg = runtime_spec_cgroups_path(spec);

        if (cg && cgroup_destroy(cg, &err) < 0)
                fprintf(stderr, "spawn-smoke: %s\n", err->message);
}

int
main(int argc, char **argv)
{
        _cleanup_(runtime_spec_freep) struct runtime_spec *spec = NULL;
        _cleanup_(runtime_container_freep) struct runtime_container *c = NULL;
        _cleanup_error_ struct ctr_error *err = NULL;
        struct runtime_stdio stdio = { 0, 1, 2 };
        struct pollfd pfd;
        siginfo_t si = { 0 };
        int exit_code, code;

        if (argc != 2) {
                fprintf(stderr, "usage: %s BUNDLE/config.json\n", argv[0]);
                return 2;
        }
        if (runtime_spec_load(argv[1], &spec, &err) < 0) {
                fprintf(stderr, "spawn-smoke: %s\n", err->message);
                return 125;
        }
        if (runtime_create(spec, &stdio, &c, &exit_code, &err) < 0) {
                fprintf(stderr, "spawn-smoke: create: %s\n", err->message);
                destroy_cgroup(spec);
                printf("exit code: %d\n", exit_code);
                return exit_code;
        }
        fprintf(stderr, "spawn-smoke: created pid %d\n", (int) runtime_container_pid(c));
        if (runtime_start(c, &err) < 0)
                fprintf(stderr, "spawn-smoke: start: %s\n", err->message);
        pfd = (struct pollfd){ .fd = runtime_container_pidfd(c), .events = POLLIN };
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR)
                ;
        if (waitid((idtype_t) P_PIDFD, (id_t) runtime_container_pidfd(c), &si, WEXITED) < 0) {
                perror("spawn-smoke: waitid");
                destroy_cgroup(spec);
                return 125;
        }
        code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
        destroy_cgroup(spec);
        printf("exit code: %d\n", code);
        return code;
}
