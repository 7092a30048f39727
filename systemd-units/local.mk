# owned by the daemon owner
systemdunitsdir = $(systemdsystemunitdir)
dist_systemdunits_DATA = systemd-units/containerctld.service systemd-units/containerctld.socket
