# owned by the proto owner
