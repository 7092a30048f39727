# owned by the bench owner
