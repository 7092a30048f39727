# owned by the daemon/cgroup owner
