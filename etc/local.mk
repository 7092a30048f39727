# owned by the daemon owner
containerctlconfdir = $(sysconfdir)/containerctl
# seccomp.json: the default seccomp profile (Docker JSON format), read by the
# daemon for containers without --security-opt seccomp=...
dist_containerctlconf_DATA = etc/containerctld.conf etc/seccomp.json
