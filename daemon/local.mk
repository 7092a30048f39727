# owned by the daemon owner; runtime/, cgroup/, monitor/, image/ have their own fragments
include daemon/runtime/local.mk
include daemon/cgroup/local.mk
include daemon/monitor/local.mk
include daemon/image/local.mk
