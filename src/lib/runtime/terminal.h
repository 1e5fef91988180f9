/* Terminals: the container's pty is created inside the container (on its own devpts), its master
 * handed to the runtime over the setup channel, then either sent to the caller's console socket
 * (one SCM_RIGHTS message, as runc) or proxied by the runtime in the foreground. */
#ifndef CAPSA_TERMINAL_H
#define CAPSA_TERMINAL_H

#include <stdbool.h>
#include <termios.h>

#include "capsa/runtime.h"
#include "error.h"

/* In the container: open a new pty pair (both O_CLOEXEC, O_NOCTTY). */
int term_open_pty (int *master, int *slave, capsa_err **err);
/* In the container: make slave the controlling terminal and stdio (call after setsid()). */
int term_attach_slave (int slave, unsigned rows, unsigned cols, capsa_err **err);
/* In the runtime: connect to the console socket and send master. */
int term_send_to_console_socket (const char *path, int master, capsa_err **err);

/* Foreground proxy helpers (struct capsa_term_saved: capsa/runtime.h). */
/* Put fd (the runtime's stdin) in raw mode when it is a terminal; the old mode is kept in *s. */
void term_make_raw (int fd, struct capsa_term_saved *s);
void term_restore (int fd, const struct capsa_term_saved *s);
/* Copy the window size of `from` to `to` (both terminals); silently nothing otherwise. */
void term_copy_winsize (int from, int to);

#endif
