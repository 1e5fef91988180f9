/* capsa stop, restart, kill, rm, ps, wait, pause, unpause, rename, port, top, update, stats,
 * container prune: the lifecycle commands over the records of ctr.c and the library. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <locale.h>
#include <time.h>
#include <wchar.h>
#include <unistd.h>

#include "container.h"
#include "jsonutil.h"
#include "ctr.h"
#include "network.h"
#include "fsops.h"
#include "resolve_in_root.h"
#include "template.h"
#include "util.h"


/* the commands with no option but --help */
#define OPERANDS_ONLY(NAME, USAGE, SUMMARY) { NAME, USAGE, SUMMARY, cli_no_options, 0, NULL }
const struct cli_spec cli_spec_wait
    = OPERANDS_ONLY ("wait", "CONTAINER...", "Wait until containers stop; print their exit codes.");
const struct cli_spec cli_spec_pause = OPERANDS_ONLY ("pause", "CONTAINER...", "Freeze every process of containers.");
const struct cli_spec cli_spec_unpause = OPERANDS_ONLY ("unpause", "CONTAINER...", "Thaw paused containers.");
const struct cli_spec cli_spec_rename = OPERANDS_ONLY ("rename", "CONTAINER NEW-NAME", "Rename a container.");
const struct cli_spec cli_spec_port = OPERANDS_ONLY (
    "port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
    "Published ports, as docker prints them: \"80/tcp -> 0.0.0.0:8080\" (and \"80/tcp -> [::]:8080\" on a dual-stack "
    "network); with a port, only its host addresses: \"0.0.0.0:8080\".");
const struct cli_spec cli_spec_top = OPERANDS_ONLY ("top", "CONTAINER", "The container's processes (host pids).");

/* Parse a command's options (cli_parse), then drop them from argv: argv[1..argc) are the
 * operands.  Returns 1 to go on, or minus the command's exit status. */
static int
parse_drop (const struct cli_spec *spec, int *argc, char ***argv, void *base)
{
  int first = cli_parse (spec, *argc, *argv, base);
  if (first <= 0)
    return first;
  *argc -= first - 1;
  *argv += first - 1;
  return 1;
}

/* Write json o to DIR/rel (atomically, 0600: both files hold the container's env). */
static int
write_json_file (const char *dir, const char *rel, json_t *o, capsa_err **err)
{
  cleanup_free char *s = json_dumps (o, JSON_INDENT (1));
  cleanup_free char *p = xasprintf ("%s/%s", dir, rel);
  return write_file_replace_at (AT_FDCWD, p, s, strlen (s), 0600, err);
}

/* ---- stop / restart / kill ------------------------------------------------------------------ */

static int
ctr_stop (struct cli_global *g, struct ctr *c, int timeout, capsa_err **err)
{
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  /* asked first, whatever the state: a monitor between two runs of a restart policy reads it */
  if (write_file_replace_at (AT_FDCWD, stop, "", 0, 0644, err) < 0)
    return -1;
  if (timeout < 0)
    {
      json_t *t = json_object_get (json_object_get (c->meta, "Config"), "StopTimeout");
      timeout = t ? (int) json_integer_value (t) : 10;
    }
  const char *signame = json_string_value (json_object_get (json_object_get (c->meta, "Config"), "StopSignal"));
  int sig = signame ? capsa_signal_parse (signame) : SIGTERM;
  /* A monitor that passed its last look at stop-requested may start one more run: stop that
   * one too, until the monitor has gone (it leaves once no restart is coming). */
  for (int round = 0; round < 3; round++)
    {
      cleanup_err capsa_err *e = NULL;
      ctr_refresh (g, c);
      if (c->status == CTR_RUNNING && timeout > 0 && round == 0)
        {
          capsa_container_kill (c->oci_root, c->id, sig > 0 ? sig : SIGTERM, false, &e);
          ctr_wait_exited (g, c, timeout * 1000);
          ctr_refresh (g, c);
        }
      if (c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_CREATED)
        {
          capsa_err_free (&e);
          capsa_container_kill (c->oci_root, c->id, SIGKILL, true, &e);
          if (ctr_wait_exited (g, c, 15000) < 0)
            return capsa_fail_as (err, ETIMEDOUT, "container %s did not stop after SIGKILL", ctr_name (c));
        }
      for (int i = 0; i < 400 && ctr_monitor_alive (c); i++) /* its back-off is at most 5 s */
        nanosleep (&(struct timespec){ 0, 20 * 1000000 }, NULL);
      if (!ctr_monitor_alive (c))
        return 0;
    }
  ctr_refresh (g, c);
  return c->status == CTR_EXITED ? 0 : capsa_fail_as (err, EBUSY, "container %s keeps restarting", ctr_name (c));
}

