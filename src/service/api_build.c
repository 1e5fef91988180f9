/* POST /build (docker build with the classic builder, DOCKER_BUILDKIT=0; docker-compose build):
 * the body is the context's tar, the query the options (t, dockerfile, buildargs, labels, target,
 * nocache, pull, q, networkmode).  The build runs as `capsa build -` in a child process of its
 * own, the tar on its stdin: its RUN steps put processes into containers from a sealed copy of
 * capsa (as `capsa build` does), and its output streams back as docker's JSON messages
 * ({"stream": "..."}, then {"aux": {"ID": ...}} and "Successfully built ID"; an error as
 * {"errorDetail": ..., "error": ...}), which the docker CLI prints as it prints dockerd's. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

struct build_job
{
  struct svc *s;
  char **argv;
  bool quiet;  /* q=1: the id is the whole stream, as dockerd's */
  int body_fd; /* the context tar (owned) */
};

static void
job_free (void *p)
{
  struct build_job *j = p;
  cleanup_strv_fn (&j->argv);
  if (j->body_fd >= 0)
    close (j->body_fd);
  free (j);
}

static enum MHD_Result
collect_arg (void *data, enum MHD_ValueKind kind, const char *key, const char *value)
{
  char ***argv = data;
  (void) kind;
  if (strcmp (key, "t") == 0 && value && *value)
    {
      capsa_strv_append (argv, "-t");
      capsa_strv_append (argv, value);
    }
  return MHD_YES;
}

/* buildargs / labels: a JSON object {"K": "V"} into --FLAG K=V; false when malformed. */
static bool
json_pairs (const char *q, const char *flag, char ***argv)
{
  if (q == NULL || *q == '\0')
    return true;
  cleanup_json json_t *o = json_loads (q, 0, NULL);
  if (!json_is_object (o))
    return false;
  const char *k;
  json_t *v;
  json_object_foreach (o, k, v)
  {
    if (json_is_null (v))
      continue;
    cleanup_free char *kv = capsa_xasprintf ("%s=%s", k, json_string_value (v) ?: "");
    capsa_strv_append (argv, flag);
    capsa_strv_append (argv, kv);
  }
  return true;
}

static void
add_opt (char ***argv, const char *flag, const char *value)
{
  if (value == NULL || *value == '\0')
    return;
  capsa_strv_append (argv, flag);
  capsa_strv_append (argv, value);
}

/* `capsa --root R build ... -` for the request; NULL with a 400 sent. */
static char **
build_argv (struct svc_req *r, enum MHD_Result *res)
{
  char **argv = NULL;
  capsa_strv_append (&argv, r->s->eng.monitor_exe);
  add_opt (&argv, "--root", r->s->eng.root);
  capsa_strv_append (&argv, "build");
  MHD_get_connection_values (r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &argv);
  add_opt (&argv, "-f", svc_query (r, "dockerfile"));
  add_opt (&argv, "--target", svc_query (r, "target"));
  const char *net = svc_query (r, "networkmode");
  add_opt (&argv, "--network", net && strcmp (net, "default") != 0 ? net : NULL);
  if (svc_query_bool (r, "nocache", false))
    capsa_strv_append (&argv, "--no-cache");
  if (svc_query_bool (r, "pull", false))
    capsa_strv_append (&argv, "--pull");
  if (svc_query_bool (r, "q", false))
    capsa_strv_append (&argv, "-q");
  if (!json_pairs (svc_query (r, "buildargs"), "--build-arg", &argv)
      || !json_pairs (svc_query (r, "labels"), "--label", &argv))
    {
      cleanup_strv_fn (&argv);
      *res = svc_reply_err (r, 400, "buildargs and labels must be JSON objects of strings");
      return NULL;
    }
  capsa_strv_append (&argv, "-");
  return argv;
}

