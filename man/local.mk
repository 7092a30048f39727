# owned by the man owner
