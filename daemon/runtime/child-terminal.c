/* process.terminal in the child: a pty pair from the container's own devpts
 * instance (never the host's), the master handed to the parent over the
 * sync socket, the slave as 0/1/2 and controlling terminal. Shared by the
 * init's and the exec's step tables. Runs in the child only. */
#include "daemon/runtime/child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon/runtime/sync.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Why after pivot_root / the mount namespace join: /dev/pts is then the
 * container's devpts (newinstance), so the pty is numbered and visible
 * there. Why after setsid: TIOCSCTTY needs a session leader without a
 * controlling terminal. Why before the user switch: fchown to the target
 * user needs CAP_CHOWN. */
int
child_terminal(struct child_ctx *ctx, struct ctr_error **err)
{
        _cleanup_close_ int master = -1, slave = -1;
        int unlock = 0, r;

        if (!ctx->proc.terminal)
                return 0;
        master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (master < 0)
                return ctr_error_sys(err, errno, "open `/dev/pts/ptmx` (a terminal needs a devpts mount on /dev/pts)");
        if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
                return ctr_error_sys(err, errno, "unlock the pty");
        if (ctx->proc.rows > 0 && ctx->proc.cols > 0) {
                struct winsize ws = { .ws_row = (unsigned short) ctx->proc.rows,
                                      .ws_col = (unsigned short) ctx->proc.cols };
                if (ioctl(master, TIOCSWINSZ, &ws) < 0)
                        return ctr_error_sys(err, errno, "set the terminal size to %ux%u",
                                             ctx->proc.rows, ctx->proc.cols);
        }
        slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (slave < 0)
                return ctr_error_sys(err, errno, "open the pty's slave end");
        /* The user owns their terminal, as login(1) would arrange. */
        if (ctx->proc.uid != 0 && fchown(slave, ctx->proc.uid, (gid_t) -1) < 0)
                return ctr_error_sys(err, errno, "give the terminal to uid %u", (unsigned) ctx->proc.uid);
        if (ioctl(slave, TIOCSCTTY, 0) < 0)
                return ctr_error_sys(err, errno, "make the pty the controlling terminal");
        r = sync_send_fd(ctx->sync_fd, SYNC_PTY, master);
        if (r < 0)
                return ctr_error_sys(err, -r, "send the pty master to the parent");
        for (int i = 0; i < 3; i++) {
                safe_close(ctx->stdio_fds[i]);
                ctx->stdio_fds[i] = fcntl(slave, F_DUPFD_CLOEXEC, 3);
                if (ctx->stdio_fds[i] < 0)
                        return ctr_error_sys(err, errno, "duplicate the pty slave");
        }
        return 0;
}