struct stop_opts
{
  int timeout;
};
static const struct capsa_opt time_opts[] = {
  CAPSA_O_INT ('t', "time", struct stop_opts, timeout, 0, 86400, "SECONDS", "seconds to wait before SIGKILL"),
  CAPSA_O_INT (0, "timeout", struct stop_opts, timeout, 0, 86400, "SECONDS", NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_stop
    = { "stop", "[-t SECONDS] CONTAINER...", "Send the stop signal, then SIGKILL after the timeout (default 10 s).",
        time_opts, CAPSA_OPT_STOP, NULL };
const struct cli_spec cli_spec_restart
    = { "restart", "[-t SECONDS] CONTAINER...", "Stop, then start again.", time_opts, CAPSA_OPT_STOP, NULL };

/* stop's and restart's -t; *first: the first container */
static int
parse_time_flag (const struct cli_spec *spec, int argc, char **argv, int *timeout, int *first)
{
  struct stop_opts o = { .timeout = -1 };
  *first = cli_parse (spec, argc, argv, &o);
  if (*first <= 0)
    return -*first;
  if (*first >= argc)
    return cli_usage (spec->name, "requires at least 1 argument (CONTAINER)");
  *timeout = o.timeout;
  return -1;
}

int
cmd_stop (struct cli_global *g, int argc, char **argv)
{
  int timeout, first, status = parse_time_flag (&cli_spec_stop, argc, argv, &timeout, &first);
  if (status >= 0)
    return status;
  status = 0;
  for (int i = first; i < argc; i++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      if (ctr_find (g, argv[i], &c, &err) < 0 || ctr_stop (g, c, timeout, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}

int
cmd_restart (struct cli_global *g, int argc, char **argv)
{
  int timeout, first, status = parse_time_flag (&cli_spec_restart, argc, argv, &timeout, &first);
  if (status >= 0)
    return status;
  status = 0;
  for (int i = first; i < argc; i++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      if (ctr_find (g, argv[i], &c, &err) < 0 || ctr_stop (g, c, timeout, &err) < 0)
        {
          status = cli_fail (&err);
          continue;
        }
      ctr_wait_exited (g, c, 15000);
      ctr_refresh (g, c);
      if (ctr_start (g, c, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}

static const struct capsa_opt kill_opts[] = {
  { .name = "signal", .letter = 's', .kind = CAPSA_OPT_STRING, .arg = "SIGNAL", .help = "the signal (default KILL)" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_kill = { "kill", "[-s SIGNAL] CONTAINER...",
                                        "Send a signal (default KILL) to the container's main process.", kill_opts,
                                        CAPSA_OPT_STOP, NULL };

int
cmd_kill (struct cli_global *g, int argc, char **argv)
{
  const char *signame = "KILL";
  int status = 0, first = cli_parse (&cli_spec_kill, argc, argv, &signame);
  if (first <= 0)
    return -first;
  int sig = capsa_signal_parse (signame);
  if (sig <= 0)
    return cli_usage ("kill", "unknown signal `%s`", signame);
  if (first >= argc)
    return cli_usage ("kill", "requires at least 1 argument (CONTAINER)");
  for (int i = first; i < argc; i++)
    {
      cleanup_ctr struct ctr *ct = NULL;
      capsa_err *err = NULL;
      if (ctr_find (g, argv[i], &ct, &err) < 0)
        {
          status = cli_fail (&err);
          continue;
        }
      if (ct->status != CTR_RUNNING && ct->status != CTR_PAUSED)
        {
          capsa_fail_as (&err, EINVAL, "cannot kill container %s: it is not running", argv[i]);
          status = cli_fail (&err);
          continue;
        }
      if (sig == SIGKILL || sig == SIGTERM)
        {
          /* docker counts a kill as a manual stop: no restart */
          cleanup_free char *stop = xasprintf ("%s/stop-requested", ct->dir);
          write_file_replace_at (AT_FDCWD, stop, "", 0, 0644, NULL);
        }
      if (capsa_container_kill (ct->oci_root, ct->id, sig, sig == SIGKILL, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}

/* ---- rm ------------------------------------------------------------------------------------ */

struct rm_opts
{
  bool force, volumes;
};
static const struct capsa_opt rm_opts[] = {
  CAPSA_O_BOOL ('f', "force", struct rm_opts, force, "kill a running container first"),
  CAPSA_O_BOOL ('v', "volumes", struct rm_opts, volumes, "remove its anonymous volumes too"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_rm = { "rm", "[-f] [-v] CONTAINER...", "Remove containers.", rm_opts, CAPSA_OPT_STOP, NULL };

int
cmd_rm (struct cli_global *g, int argc, char **argv)
{
  struct rm_opts o = { 0 };
  int status = 0, first = cli_parse (&cli_spec_rm, argc, argv, &o);
  if (first <= 0)
    return -first;
  bool force = o.force, vols = o.volumes;
  if (first >= argc)
    return cli_usage ("rm", "requires at least 1 argument (CONTAINER)");
  for (int i = first; i < argc; i++)
    {
      cleanup_ctr struct ctr *ct = NULL;
      capsa_err *err = NULL;
      if (ctr_find (g, argv[i], &ct, &err) < 0 || ctr_remove (g, ct, force, vols, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}

/* The bytes a container's writable layer holds (what removing it reclaims). */
static long long
ctr_disk_size (struct cli_global *g, const char *id)
{
  static const char *subs[] = { "upper", "rootfs" };
  long long n = 0;
  for (size_t k = 0; k < ARRAY_SIZE (subs); k++)
    {
      cleanup_free char *p = xasprintf ("%s/containers/%s/%s", g->root, id, subs[k]);
      cleanup_close int fd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0)
        n += fs_tree_size (fd);
    }
  return n;
}

/* Remove every stopped container, printing docker's "Deleted Containers:" list; *reclaimed gets
 * the bytes freed (system prune sums it with the images'). */
void
ctr_prune_stopped (struct cli_global *g, long long *reclaimed)
{
  cleanup_strv char **ids = ctr_list_ids (g);
  bool any = false;
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      /* every container that is not running, as docker's: exited, created (never started) and
       * dead (a half-created one, whose creation died) */
      if (ctr_load (g, *id, &c, NULL) < 0
          || (c->status != CTR_EXITED && c->status != CTR_CREATED && c->status != CTR_DEAD))
        continue;
      long long size = ctr_disk_size (g, *id);
      if (ctr_remove (g, c, false, false, &err) < 0)
        {
          cli_fail (&err);
          continue;
        }
      printf ("%s%s\n", any ? "" : "Deleted Containers:\n", *id);
      any = true;
      *reclaimed += size;
    }
  if (any)
    printf ("\n");
}

static const struct capsa_opt force_opts[] = {
  { .name = "force", .letter = 'f', .kind = CAPSA_OPT_BOOL, .help = "do not ask for confirmation" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_container_prune
    = { "container prune", "[-f]", "Remove every stopped container.", force_opts, 0, NULL };

int
cmd_container_prune (struct cli_global *g, int argc, char **argv)
{
  bool force = false;
  int first = cli_parse (&cli_spec_container_prune, argc, argv, &force);
  if (first <= 0)
    return -first;
  if (!cli_confirm (force, "all stopped containers"))
    return 0;
  long long reclaimed = 0;
  char size[32];
  ctr_prune_stopped (g, &reclaimed);
  cli_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* ---- ps ------------------------------------------------------------------------------------ */

static char *
command_text (json_t *meta)
{
  size_t n = 0, i;
  json_t *v;
  char *s = xstrdup (json_string_value (json_object_get (meta, "Path")) ?: "");
  json_array_foreach (json_object_get (meta, "Args"), i, v)
  {
    char *t = xasprintf ("%s %s", s, json_string_value (v));
    free (s);
    s = t;
  }
  (void) n;
  return s;
}

static json_t *
ps_json (struct ctr *c)
{
  char st[128];
  ctr_status_text (c, st, sizeof st);
  cleanup_free char *cmd = command_text (c->meta);
  cleanup_free char *ports = ctr_ports_text (c);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I, s:O*, s:s}", "ID", c->id, "Names", ctr_name (c),
                    "Image", json_string_value (json_object_get (c->meta, "ImageName")) ?: "", "Command", cmd,
                    "CreatedAt", json_string_value (json_object_get (c->meta, "Created")) ?: "", "State",
                    ctr_status_name (c->status), "Status", st, "ExitCode", c->exit_code, "Pid", (json_int_t) c->pid,
                    "Labels", json_object_get (json_object_get (c->meta, "Config"), "Labels"), "Ports", ports);
}

/* Display columns of the UTF-8 character at p (its length in *len); a bad byte is one column. */
static int
char_width (const char *p, size_t *len)
{
  mbstate_t st = { 0 };
  wchar_t wc;
  size_t k = mbrtowc (&wc, p, strlen (p), &st);
  if (k == (size_t) -1 || k == (size_t) -2 || k == 0)
    {
      *len = 1;
      return 1;
    }
  *len = k;
  int w = wcwidth (wc);
  return w < 0 ? 1 : w;
}

/* The COMMAND cell: quoted, cut to 20 display columns with "…" (docker's Ellipsis), then padded
 * to 24 columns by display width, not bytes: a multibyte or wide command must not shift the
 * columns after it. */
static void
print_command_cell (const char *command, bool notrunc)
{
  locale_t utf8 = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale (utf8) : (locale_t) 0;
  size_t cut = 0, len;
  int w = 0, wcut = 0;
  for (const char *p = command; *p; p += len)
    {
      int cw = char_width (p, &len);
      if (w + cw <= 19)
        cut = (size_t) (p - command) + len, wcut = w + cw;
      w += cw;
    }
  int shown = w + 2;
  if (notrunc || w <= 20)
    printf ("\"%s\"", command);
  else
    printf ("\"%.*s…\"", (int) cut, command), shown = wcut + 3;
  printf ("%*s   ", shown < 24 ? 24 - shown : 0, "");
  if (utf8)
    {
      uselocale (old);
      freelocale (utf8);
    }
}

struct ps_opts
{
  bool all, quiet, notrunc;
  const char *format;
};
static const struct capsa_opt ps_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct ps_opts, all, "all containers (default: the running ones)"),
  CAPSA_O_BOOL ('q', "quiet", struct ps_opts, quiet, "only their ids"),
  CAPSA_O_STR (0, "format", struct ps_opts, format, "FORMAT", "json, or a Go template ({{.ID}} {{.Names}})"),
  CAPSA_O_BOOL (0, "no-trunc", struct ps_opts, notrunc, "do not shorten ids and commands"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_ps
    = { "ps", "[-a] [-q] [--format json] [--no-trunc]", "List containers (running ones; -a: all).", ps_opts, 0, NULL };

int
cmd_ps (struct cli_global *g, int argc, char **argv)
{
  struct ps_opts o = { 0 };
  int first = cli_parse (&cli_spec_ps, argc, argv, &o);
  if (first <= 0)
    return -first;
  bool all = o.all, quiet = o.quiet, notrunc = o.notrunc;
  const char *format = o.format;
  bool tmpl = format && strcmp (format, "{{json .}}") != 0 && cli_template_is (format);
  if (format && !tmpl && strcmp (format, "json") != 0 && strcmp (format, "{{json .}}") != 0)
    return cli_usage ("ps", "--format: `json` or a Go template ({{.ID}} {{.Names}})");
  cleanup_strv char **ids = ctr_list_ids (g);
  json_t *arr = json_array ();
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *ct = NULL;
      if (ctr_load (g, *id, &ct, NULL) < 0)
        continue;
      if (!all && ct->status != CTR_RUNNING && ct->status != CTR_PAUSED && ct->status != CTR_RESTARTING)
        continue;
      json_array_append_new (arr, ps_json (ct));
    }
  cli_sort_newest_first (arr, "CreatedAt");
  size_t i;
  json_t *v;
  capsa_err *err = NULL;
  if (tmpl)
    {
      int r = cli_template_print_each (format, arr, &err);
      json_decref (arr);
      return r < 0 ? cli_fail (&err) : 0;
    }
  if (format)
    {
      char *s = json_dumps (arr, JSON_INDENT (2));
      puts (s);
      free (s);
    }
  else if (quiet)
    json_array_foreach (arr, i, v)
    printf ("%.*s\n", notrunc ? 64 : 12, json_string_value (json_object_get (v, "ID")));
  else
    {
      printf ("%-12s   %-20s   %-24s   %-18s   %-28s   %-6s %s\n", "CONTAINER ID", "IMAGE", "COMMAND", "CREATED",
              "STATUS", "PORTS", "NAMES");
      json_array_foreach (arr, i, v)
      {
        char created[64];
        cli_human_since (json_string_value (json_object_get (v, "CreatedAt")), created, sizeof created);
        printf ("%-12.*s   %-20s   ", notrunc ? 64 : 12, json_string_value (json_object_get (v, "ID")),
                json_string_value (json_object_get (v, "Image")));
        print_command_cell (json_string_value (json_object_get (v, "Command")), notrunc);
        printf ("%-18s   %-28s   %-6s %s\n", created, json_string_value (json_object_get (v, "Status")), json_string_value (json_object_get (v, "Ports")),
                json_string_value (json_object_get (v, "Names")));
      }
    }
  json_decref (arr);
  return 0;
}

/* ---- wait, pause, unpause, rename, port ---------------------------------------------------- */

int
cmd_wait (struct cli_global *g, int argc, char **argv)
{
  int status = 0;
  int go = parse_drop (&cli_spec_wait, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc < 2)
    return cli_usage ("wait", "requires at least 1 argument (CONTAINER)");
  for (int i = 1; i < argc; i++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      if (ctr_find (g, argv[i], &c, &err) < 0)
        {
          status = cli_fail (&err);
          continue;
        }
      /* a created container waits for its start, a restarting one for its last run */
      while (ctr_wait_exited (g, c, 1000) < 0 || c->status == CTR_RESTARTING)
        ;
      printf ("%d\n", c->exit_code);
      fflush (stdout);
    }
  return status;
}

/* Refused before the library is asked, as docker: "container X is not running/paused". */
static int
pause_one (struct cli_global *g, const char *what, bool pause, capsa_err **err)
{
  cleanup_ctr struct ctr *c = NULL;
  if (ctr_find (g, what, &c, err) < 0)
    return -1;
  if (pause && c->status != CTR_RUNNING)
    return capsa_fail_as (err, EINVAL, "container %s is not running (it is %s)", what, ctr_status_name (c->status));
  if (!pause && c->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL, "container %s is not paused (it is %s)", what, ctr_status_name (c->status));
  return capsa_container_pause (c->oci_root, c->id, pause, err);
}

static int
pause_cmd (struct cli_global *g, int argc, char **argv, bool pause)
{
  const char *cmd = pause ? "pause" : "unpause";
  int status = 0;
  if (argc < 2)
    return cli_usage (cmd, "requires at least 1 argument (CONTAINER)");
  for (int i = 1; i < argc; i++)
    {
      capsa_err *err = NULL;
      if (pause_one (g, argv[i], pause, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}

int
cmd_pause (struct cli_global *g, int argc, char **argv)
{
  int go = parse_drop (&cli_spec_pause, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  return pause_cmd (g, argc, argv, true);
}

int
cmd_unpause (struct cli_global *g, int argc, char **argv)
{
  int go = parse_drop (&cli_spec_unpause, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  return pause_cmd (g, argc, argv, false);
}

int
cmd_rename (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int go = parse_drop (&cli_spec_rename, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc != 3)
    return cli_usage ("rename", "requires exactly 2 arguments (CONTAINER NEW-NAME)");
  if (!ctr_valid_name (argv[2]))
    return cli_usage ("rename", "invalid container name `%s`", argv[2]);
  if (ctr_find (g, argv[1], &c, &err) < 0 || ctr_name_reserve (g, argv[2], c->id, &err) < 0)
    return cli_fail (&err);
  const char *old = ctr_name (c);
  cleanup_free char *oldname = xstrdup (old);
  cleanup_free char *nm = xasprintf ("/%s", argv[2]);
  json_object_set_new (c->meta, "Name", json_string (nm));
  if (write_json_file (c->dir, "container.json", c->meta, &err) < 0)
    {
      ctr_name_release (g, argv[2], c->id);
      return cli_fail (&err);
    }
  if (strcmp (oldname, c->id) != 0)
    ctr_name_release (g, oldname, c->id);
  ctr_net_renamed (g, c);
  return 0;
}

/* One binding as `port` prints it: "0.0.0.0:8080", "[::]:8080". */
static void
print_binding (const char *prefix, json_t *b)
{
  const char *ip = jstr (b, "HostIp") ?: "";
  if (strchr (ip, ':'))
    printf ("%s[%s]:%s\n", prefix, ip, jstr (b, "HostPort") ?: "");
  else
    printf ("%s%s:%s\n", prefix, ip, jstr (b, "HostPort") ?: "");
}

/* `capsa port CONTAINER [PORT[/PROTO]]`: what its running container publishes (run.json's Ports,
 * with the ephemeral ports as reserved), docker's output; a PORT that is not published is an error. */
int
cmd_port (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int go = parse_drop (&cli_spec_port, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc < 2 || argc > 3)
    return cli_usage ("port", "requires 1 or 2 arguments (CONTAINER [PRIVATE_PORT[/PROTO]])");
  if (ctr_find (g, argv[1], &c, &err) < 0)
    return cli_fail (&err);
  json_t *ports = ctr_ports_live (c), *v, *b;
  const char *key;
  size_t i;
  if (argc == 3)
    {
      cleanup_free char *want = strchr (argv[2], '/') ? xstrdup (argv[2]) : xasprintf ("%s/tcp", argv[2]);
      json_t *arr = json_object_get (ports, want);
      if (json_array_size (arr) == 0)
        {
          capsa_fail_as (&err, ENOENT, "no public port `%s` published for %s", want, argv[1]);
          return cli_fail (&err);
        }
      json_array_foreach (arr, i, b)
      print_binding ("", b);
      return 0;
    }
  json_object_foreach (ports, key, v)
  {
    cleanup_free char *prefix = xasprintf ("%s -> ", key);
    json_array_foreach (v, i, b)
    print_binding (prefix, b);
  }
  return 0;
}

/* ---- top, update, stats -------------------------------------------------------------------- */

/* The user name of host uid `uid` as container process pid sees it: its uid_map back to the
 * container's uid, then the container's /etc/passwd, opened inside its root (resolve_in_root.h: a symlink
 * there cannot reach a host file).  NULL: no name (the number is shown, as ps does). */
static char *
top_user (pid_t pid, long uid)
{
  char path[64], line[512];
  snprintf (path, sizeof path, "/proc/%d/uid_map", (int) pid);
  FILE *m = fopen (path, "re");
  long in, out, cnt, cuid = -1;
  while (m && cuid < 0 && fscanf (m, "%ld %ld %ld", &in, &out, &cnt) == 3)
    if (uid >= out && uid < out + cnt)
      cuid = in + (uid - out);
  if (m)
    fclose (m);
  snprintf (path, sizeof path, "/proc/%d/root", (int) pid);
  cleanup_close int root = cuid < 0 ? -1 : open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_err capsa_err *e = NULL;
  int fd = root < 0 ? -1 : rootpath_open (root, "/etc/passwd", O_RDONLY, &e);
  FILE *f = fd < 0 ? NULL : fdopen (fd, "re");
  char *name = NULL;
  if (fd >= 0 && f == NULL)
    close (fd);
  while (f && name == NULL && fgets (line, sizeof line, f))
    {
      char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c2 && strtol (c2 + 1, NULL, 10) == cuid && c2[1] != ':')
        name = strndup (line, (size_t) (c1 - line));
    }
  if (f)
    fclose (f);
  return name;
}

int
cmd_top (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  pid_t *pids = NULL;
  size_t n = 0;
  int go = parse_drop (&cli_spec_top, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc < 2)
    return cli_usage ("top", "requires at least 1 argument (CONTAINER)");
  if (ctr_find (g, argv[1], &c, &err) < 0)
    return cli_fail (&err);
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    {
      capsa_fail_as (&err, EINVAL, "container %s is not running", argv[1]);
      return cli_fail (&err);
    }
  if (capsa_container_pids (c->oci_root, c->id, &pids, &n, &err) < 0)
    return cli_fail (&err);
  printf ("%-8s %-8s %-8s %s\n", "UID", "PID", "PPID", "CMD");
  for (size_t i = 0; i < n; i++)
    {
      char path[64];
      cleanup_free char *cmdline = NULL, *status = NULL;
      size_t len = 0;
      snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pids[i]);
      if (read_file_at (AT_FDCWD, path, &cmdline, &len, NULL) < 0)
        continue;
      for (size_t k = 0; k + 1 < len; k++)
        if (cmdline[k] == '\0')
          cmdline[k] = ' ';
      snprintf (path, sizeof path, "/proc/%d/status", (int) pids[i]);
      int uid = -1, ppid = -1;
      if (read_file_at (AT_FDCWD, path, &status, NULL, NULL) == 0)
        {
          char *u = strstr (status, "\nUid:");
          char *p = strstr (status, "\nPPid:");
          if (u)
            uid = atoi (u + 5);
          if (p)
            ppid = atoi (p + 6);
        }
      cleanup_free char *user = uid >= 0 ? top_user (pids[i], uid) : NULL;
      if (user)
        printf ("%-8s %-8d %-8d %s\n", user, (int) pids[i], ppid, cmdline);
      else
        printf ("%-8d %-8d %-8d %s\n", uid, (int) pids[i], ppid, cmdline);
    }
  free (pids);
  return 0;
}

/* The HostConfig fields (docker's names) an update's resources set. */
static void
update_host_config (json_t *hc, json_t *res)
{
  json_t *mem = json_object_get (res, "memory"), *cpu = json_object_get (res, "cpu"), *v;
  if ((v = json_object_get (mem, "limit")))
    json_object_set (hc, "Memory", v);
  if ((v = json_object_get (mem, "swap")))
    json_object_set (hc, "MemorySwap", v);
  if ((v = json_object_get (cpu, "quota")))
    {
      /* --cpus N is stored as docker does, NanoCpus = N * 1e9 (quota over a 100ms period) */
      json_object_set_new (hc, "NanoCpus", json_integer (json_integer_value (v) * 10000));
      json_object_set (hc, "CpuQuota", v);
      json_object_set (hc, "CpuPeriod", json_object_get (cpu, "period"));
    }
  if ((v = json_object_get (cpu, "shares")))
    json_object_set (hc, "CpuShares", v);
  if ((v = json_object_get (cpu, "cpus")))
    json_object_set (hc, "CpusetCpus", v);
  if ((v = json_object_get (json_object_get (res, "pids"), "limit")))
    json_object_set (hc, "PidsLimit", v);
}

/* Keep an update for the container's next start (docker does): its HostConfig in container.json
 * and linux.resources in the bundle's config.json, which the next start uses. */
static int
update_persist (struct ctr *c, json_t *res, capsa_err **err)
{
  cleanup_free char *cfgpath = xasprintf ("%s/bundle/config.json", c->dir);
  json_error_t je;
  json_t *cfg = json_load_file (cfgpath, 0, &je);
  if (cfg == NULL)
    return capsa_fail_as (err, EINVAL, "update `%s`: reading its configuration: %s", ctr_name (c), je.text);
  json_t *rs = json_child_object (json_child_object (cfg, "linux"), "resources");
  json_t *hc = json_child_object (c->meta, "HostConfig");
  if (rs == NULL || hc == NULL)
    {
      json_decref (cfg);
      return capsa_fail_as (err, EINVAL, "update `%s`: its linux.resources or HostConfig is not an object",
                            ctr_name (c));
    }
  json_merge_sections (rs, res);
  update_host_config (hc, res);
  int r = write_json_file (c->dir, "bundle/config.json", cfg, err);
  json_decref (cfg);
  if (r < 0)
    return -1;
  return write_json_file (c->dir, "container.json", c->meta, err);
}

/* Update one container: live when it runs, and kept for its next start in any state. */
static int
update_one (struct cli_global *g, const char *what, json_t *res, capsa_err **err)
{
  cleanup_ctr struct ctr *ct = NULL;
  if (ctr_find (g, what, &ct, err) < 0)
    return -1;
  if ((ct->status == CTR_RUNNING || ct->status == CTR_PAUSED)
      && capsa_container_update (ct->oci_root, ct->id, res, err) < 0)
    return -1;
  return update_persist (ct, res, err);
}

struct update_opts
{
  long long memory, swap, shares, pids;
  double cpus;
  const char *cpuset;
};
#define U struct update_opts
static const struct capsa_opt update_opts[] = {
  CAPSA_O_SIZE ('m', "memory", U, memory, "BYTES", "memory limit (-1: unlimited)", .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_SIZE (0, "memory-swap", U, swap, "BYTES", "memory + swap limit (-1: unlimited)", .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_NUMBER (0, "cpus", U, cpus, "N", "CPU quota (0.5 = half a CPU)"),
  CAPSA_O_INT64 ('c', "cpu-shares", U, shares, 0, INT64_MAX, "N", "relative CPU weight"),
  CAPSA_O_STR (0, "cpuset-cpus", U, cpuset, "LIST", "CPUs allowed (0-1, 0,2)"),
  CAPSA_O_INT64 (0, "pids-limit", U, pids, -1, INT64_MAX, "N", "most processes at once (-1: unlimited)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef U
const struct cli_spec cli_spec_update
    = { "update", "[--memory B] [--memory-swap B] [--cpus N] [--cpu-shares N] [--cpuset-cpus L] [--pids-limit N] CONTAINER...",
        "Change a running container's resource limits.", update_opts, CAPSA_OPT_STOP, NULL };

static json_t *
child_object (json_t *o, const char *key)
{
  if (json_object_get (o, key) == NULL)
    json_object_set_new (o, key, json_object ());
  return json_object_get (o, key);
}

/* update's flags as an OCI resources object */
static int
update_resources (const struct update_opts *o, json_t *res, capsa_err **err)
{
  if (o->memory && ctr_check_limits (o->memory, 0, err) < 0)
    return -1;
  if (o->cpus && ctr_check_limits (0, o->cpus, err) < 0)
    return -1;
  if (o->memory)
    json_object_set_new (child_object (res, "memory"), "limit", json_integer (o->memory));
  if (o->swap)
    json_object_set_new (child_object (res, "memory"), "swap", json_integer (o->swap));
  if (o->cpus)
    {
      json_object_set_new (child_object (res, "cpu"), "period", json_integer (100000));
      json_object_set_new (child_object (res, "cpu"), "quota", json_integer ((json_int_t) (o->cpus * 100000)));
    }
  if (o->shares >= 0)
    json_object_set_new (child_object (res, "cpu"), "shares", json_integer (o->shares));
  if (o->cpuset)
    json_object_set_new (child_object (res, "cpu"), "cpus", json_string (o->cpuset));
  if (o->pids != LLONG_MIN)
    json_object_set_new (res, "pids", json_pack ("{s:I}", "limit", (json_int_t) o->pids));
  return 0;
}

int
cmd_update (struct cli_global *g, int argc, char **argv)
{
  struct update_opts o = { .shares = -1, .pids = LLONG_MIN };
  capsa_err *err = NULL;
  int status = 0, first = cli_parse (&cli_spec_update, argc, argv, &o);
  if (first <= 0)
    return -first;
  json_t *res = json_object ();
  if (update_resources (&o, res, &err) < 0)
    return json_decref (res), cli_fail (&err);
  if (first >= argc)
    return json_decref (res), cli_usage ("update", "requires at least 1 argument (CONTAINER)");
  for (int i = first; i < argc; i++)
    {
      if (update_one (g, argv[i], res, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  json_decref (res);
  return status;
}

static long long
jnum (json_t *o, const char *a, const char *b)
{
  return json_integer_value (json_object_get (json_object_get (o, a), b));
}

struct stats_opts
{
  bool no_stream;
  const char *format;
};
static const struct capsa_opt stats_opts[] = {
  CAPSA_O_BOOL (0, "no-stream", struct stats_opts, no_stream, "one sample (the only mode)"),
  CAPSA_O_STR (0, "format", struct stats_opts, format, "json", "one JSON object per container"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_stats
    = { "stats", "--no-stream [--format json] [CONTAINER...]", "One sample of resource use.", stats_opts, 0, NULL };

int
cmd_stats (struct cli_global *g, int argc, char **argv)
{
  struct stats_opts so = { 0 };
  int first = cli_parse (&cli_spec_stats, argc, argv, &so);
  if (first <= 0)
    return -first;
  bool json_fmt = so.format && strcmp (so.format, "json") == 0;
  char **names = xmalloc0 (sizeof (char *));
  for (int i = first; i < argc; i++)
    strv_append (&names, argv[i]);
  if (names[0] == NULL)
    {
      cleanup_strv char **ids = ctr_list_ids (g);
      for (char **id = ids; *id; id++)
        strv_append (&names, *id);
    }
  if (!json_fmt)
    printf ("%-12s   %-20s %-22s %-8s %s\n", "CONTAINER ID", "NAME", "MEM USAGE / LIMIT", "PIDS", "CPU TIME");
  for (char **n = names; *n; n++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      json_t *data = NULL;
      long long ooms;
      bool running;
      if (ctr_find (g, *n, &c, &err) < 0)
        {
          cli_fail (&err);
          continue;
        }
      if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
        continue;
      if (capsa_container_stats (c->oci_root, c->id, &data, &ooms, &running, &err) < 0)
        {
          cli_fail (&err);
          continue;
        }
      if (json_fmt)
        {
          json_t *o = json_pack ("{s:s, s:s, s:O}", "ID", c->id, "Name", ctr_name (c), "Stats", data);
          char *s = json_dumps (o, JSON_COMPACT);
          puts (s);
          free (s);
          json_decref (o);
        }
      else
        {
          char used[32], lim[32];
          json_t *mem = json_object_get (json_object_get (data, "memory"), "usage");
          cli_human_size (json_integer_value (json_object_get (mem, "usage")), used, sizeof used);
          long long l = json_integer_value (json_object_get (mem, "limit"));
          if (l <= 0 || l > (1LL << 60))
            snprintf (lim, sizeof lim, "unlimited");
          else
            cli_human_size (l, lim, sizeof lim);
          char both[72];
          snprintf (both, sizeof both, "%s / %s", used, lim);
          printf ("%-12.12s   %-20s %-22s %-8lld %.2fs\n", c->id, ctr_name (c), both, jnum (data, "pids", "current"),
                  (double) jnum (json_object_get (data, "cpu"), "usage", "total") / 1e9);
        }
      json_decref (data);
    }
  cleanup_strv_fn (&names);
  return 0;
}
