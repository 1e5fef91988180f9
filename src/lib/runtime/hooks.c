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

static const char *const kinds[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                                     "poststart", "poststop" };

bool
hooks_any (json_t *config, const char *kind)
{
  return json_array_size (json_object_get (json_object_get (config, "hooks"), kind)) > 0;
}

int
hooks_check (json_t *config, capsa_err **err)
{
  json_t *hooks = json_object_get (config, "hooks"), *list, *h;
  const char *kind;
  size_t i;

  if (hooks == NULL)
    return 0;
  if (!json_is_object (hooks))
    return capsa_fail_as (err, EINVAL, "config.json: hooks: must be an object");
  json_object_foreach (hooks, kind, list)
  {
    bool known = false;
    for (size_t k = 0; k < ARRAY_SIZE (kinds); k++)
      known |= strcmp (kind, kinds[k]) == 0;
    if (!known)
      return capsa_fail_as (err, EINVAL, "config.json: hooks.%s: unknown kind of hook", kind);
    if (!json_is_array (list))
      return capsa_fail_as (err, EINVAL, "config.json: hooks.%s: must be an array", kind);
    json_array_foreach (list, i, h)
    {
      const char *path = json_string_value (json_object_get (h, "path"));
      json_t *t = json_object_get (h, "timeout"), *args = json_object_get (h, "args"), *env = json_object_get (h, "env");
      if (path == NULL || path[0] != '/')
        return capsa_fail_as (err, EINVAL, "config.json: hooks.%s[%zu].path: must be an absolute path", kind, i);
      if (t && (!json_is_integer (t) || json_integer_value (t) <= 0))
        return capsa_fail_as (err, EINVAL, "config.json: hooks.%s[%zu].timeout: must be a positive integer", kind, i);
      if ((args && !json_is_array (args)) || (env && !json_is_array (env)))
        return capsa_fail_as (err, EINVAL, "config.json: hooks.%s[%zu]: args and env must be arrays", kind, i);
    }
  }
  return 0;
}

static char **
to_strv (json_t *arr, const char *first)
{
  size_t i, n = json_array_size (arr);
  char **v = xmalloc0 ((n + 2) * sizeof *v);
  size_t k = 0;
  if (n == 0 && first)
    v[k++] = xstrdup (first);
  json_t *e;
  json_array_foreach (arr, i, e)
  if (json_is_string (e))
    v[k++] = xstrdup (json_string_value (e));
  return v;
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for pid, at most timeout_s (0: forever); collects its stderr from errfd meanwhile. */
static int
wait_hook (pid_t pid, int errfd, int timeout_s, char *errbuf, size_t errlen, int *status)
{
  long long deadline = timeout_s > 0 ? now_ms () + timeout_s * 1000LL : 0;
  size_t used = 0;
  int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  for (;;)
    {
      /* negative fds are ignored by poll: a closed stderr or a missing pidfd drop out */
      struct pollfd p[2] = { { .fd = errfd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      int wait_ms = deadline ? (int) (deadline - now_ms ()) : -1;
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
run_one (json_t *h, const char *kind, size_t i, const char *state, capsa_err **err)
{
  const char *path = json_string_value (json_object_get (h, "path"));
  int timeout_s = (int) json_integer_value (json_object_get (h, "timeout"));
  cleanup_strv char **argv = to_strv (json_object_get (h, "args"), path);
  /* runc runs a hook with exec.Cmd{Env: hook.Env}: with no `env`, Go hands the runtime's own
   * environment on (runc 1.1.5 does; podman's hooks rely on PATH). An `env` given, even empty,
   * is the whole environment. */
  json_t *env = json_object_get (h, "env");
  cleanup_strv char **envp = env ? to_strv (env, NULL) : NULL;
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
hooks_run (json_t *config, const char *kind, json_t *state, capsa_err **err)
{
  json_t *list = json_object_get (json_object_get (config, "hooks"), kind), *h;
  size_t i;
  if (json_array_size (list) == 0)
    return 0;
  cleanup_free char *s = json_dumps (state, JSON_COMPACT);
  json_array_foreach (list, i, h)
  if (run_one (h, kind, i, s ? s : "{}", err) < 0)
    return -1;
  return 0;
}

void
hooks_run_warn (json_t *config, const char *kind, json_t *state)
{
  json_t *list = json_object_get (json_object_get (config, "hooks"), kind), *h;
  size_t i;
  if (json_array_size (list) == 0)
    return;
  cleanup_free char *s = json_dumps (state, JSON_COMPACT);
  json_array_foreach (list, i, h)
  {
    cleanup_err capsa_err *err = NULL;
    if (run_one (h, kind, i, s ? s : "{}", &err) < 0)
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
