# owned by the daemon/image owner
