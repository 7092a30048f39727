# owned by the daemon/runtime owner
