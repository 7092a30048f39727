#!/bin/bash
# Installs containerctl from this source tree on Debian 12 / Ubuntu, as root:
# build deps, build, `make install`, start the daemon (systemd units when
# systemd is PID 1, else a nohup'd containerctld), import busybox:latest and
# run a first container. Idempotent: running it again rebuilds, reinstalls,
# restarts the daemon (containers keep running) and re-runs the check.
#
# Environment: BUILD_DIR (default <src>/build), PREFIX (/usr), SYSCONFDIR
# (/etc), LOCALSTATEDIR (/var), RUNSTATEDIR (/run), SKIP_APT=1, DAEMON_ARGS
# (extra containerctld arguments when started without systemd).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build}
PREFIX=${PREFIX:-/usr}
SYSCONFDIR=${SYSCONFDIR:-/etc}
LOCALSTATEDIR=${LOCALSTATEDIR:-/var}
RUNSTATEDIR=${RUNSTATEDIR:-/run}
SOCKET=$RUNSTATEDIR/containerctl/containerctld.sock
LOGFILE=${LOGFILE:-$LOCALSTATEDIR/log/containerctld.log}
PIDFILE=$RUNSTATEDIR/containerctld.pid

DEPS=(autoconf automake libtool pkg-config gcc make libevent-dev libjansson-dev
      libseccomp-dev libcap-dev libnl-3-dev libnl-route-3-dev libsystemd-dev
      libarchive-dev libssl-dev libisal-dev libzstd-dev libnftables-dev busybox-static zstd xz-utils)

step() { printf '==> %s\n' "$*"; }
die() { printf 'install.sh: %s\n' "$*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "run me as root (sudo $0)"

# apt_install PKG...: installs only what is missing, so a second run is fast.
apt_install() {
        local missing=() p
        for p in "$@"; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
                        missing+=("$p")
        done
        ((${#missing[@]})) || return 0
        step "apt-get install ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# wait_for TIMEOUT CMD...: bounded poll.
wait_for() {
        local t=$1 i
        shift
        for ((i = 0; i < t * 10; i++)); do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
        done
        return 1
}

# --userns auto takes each container's ids from the subordinate ids of the
# user containerctl (subuid(5)): a system user with no login and one large
# range, added only where missing (an admin's own lines are kept).
ensure_userns_ids() {
        getent group containerctl >/dev/null || groupadd --system containerctl
        # The API's admin role (containerctld.conf(5): admin_group).
        getent group containerctl-admin >/dev/null || groupadd --system containerctl-admin
        getent passwd containerctl >/dev/null ||
                useradd --system --gid containerctl --no-create-home --home-dir /nonexistent \
                        --shell /usr/sbin/nologin containerctl
        local f
        for f in /etc/subuid /etc/subgid; do
                grep -qs '^containerctl:' "$f" || echo 'containerctl:1000000000:1000000000' >>"$f"
        done
}

[[ ${SKIP_APT:-0} == 1 ]] || apt_install "${DEPS[@]}"
step "user containerctl and its subordinate ids (--userns auto)"
ensure_userns_ids

step "build in $BUILD_DIR"
cd "$SRC"
if [[ ! -x configure || configure.ac -nt configure ]]; then
        ./autogen.sh
fi
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
"$SRC/configure" -q --prefix="$PREFIX" --sysconfdir="$SYSCONFDIR" \
        --localstatedir="$LOCALSTATEDIR" --runstatedir="$RUNSTATEDIR"
make -j"$(nproc)"
step "make install"
make install >/dev/null

CTL=$PREFIX/bin/containerctl
CTLD=$PREFIX/sbin/containerctld
[[ -x $CTLD ]] || CTLD=$PREFIX/bin/containerctld
[[ -x $CTL && -x $CTLD ]] || die "containerctl/containerctld not installed under $PREFIX"
export CONTAINERCTL_SOCKET=$SOCKET

if [[ -d /run/systemd/system && $PREFIX == /usr ]]; then
        step "start containerctld with systemd"
        systemctl daemon-reload
        systemctl enable containerctld.socket containerctld.service
        systemctl restart containerctld.socket containerctld.service
else
        step "start containerctld (no systemd: nohup, log in $LOGFILE)"
        if [[ -s $PIDFILE ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
                old=$(cat "$PIDFILE")
                kill -TERM "$old"
                wait_for 20 sh -c "! kill -0 $old" || die "old containerctld ($old) does not exit"
        fi
        mkdir -p "$(dirname "$LOGFILE")" "$RUNSTATEDIR"
        # shellcheck disable=SC2086 # DAEMON_ARGS is a list of words
        nohup "$CTLD" --socket "$SOCKET" ${DAEMON_ARGS:-} </dev/null >>"$LOGFILE" 2>&1 &
        echo $! >"$PIDFILE"
fi
wait_for 20 "$CTL" version || die "the daemon does not answer on $SOCKET (see $LOGFILE or journalctl -u containerctld)"

if "$CTL" image inspect busybox:latest >/dev/null 2>&1; then
        step "busybox:latest already imported"
else
        step "build and import busybox:latest"
        tmp=$(mktemp -d /tmp/containerctl-install.XXXXXX)
        trap 'rm -rf "$tmp"' EXIT
        "$SRC/contrib/make-busybox-image.sh" "$tmp/busybox.tar"
        "$CTL" image import "$tmp/busybox.tar" busybox:latest
fi

step "containerctl run --rm busybox echo hello from containerctl"
"$CTL" run --rm busybox echo hello from containerctl
