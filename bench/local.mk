# Benchmarks (root, not part of `make check`): `make bench` runs
# bench/run-bench.sh against this build's binaries. See bench/README.md.
EXTRA_DIST += bench/run-bench.sh bench/README.md

bench: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/run-bench.sh --json $(abs_top_builddir)/bench-results.json
.PHONY: bench

# Stream benchmark (issue 3): exec throughput with and without a tty and
# exec latency against a Unix socket, a pipe, runc and crun. See README.md.
EXTRA_DIST += bench/stream.sh bench/sockbench.c

bench-stream: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/stream.sh
.PHONY: bench-stream

# Import benchmark (issue 4): one ~100 MB gzip layer imported by containerctl
# against `tar -xzf` and `umoci unpack` of the same layer, and a zstd layer.
EXTRA_DIST += bench/import.sh bench/mklayer.py bench/lib.sh

bench-import: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/import.sh
.PHONY: bench-import

# Network benchmark (issue 5): start cost on the bridge vs --network none,
# many containers started at once, published-port relay vs direct access.
EXTRA_DIST += bench/net.sh

bench-net: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/net.sh --json $(abs_top_builddir)/bench-net.json
.PHONY: bench-net

# Stats benchmark (issue 6): daemon CPU and RSS while streaming stats for
# 100 running containers at 1 s, and the latency of update/pause/unpause.
EXTRA_DIST += bench/stats.sh

bench-stats: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/stats.sh --json $(abs_top_builddir)/bench-stats.json
.PHONY: bench-stats

# Security benchmark (issue 7): start latency with the default seccomp
# profile against --security-opt seccomp=unconfined; target under 2 ms.
EXTRA_DIST += bench/start-secure.sh

bench-start-secure: all
	CONTAINERCTL_BUILDDIR=$(abs_top_builddir) $(top_srcdir)/bench/start-secure.sh
.PHONY: bench-start-secure
