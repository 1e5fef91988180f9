/* ctr_logtee.h: the foreground run's log. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr_logtee.h"
#include "capsa/cleanup.h"
#include "util.h"
#include "mon.h"

/* Close every fd from 3 on but the three kept: a lock this process holds must not stay held by
 * the copy for as long as the container runs. */
static void
close_others (int a, int b, int c)
{
  int keep[3] = { a, b, c };
  for (int i = 0; i < 3; i++)
    for (int j = i + 1; j < 3; j++)
      if (keep[j] < keep[i])
        {
          int x = keep[i];
          keep[i] = keep[j];
          keep[j] = x;
        }
  unsigned from = 3;
  for (int i = 0; i < 3; i++)
    {
      if ((unsigned) keep[i] > from)
        close_range (from, (unsigned) keep[i] - 1, 0);
      from = (unsigned) keep[i] + 1;
    }
  close_range (from, ~0U, 0);
}

/* the child: never returns */
static void
tee_child (int dirfd, int out, int err, struct mon_log *l)
{
  /* ctrl-c, a hang-up or a closed terminal must not lose what the container still writes:
   * the copy ends at EOF only, when the container's last writer is gone */
  signal (SIGINT, SIG_IGN);
  signal (SIGQUIT, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGTERM, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  close_others (dirfd, out, err);
  static struct mon_stream s[2];
  s[0] = (struct mon_stream){ .fd = out, .name = "stdout" };
  s[1] = (struct mon_stream){ .fd = err, .name = "stderr" };
  l->dirfd = dirfd;
  mon_log_open (l);
  mon_log_tee (l, s, (const int[]){ 1, 2 }, 2);
  _exit (0);
}

/* ls as the monitor's log writer takes it; *name (owned) the file in the directory *dir (owned) */
static void
tee_log (const struct ctr_log_set *ls, const char *max_size, struct mon_log *l, char **dir)
{
  const char *slash = strrchr (ls->path, '/');
  *dir = slash == ls->path ? xstrdup ("/") : xasprintf ("%.*s", (int) (slash - ls->path), ls->path);
  *l = (struct mon_log){ .max = ls->max, .format = ls->format, .files = ls->files, .name = slash + 1 };
  if (l->max <= 0)
    l->max = max_size && parse_bytes (max_size) > 0 ? parse_bytes (max_size) : 10 * 1024 * 1024;
  if (ls->attrs)
    l->attrs = xasprintf ("\"attrs\":%s,", ls->attrs);
}

int
ctr_logtee_start (struct ctr_logtee *t, const struct ctr_log_set *ls, const char *max_size, capsa_err **err)
{
  int po[2], pe[2];
  struct mon_log l;
  cleanup_free char *dir = NULL;
  t->pid = -1;
  tee_log (ls, max_size, &l, &dir);
  cleanup_close int dirfd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return capsa_fail (err, errno, "log: open %s", dir);
  if (pipe2 (po, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "log: pipe");
  if (pipe2 (pe, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (po[0]), close (po[1]);
      return capsa_fail (err, e, "log: pipe");
    }
  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (po[1]);
      close (pe[1]);
      tee_child (dirfd, po[0], pe[0], &l);
    }
  int e = errno;
  free ((char *) l.attrs); /* (the child's copy is its own) */
  close (po[0]);
  close (pe[0]);
  t->saved[0] = pid > 0 ? fcntl (1, F_DUPFD_CLOEXEC, 3) : -1;
  t->saved[1] = pid > 0 ? fcntl (2, F_DUPFD_CLOEXEC, 3) : -1;
  if (pid < 0 || t->saved[0] < 0 || t->saved[1] < 0 || dup2 (po[1], 1) < 0 || dup2 (pe[1], 2) < 0)
    {
      e = pid < 0 ? e : errno;
      close (po[1]), close (pe[1]);
      if (pid > 0)
        {
          t->pid = pid;
          ctr_logtee_stop (t);
        }
      return capsa_fail (err, e, "log: start the copy of the output");
    }
  close (po[1]);
  close (pe[1]);
  t->pid = pid;
  return 0;
}

void
ctr_logtee_stop (struct ctr_logtee *t)
{
  if (t->pid <= 0)
    return;
  fflush (NULL);
  for (int i = 0; i < 2; i++)
    if (t->saved[i] >= 0)
      {
        dup2 (t->saved[i], i + 1);
        close (t->saved[i]);
        t->saved[i] = -1;
      }
  while (waitpid (t->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  t->pid = -1;
}
