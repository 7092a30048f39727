# Manual pages. containerctl(1) is owned with the client; the daemon pages
# are added here by their owners.
dist_man_MANS = man/containerctl.1 man/containerctld.8 man/containerctld.conf.5
