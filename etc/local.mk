# owned by the etc owner
