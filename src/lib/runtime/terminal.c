/* Terminals: see terminal.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sync.h"
#include "terminal.h"
#include "util.h"

int
term_open_pty (int *master, int *slave, capsa_err **err)
{
  char name[64];
  cleanup_close int m = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

  if (m < 0)
    return capsa_fail (err, errno, "open /dev/ptmx for process.terminal");
  if (unlockpt (m) < 0)
    return capsa_fail (err, errno, "unlockpt");
  if (ptsname_r (m, name, sizeof name) != 0)
    return capsa_fail (err, errno, "ptsname");
  int s = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (s < 0)
    return capsa_fail (err, errno, "open pty slave `%s`", name);
  *slave = s;
  *master = take_fd (&m);
  return 0;
}

int
term_attach_slave (int slave, unsigned rows, unsigned cols, capsa_err **err)
{
  if (rows || cols)
    {
      struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
      (void) ioctl (slave, TIOCSWINSZ, &ws);
    }
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return capsa_fail (err, errno, "make the pty the controlling terminal");
  for (int fd = 0; fd < 3; fd++)
    if (dup2 (slave, fd) < 0)
      return capsa_fail (err, errno, "dup2 pty to fd %d", fd);
  return 0;
}

int
term_send_to_console_socket (const char *path, int master, capsa_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  if (sock < 0)
    return capsa_fail (err, errno, "socket for --console-socket");
  if (strlen (path) >= sizeof addr.sun_path)
    return capsa_fail (err, ENAMETOOLONG, "console socket path `%s`", path);
  strcpy (addr.sun_path, path);
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return capsa_fail (err, errno, "connect to console socket `%s`", path);
  if (send_fd (sock, master, "/dev/ptmx") < 0)
    return capsa_fail (err, errno, "send the pty master to console socket `%s`", path);
  return 0;
}

void
term_make_raw (int fd, struct capsa_term_saved *s)
{
  struct termios raw;

  s->saved = false;
  if (!isatty (fd) || tcgetattr (fd, &s->tio) < 0)
    return;
  raw = s->tio;
  cfmakeraw (&raw);
  raw.c_oflag |= OPOST; /* keep output processing so the caller's screen stays sane */
  if (tcsetattr (fd, TCSANOW, &raw) == 0)
    s->saved = true;
}

void
term_restore (int fd, const struct capsa_term_saved *s)
{
  if (s->saved)
    tcsetattr (fd, TCSANOW, &s->tio);
}

void
term_copy_winsize (int from, int to)
{
  struct winsize ws;
  if (ioctl (from, TIOCGWINSZ, &ws) == 0)
    (void) ioctl (to, TIOCSWINSZ, &ws);
}

/* The names the front ends call them by (include/capsa/runtime.h). */
CAPSA_EXPORT_AS (capsa_term_make_raw, term_make_raw);
CAPSA_EXPORT_AS (capsa_term_restore, term_restore);
