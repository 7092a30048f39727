# owned by the daemon/monitor owner
