/* Raw mode for the local terminal and its guaranteed restoration. The
 * saved state is a file-scope singleton because the signal handler and
 * the atexit hook must reach it; nothing else here is global. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "client/terminal.h"

static struct termios saved;
static int saved_fd = -1;
static volatile sig_atomic_t raw_on;
static bool hooks_installed;

static const int restore_signals[] = { SIGTERM, SIGHUP, SIGINT, SIGQUIT };

void
terminal_restore(void)
{
        int e = errno;

        if (raw_on) {
                /* tcsetattr() is async-signal-safe (signal-safety(7)). */
                (void) tcsetattr(saved_fd, TCSANOW, &saved);
                raw_on = 0;
        }
        errno = e;
}

static void
restore_and_reraise(int sig)
{
        struct sigaction sa = { .sa_handler = SIG_DFL };

        terminal_restore();
        /* The signal is blocked while we run: it is delivered, with its
         * default action, as soon as the handler returns. */
        sigaction(sig, &sa, NULL);
        raise(sig);
}

static void
install_hooks(void)
{
        struct sigaction sa = { .sa_handler = restore_and_reraise };

        if (hooks_installed)
                return;
        hooks_installed = true;
        atexit(terminal_restore);
        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof(restore_signals) / sizeof(restore_signals[0]); i++)
                sigaction(restore_signals[i], &sa, NULL);
}

int
terminal_make_raw(int fd, struct ctr_error **err)
{
        struct termios t;

        if (raw_on)
                return 0;
        if (tcgetattr(fd, &saved) < 0)
                return ctr_error_sys(err, errno, "get terminal attributes");
        saved_fd = fd;
        install_hooks();
        t = saved;
        cfmakeraw(&t);
        /* Set the flag first: a signal between the two lines then restores
         * a terminal that is already in its saved state, which is harmless. */
        raw_on = 1;
        if (tcsetattr(fd, TCSANOW, &t) < 0) {
                int e = errno;

                raw_on = 0;
                return ctr_error_sys(err, e, "put the terminal in raw mode");
        }
        return 0;
}

int
terminal_get_size(unsigned *ret_rows, unsigned *ret_cols)
{
        struct winsize ws = {};

        for (int fd = 0; fd <= 1; fd++)
                if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
                        *ret_rows = ws.ws_row;
                        *ret_cols = ws.ws_col;
                        return 0;
                }
        return -ENOTTY;
}
