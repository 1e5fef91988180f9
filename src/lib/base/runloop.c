/* The foreground of `run`: see runloop.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runloop.h"
#include "terminal.h"
#include "util.h"

int
runloop_prepare (struct runloop *rl, capsa_err **err)
{
  static const int sync_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT, SIGSYS };

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return capsa_fail (err, errno, "become a child subreaper");
  sigfillset (&rl->blocked);
  for (size_t i = 0; i < ARRAY_SIZE (sync_signals); i++)
    sigdelset (&rl->blocked, sync_signals[i]);
  if (sigprocmask (SIG_BLOCK, &rl->blocked, &rl->old) < 0)
    return capsa_fail (err, errno, "block signals");
  rl->sigfd = signalfd (-1, &rl->blocked, SFD_CLOEXEC | SFD_NONBLOCK);
  if (rl->sigfd < 0)
    {
      int e = errno;
      sigprocmask (SIG_SETMASK, &rl->old, NULL);
      return capsa_fail (err, e, "signalfd");
    }
  return 0;
}

void
runloop_release (struct runloop *rl)
{
  if (rl->sigfd >= 0)
    close (rl->sigfd);
  rl->sigfd = -1;
  sigprocmask (SIG_SETMASK, &rl->old, NULL);
}

/* Copy what is readable on `from` to `to`; false on EOF or error of `from`. */
static bool
pump (int from, int to)
{
  char buf[16384];
  ssize_t n = read (from, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  (void) write_all (to, buf, (size_t) n);
  return true;
}

/* Reap every child that has exited; true once `init` is among them. */
static bool
reap (pid_t init, int *status)
{
  bool done = false;
  int st;
  pid_t p;
  while ((p = waitpid (-1, &st, WNOHANG)) > 0)
    if (p == init)
      {
        *status = st;
        done = true;
      }
  return done;
}

int
runloop_wait (struct runloop *rl, pid_t init, int master, int *interrupted)
{
  struct capsa_term_saved saved = { 0 };
  struct pollfd pfd[3] = { { .fd = rl->sigfd, .events = POLLIN }, { .fd = -1 }, { .fd = -1 } };
  int status = 0;
  bool exited = reap (init, &status);

  if (master >= 0)
    {
      term_make_raw (0, &saved);
      term_copy_winsize (0, master);
      pfd[1] = (struct pollfd){ .fd = 0, .events = POLLIN };
      pfd[2] = (struct pollfd){ .fd = master, .events = POLLIN };
    }
  while (!exited)
    {
      if (poll (pfd, 3, -1) < 0 && errno != EINTR)
        break;
      if (pfd[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (rl->sigfd, &si, sizeof si) == sizeof si)
            {
              if (si.ssi_signo == SIGCHLD)
                exited = reap (init, &status) || exited;
              else if (si.ssi_signo == SIGWINCH && master >= 0)
                term_copy_winsize (0, master);
              else if (interrupted && (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM || si.ssi_signo == SIGHUP))
                {
                  *interrupted = (int) si.ssi_signo;
                  kill (init, SIGKILL);
                }
              else
                kill (init, (int) si.ssi_signo);
            }
        }
      if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR) && !pump (0, master))
        pfd[1].fd = -1; /* the caller's stdin is finished; the container keeps running */
      if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR) && !pump (master, 1))
        pfd[2].fd = -1;
    }
  if (master >= 0)
    {
      /* drain what the container wrote before it exited */
      fcntl (master, F_SETFL, fcntl (master, F_GETFL) | O_NONBLOCK);
      while (pump (master, 1))
        {
          struct pollfd one = { .fd = master, .events = POLLIN };
          if (poll (&one, 1, 0) <= 0)
            break;
        }
      term_restore (0, &saved);
    }
  return wait_status_code (status);
}
