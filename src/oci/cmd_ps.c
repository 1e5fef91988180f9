/* capsa-oci ps [--format table|json] ID [PS-ARGS...]: the container's processes.
 * json: an array of host pids.  table: ps(1) run with PS-ARGS (default -ef), keeping the header
 * and the lines whose PID column is one of the container's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capsa/util.h"
#include "oci.h"

/* Index of the PID column in ps's header, -1 when there is none. */
static int
pid_column (const char *header)
{
  cleanup_free char *h = capsa_xstrdup (header);
  char *save = NULL;
  int i = 0;
  for (char *t = strtok_r (h, " \t\n", &save); t; t = strtok_r (NULL, " \t\n", &save), i++)
    if (strcmp (t, "PID") == 0)
      return i;
  return -1;
}

static bool
line_has_pid (const char *line, int col, const pid_t *pids, size_t n)
{
  cleanup_free char *l = capsa_xstrdup (line);
  char *save = NULL, *t = strtok_r (l, " \t\n", &save);
  for (int i = 0; t && i < col; i++)
    t = strtok_r (NULL, " \t\n", &save);
  if (t == NULL)
    return false;
  long pid = strtol (t, NULL, 10);
  for (size_t i = 0; i < n; i++)
    if (pids[i] == pid)
      return true;
  return false;
}

static int
print_table (char **ps_args, int nargs, const pid_t *pids, size_t n)
{
  cleanup_free char **argv = capsa_xmalloc0 ((size_t) (nargs + 3) * sizeof *argv);
  int fds[2], status;
  argv[0] = "ps";
  if (nargs == 0)
    argv[1] = "-ef";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = ps_args[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -1;
  pid_t child = fork ();
  if (child < 0)
    return -1;
  if (child == 0)
    {
      dup2 (fds[1], 1);
      execvp ("ps", argv);
      dprintf (2, "capsa-oci: exec ps: %s\n", strerror (errno));
      _exit (127);
    }
  close (fds[1]);
  FILE *f = fdopen (fds[0], "r");
  char *line = NULL;
  size_t cap = 0;
  int col = -1;
  bool first = true;
  while (f && getline (&line, &cap, f) > 0)
    {
      if (first)
        {
          col = pid_column (line);
          fputs (line, stdout);
          first = false;
        }
      else if (col >= 0 && line_has_pid (line, col, pids, n))
        fputs (line, stdout);
    }
  free (line);
  if (f)
    fclose (f);
  waitpid (child, &status, 0);
  if (col < 0)
    {
      fprintf (stderr, "capsa-oci: ps: the output of ps has no PID column\n");
      return -1;
    }
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : -1;
}

static const struct capsa_opt ps_opts[] = {
  { .name = "format", .letter = 'f', .kind = CAPSA_OPT_STRING, .arg = "table|json", .check = oci_check_format },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_ps = {
  "ps",
  "[--format table|json] CONTAINER-ID [PS-ARGS...]",
  "json: the host pids of the container's processes; table: ps PS-ARGS (default -ef) for them.\n",
  ps_opts,
  CAPSA_OPT_STOP,
  0,
  0,
};

int
cmd_ps (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  const char *format = "table";
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  int first = oci_parse (&oci_cmd_ps, argc, argv, &format);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (first >= argc)
    return oci_usage ("ps", "requires the container id");
  if (capsa_container_pids (g->root, argv[first], &pids, &n, &err) < 0)
    return oci_fail (&err);
  if (strcmp (format, "json") == 0)
    {
      if (first + 1 < argc)
        return oci_usage ("ps", "ps arguments cannot be used with --format json");
      printf ("[");
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      printf ("]\n");
      return 0;
    }
  fflush (stdout);
  return print_table (argv + first + 1, argc - first - 1, pids, n) < 0 ? 1 : 0;
}
