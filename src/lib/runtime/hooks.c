/* OCI hooks: see hooks.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "util.h"

/* argv: the hook's args, or just its path when it has none */
static char **
hook_argv (const struct cfg_hook *h)
{
  char **v = NULL;
  if (h->args == NULL || h->args[0] == NULL)
    strv_append (&v, h->path);
  for (char **a = h->args; a && *a; a++)
    strv_append (&v, *a);
  return v;
}

/* Wait for pid, at most timeout_s (0: forever); collects its stderr from errfd meanwhile. */
static int
wait_hook (pid_t pid, int errfd, int timeout_s, char *errbuf, size_t errlen, int *status)
{
  long long deadline = timeout_s > 0 ? monotonic_ms () + timeout_s * 1000LL : 0;
  size_t used = 0;
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  for (;;)
    {
      /* negative fds are ignored by poll: a closed stderr or a missing pidfd drop out */
      struct pollfd p[2] = { { .fd = errfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      int wait_ms = deadline ? (int) (deadline - monotonic_ms ()) : -1;
      if (deadline && wait_ms <= 0)
        break;
      if (pidfd < 0 && (wait_ms < 0 || wait_ms > 50))
        wait_ms = 50; /* no pidfd: poll for the exit */
      int n = poll (p, 2, wait_ms);
      if (n < 0 && errno != EINTR)
        break;
      if (errfd >= 0 && (p[0].revents & (POLLIN | POLLHUP)))
        {
          char tmp[512];
          ssize_t r = read (errfd, tmp, sizeof tmp);
          if (r <= 0)
            {
              close (errfd);
              errfd = -1;
            }
          else
            {
              size_t take = (size_t) r < errlen - 1 - used ? (size_t) r : errlen - 1 - used;
              memcpy (errbuf + used, tmp, take);
              used += take;
              errbuf[used] = '\0';
            }
        }
      if (waitpid (pid, status, WNOHANG) == pid)
        {
          if (errfd >= 0)
            close (errfd);
          if (pidfd >= 0)
            close (pidfd);
          return 0;
        }
    }
  kill (pid, SIGKILL);
  waitpid (pid, status, 0);
  if (errfd >= 0)
    close (errfd);
  if (pidfd >= 0)
    close (pidfd);
  return -1;
}

static int
run_one (const struct cfg_hook *h, const char *kind, size_t i, const char *state, capsa_err **err)
{
  const char *path = h->path;
  int timeout_s = h->timeout;
  cleanup_strv char **argv = hook_argv (h);
  /* runc runs a hook with exec.Cmd{Env: hook.Env}: with no `env`, Go hands the runtime's own
   * environment on (runc 1.1.5 does; podman's hooks rely on PATH). An `env` given, even empty,
   * is the whole environment. */
  char *const *envp = h->env;
  int in[2], errp[2], status = 0;
  char errbuf[1024] = "";

  if (pipe2 (in, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "hooks.%s[%zu]: pipe", kind, i);
  if (pipe2 (errp, O_CLOEXEC) < 0)
    {
      close (in[0]);
      close (in[1]);
      return capsa_fail (err, errno, "hooks.%s[%zu]: pipe", kind, i);
    }
  pid_t pid = fork ();
  if (pid < 0)
    return capsa_fail (err, errno, "hooks.%s[%zu]: fork", kind, i);
  if (pid == 0)
    {
      dup2 (in[0], 0);
      dup2 (errp[1], 2);
      int devnull = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      if (devnull >= 0)
        dup2 (devnull, 1);
      sigset_t none;
      sigemptyset (&none);
      sigprocmask (SIG_SETMASK, &none, NULL);
      execve (path, argv, envp ? envp : environ);
      dprintf (2, "exec %s: %s", path, strerror (errno));
      _exit (127);
    }
  close (in[0]);
  close (errp[1]);
  /* a hook that does not read its stdin must not block us: SIGPIPE is ignored by the write */
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  sigaction (SIGPIPE, &ign, &old);
  (void) write_all (in[1], state, strlen (state));
  sigaction (SIGPIPE, &old, NULL);
  close (in[1]);
  if (wait_hook (pid, errp[0], timeout_s, errbuf, sizeof errbuf, &status) < 0)
    return capsa_fail_as (err, ETIMEDOUT, "hooks.%s[%zu] `%s`: timed out after %d s", kind, i, path, timeout_s);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  size_t n = strlen (errbuf);
  while (n && (errbuf[n - 1] == '\n' || errbuf[n - 1] == ' '))
    errbuf[--n] = '\0';
  if (WIFSIGNALED (status))
    return capsa_fail_as (err, ECHILD, "hooks.%s[%zu] `%s`: killed by signal %d%s%s", kind, i, path, WTERMSIG (status),
                          *errbuf ? ": " : "", errbuf);
  return capsa_fail_as (err, ECHILD, "hooks.%s[%zu] `%s`: exit status %d%s%s", kind, i, path, WEXITSTATUS (status),
                        *errbuf ? ": " : "", errbuf);
}

int
hooks_run (const struct capsa_config *config, enum cfg_hook_kind kind, json_t *state, capsa_err **err)
{
  const struct cfg_hook_list *l = &config->hooks[kind];
  if (l->n == 0)
    return 0;
  cleanup_free char *s = json_dumps (state, JSON_COMPACT);
  for (size_t i = 0; i < l->n; i++)
    if (run_one (&l->hooks[i], cfg_hook_kind_name (kind), i, s ? s : "{}", err) < 0)
      return -1;
  return 0;
}

void
hooks_run_warn (const struct capsa_config *config, enum cfg_hook_kind kind, json_t *state)
{
  const struct cfg_hook_list *l = &config->hooks[kind];
  if (l->n == 0)
    return;
  cleanup_free char *s = json_dumps (state, JSON_COMPACT);
  for (size_t i = 0; i < l->n; i++)
    {
      cleanup_err capsa_err *err = NULL;
      if (run_one (&l->hooks[i], cfg_hook_kind_name (kind), i, s ? s : "{}", &err) < 0)
        capsa_log (CAPSA_LOG_WARNING, "%s", err->msg);
    }
}

json_t *
hooks_state (const char *id, const char *status, pid_t pid, const char *bundle, json_t *annotations)
{
  json_t *o = json_pack ("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", id ? id : "", "status", status,
                         "pid", (int) pid, "bundle", bundle ? bundle : "");
  if (o && json_object_size (annotations) > 0)
    json_object_set (o, "annotations", annotations);
  return o;
}
