# systemd units. The service names the daemon by its installed path, so it
# is generated from containerctld.service.in with this build's sbindir.
systemdunitsdir = $(systemdsystemunitdir)
systemdunits_DATA = systemd-units/containerctld.service
dist_systemdunits_DATA = systemd-units/containerctld.socket
EXTRA_DIST += systemd-units/containerctld.service.in
CLEANFILES += systemd-units/containerctld.service

systemd-units/containerctld.service: $(top_srcdir)/systemd-units/containerctld.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) systemd-units && \
	sed -e 's|@sbindir[@]|$(sbindir)|g' $(top_srcdir)/systemd-units/containerctld.service.in >$@.tmp && \
	mv $@.tmp $@
