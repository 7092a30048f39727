# owned by the daemon owner
containerctlconfdir = $(sysconfdir)/containerctl
dist_containerctlconf_DATA = etc/containerctld.conf
