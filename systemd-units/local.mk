# owned by the systemd-units owner