/* The child: the tar on stdin, stdout and stderr into out. */
static pid_t
spawn (struct build_job *j, int out)
{
  pid_t pid = fork ();
  if (pid != 0)
    return pid;
  if (dup2 (j->body_fd, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
    _exit (125);
  execv (j->argv[0], j->argv);
  dprintf (2, "capsa: execute `%s`: %s\n", j->argv[0], strerror (errno));
  _exit (125);
}

/* Forward the child's output line by line; the last line is kept back (the id, or the error). */
static void
relay (int in, int fd, char *last, size_t cap)
{
  char buf[8192];
  size_t len = 0;
  last[0] = '\0';
  for (;;)
    {
      ssize_t n = read (in, buf + len, sizeof buf - len - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t) n;
      buf[len] = '\0';
      char *nl;
      while ((nl = strchr (buf, '\n')) || len == sizeof buf - 1)
        {
          size_t line = nl ? (size_t) (nl - buf) + 1 : len;
          if (last[0])
            svc_emit (fd, json_pack ("{s:s}", "stream", last));
          snprintf (last, cap, "%.*s", (int) (line < cap ? line : cap - 1), buf);
          memmove (buf, buf + line, len - line + 1);
          len -= line;
        }
    }
  if (len && last[0])
    svc_emit (fd, json_pack ("{s:s}", "stream", last));
  if (len)
    snprintf (last, cap, "%.*s", (int) (cap - 1), buf);
}

static void
build_run (void *p, int fd)
{
  struct build_job *j = p;
  int pipefd[2];
  char last[4096];
  int status = 0;
  if (pipe2 (pipefd, O_CLOEXEC) < 0)
    return svc_emit (fd, json_pack ("{s:{s:s}, s:s}", "errorDetail", "message", "pipe", "error", "pipe"));
  pid_t pid = spawn (j, pipefd[1]);
  close (pipefd[1]);
  if (pid > 0)
    relay (pipefd[0], fd, last, sizeof last);
  close (pipefd[0]);
  while (pid > 0 && waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  last[strcspn (last, "\n")] = '\0';
  if (pid > 0 && WIFEXITED (status) && WEXITSTATUS (status) == 0 && strncmp (last, "sha256:", 7) == 0)
    {
      svc_emit (fd, json_pack ("{s:{s:s}}", "aux", "ID", last));
      if (j->quiet)
        return svc_emit (fd, json_pack ("{s:s+}", "stream", last, "\n"));
      cleanup_free char *done = capsa_xasprintf ("Successfully built %.12s\n", last + 7);
      return svc_emit (fd, json_pack ("{s:s}", "stream", done));
    }
  const char *msg = strncmp (last, "capsa: ", 7) == 0 ? last + 7 : last[0] ? last : "the build failed";
  svc_emit (fd, json_pack ("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
}

enum MHD_Result
api_build (struct svc_req *r)
{
  enum MHD_Result res = MHD_NO;
  if (r->s->eng.monitor_exe == NULL)
    return svc_reply_err (r, 501, "build needs the capsa program (capsa system service gives it: --capsa)");
  if (r->body_fd < 0)
    return svc_reply_err (r, 500, "the context was not kept");
  if (svc_query (r, "remote") && *svc_query (r, "remote"))
    return svc_reply_err (r, 400, "remote contexts are not supported: send the context as the body's tar");
  char **argv = build_argv (r, &res);
  if (argv == NULL)
    return res;
  struct build_job *j = capsa_xmalloc0 (sizeof *j);
  j->s = r->s;
  j->argv = argv;
  j->quiet = svc_query_bool (r, "q", false);
  j->body_fd = fcntl (r->body_fd, F_DUPFD_CLOEXEC, 3);
  if (j->body_fd < 0 || lseek (j->body_fd, 0, SEEK_SET) < 0)
    {
      job_free (j);
      return svc_reply_err (r, 500, "the context: %s", strerror (errno));
    }
  return svc_reply_pipe (r, 200, "application/json", NULL, build_run, j, job_free);
}
