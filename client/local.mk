# owned by the client owner
