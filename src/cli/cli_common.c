/* What the capsa programs share: error and usage reporting, the global options, and finding the
 * programs installed beside `capsa` (see cli.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define CLI_COMMON_C /* (cli.h: not the analyzer's macros) */
#include "capsa/capsa.h"
#include "capsa/fault.h"
#include "capsa/options.h"
#include "capsa/hostenv.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

int
cli_fail (capsa_err **err)
{
  const char *msg = err && *err ? (*err)->msg : "unknown error";
  fprintf (stderr, "capsa: %s\n", msg);
  capsa_err_free (err);
  return CLI_EXIT_ERROR;
}

int
cli_usage (const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *text = capsa_usage_vformat ("capsa", cmd, fmt, ap);
  va_end (ap);
  fprintf (stderr, "capsa: %s\n", text);
  return CLI_EXIT_ERROR;
}

int
cli_open_store (struct cli_global *g, struct capsa_store **s)
{
  capsa_err *err = NULL;
  if (capsa_store_open (g->eng.root, s, &err) < 0)
    return cli_fail (&err);
  return 0;
}

char *
cli_familiar (struct cli_global *g, const char *full)
{
  return capsa_ref_familiar (full, g->eng.default_registry);
}

void
cli_human_size (long long bytes, char *buf, unsigned len)
{
  static const char *units[] = { "B", "kB", "MB", "GB", "TB" };
  double v = (double) bytes;
  unsigned u = 0;
  while (v >= 1000 && u + 1 < ARRAY_SIZE (units))
    {
      v /= 1000;
      u++;
    }
  if (u == 0)
    snprintf (buf, len, "%lldB", bytes);
  else
    snprintf (buf, len, "%.3g%s", v, units[u]);
}

/* docker's go-units HumanDuration: "Less than a second", "1 second", "About a minute", "5 minutes",
 * "About an hour", "3 hours", "4 days", "2 weeks", "3 months", "2 years". */
void
cli_human_since (const char *rfc3339, char *buf, unsigned len)
{
  struct tm tm = { 0 };
  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    {
      snprintf (buf, len, "N/A");
      return;
    }
  char d[48];
  capsa_human_duration ((long) difftime (time (NULL), timegm (&tm)), d, sizeof d);
  snprintf (buf, len, "%s ago", d);
}

/* RFC 3339 times, newest first; equal to the second, the rest as text ("Z" or a fraction). */
static int
newest_first (const void *a, const void *b, void *key)
{
  const char *x = json_string_value (json_object_get (*(json_t *const *) a, key)) ?: "";
  const char *y = json_string_value (json_object_get (*(json_t *const *) b, key)) ?: "";
  int r = strncmp (y, x, 19);
  return r ? r : strcmp (y, x);
}

void
cli_sort_newest_first (json_t *arr, const char *key)
{
  json_array_sort (arr, newest_first, (void *) key);
}

/* A prune's confirmation, as docker asks it: -f (force) skips it; otherwise the answer is read
 * from stdin, a tty or not (docker does the same: `yes | docker system prune`), and only "y" or
 * "yes" goes on. */
bool
cli_confirm (bool force, const char *what)
{
  if (force)
    return true;
  if (strchr (what, '\n')) /* a list: "  - all stopped containers\n  - ..." */
    printf ("WARNING! This will remove:\n%s\n\nAre you sure you want to continue? [y/N] ", what);
  else
    printf ("WARNING! This will remove %s.\nAre you sure you want to continue? [y/N] ", what);
  fflush (stdout);
  char line[64];
  if (fgets (line, sizeof line, stdin) == NULL)
    {
      printf ("\n");
      return false;
    }
  line[strcspn (line, "\r\n")] = '\0';
  return strcasecmp (line, "y") == 0 || strcasecmp (line, "yes") == 0;
}

/* the global options, before the command */
struct global_opts
{
  const char *root, *default_registry, *registries_conf, *authfile;
  char **insecure;
  bool debug, version;
};

const struct capsa_opt cli_global_opts[] = {
  CAPSA_O_STR (0, "root", struct global_opts, root, "DIR",
               "images, containers and volumes (default /var/lib/capsa, or\n"
               "$XDG_DATA_HOME/capsa when not root)\n"
               "Not root (rootless): needs /etc/subuid and /etc/subgid ranges and\n"
               "newuidmap; runtime state in $XDG_RUNTIME_DIR/capsa (else\n"
               "/tmp/capsa-UID); see README \"Rootless\""),
  CAPSA_O_STR (0, "default-registry", struct global_opts, default_registry, "HOST",
               "registry for short names like `busybox` (default docker.io)"),
  CAPSA_O_LIST (0, "insecure-registry", struct global_opts, insecure, "HOST",
                "allow plain http for HOST (repeatable; localhost and\n"
                "127.0.0.0/8 always are)"),
  CAPSA_O_STR (0, "registries-conf", struct global_opts, registries_conf, "FILE",
               "registries config (JSON: \"default-registry\",\n"
               "\"insecure-registries\"; default /etc/capsa/registries.json)"),
  CAPSA_O_STR (0, "authfile", struct global_opts, authfile, "FILE",
               "credentials written by `capsa login` (default\n"
               "$XDG_CONFIG_HOME/capsa/auth.json); ~/.docker/config.json is also read"),
  CAPSA_O_BOOL (0, "debug", struct global_opts, debug, "more detail in errors"),
  CAPSA_O_BOOL ('D', NULL, struct global_opts, debug, NULL),
  CAPSA_O_BOOL ('v', "version", struct global_opts, version, "print the version"),
  { .name = "help", .letter = 'h', .kind = CAPSA_OPT_HELP, .help = "print this help" },
  CAPSA_O_END,
};

static int
parse_global (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *), const char **flag_default)
{
  struct global_opts o = { 0 };
  capsa_err *err = NULL;
  int first = capsa_opt_parse (cli_global_opts, CAPSA_OPT_STOP | CAPSA_OPT_GLOBAL, argc, argv, &o, &err);
  if (first == CAPSA_OPT_HELP_ASKED)
    {
      usage (stdout);
      exit (0);
    }
  if (first < 0)
    {
      cli_usage ("capsa", "%s", err->msg);
      capsa_err_free (&err);
      return -1;
    }
  if (o.version)
    {
      printf ("capsa version %s\n", CAPSA_VERSION);
      exit (0);
    }
  g->eng.root = o.root;
  g->registries_conf = o.registries_conf;
  g->authfile = o.authfile;
  g->eng.debug = o.debug;
  g->insecure = o.insecure;
  *flag_default = o.default_registry;
  return first;
}

int
cli_global_init (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *))
{
  capsa_err *err = NULL;
  const char *flag_default = NULL;

  /* the library reads no environment: what it honours, it is given from ours */
  capsa_host_env_load (getenv);
  capsa_fault_setup (getenv ("CAPSA_FAULT"), getenv ("CAPSA_FAULT_STOP"));
  memset (g, 0, sizeof *g);
  g->eng.libexec_path = capsa_libexec_path;
  g->eng.xdg_runtime_dir = getenv ("XDG_RUNTIME_DIR");
  g->eng.share_dir = getenv ("CAPSA_SHARE_DIR");
  g->eng.log_max_size = getenv ("CAPSA_LOG_MAX_SIZE");
  g->eng.rootless_ctx = getenv (CAPSA_ENGINE_ROOTLESS_ENV);
  g->argc = argc;
  g->argv = argv;
  int first = parse_global (g, argc, argv, usage, &flag_default);
  if (first < 0)
    return -1;
  if (g->eng.root == NULL)
    g->eng.root = capsa_store_default_root ();
  if (capsa_registries_conf_load (g->registries_conf, &g->eng.default_registry, &g->insecure, &err) < 0)
    return cli_fail (&err), -1;
  if (flag_default)
    {
      free (g->eng.default_registry);
      g->eng.default_registry = capsa_xstrdup (flag_default);
    }
  if (first >= argc)
    {
      usage (stderr);
      return -1;
    }
  return first;
}

int
cli_main (int argc, char **argv, void (*usage) (FILE *), int (*run) (struct cli_global *g, int first))
{
  struct cli_global g;
  int first = cli_global_init (&g, argc, argv, usage);
  if (first < 0)
    return CLI_EXIT_ERROR;
  int r = run (&g, first);
  free (g.eng.default_registry); /* (the context's own: a leak checker's report otherwise) */
  return r;
}

char **
cli_same_argv (struct cli_global *g, char *argv0)
{
  /* Rootless, this process is already in the user's namespace as its root, where the default
   * root would be root's: the store chosen outside goes along explicitly. */
  char **args = capsa_xmalloc0 ((size_t) (g->argc + 3) * sizeof (char *));
  int n = 0;
  args[n++] = argv0;
  if (g->eng.rootless)
    {
      args[n++] = (char *) "--root";
      args[n++] = (char *) g->eng.root;
    }
  for (int i = 1; i < g->argc; i++)
    args[n++] = g->argv[i];
  return args;
}

int
cli_image_helper (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  cleanup_free char *path = NULL;

  if (capsa_libexec_path ("capsa-image", &path, &err) < 0)
    return capsa_err_wrap (&err, "`capsa %s`", argv[0]), cli_fail (&err);
  char **args = cli_same_argv (g, path);
  fflush (NULL);
  execv (path, args);
  capsa_fail (&err, errno, "`capsa %s`: exec %s", argv[0], path);
  free (args);
  return cli_fail (&err);
}

int
cli_group_run (struct cli_global *g, const struct cli_group *grp, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *f = argc < 2 ? stderr : stdout;
      fprintf (f, "Usage: capsa %s COMMAND [OPTIONS] ARGS...\n\nCommands:\n", grp->name);
      for (size_t i = 0; i < grp->n; i++)
        if (!grp->subs[i].alias)
          fprintf (f, "  %-11s %s\n", grp->subs[i].name, grp->subs[i].help ? grp->subs[i].help : "");
      fprintf (f, "\nRun 'capsa %s COMMAND --help' for the options of a command.\n", grp->name);
      return argc < 2 ? CLI_EXIT_ERROR : 0;
    }
  for (size_t i = 0; i < grp->n; i++)
    if (strcmp (grp->subs[i].name, argv[1]) == 0)
      return grp->subs[i].fn (g, argc - 1, argv + 1);
  return cli_usage (grp->name, "unknown command `%s`", argv[1]);
}

const struct capsa_opt cli_no_options[] = { CAPSA_O_HELP ('h'), CAPSA_O_END };

/* the column of the options' help texts */
#define HELP_COLUMN 29

void
cli_help (const struct cli_spec *spec, FILE *f)
{
  fprintf (f, "Usage: capsa %s%s%s\n\n%s\n", spec->name, spec->usage ? " " : "", spec->usage ? spec->usage : "",
           spec->summary);
  bool shown = false;
  for (const struct capsa_opt *o = spec->opts; o->name || o->letter; o++)
    shown |= o->help && !(o->flags & CAPSA_OPTF_HIDDEN);
  if (shown)
    {
      fputc ('\n', f);
      capsa_opt_help (f, spec->opts, HELP_COLUMN, 0);
    }
  if (spec->footer)
    fputs (spec->footer, f);
}

int
cli_parse (const struct cli_spec *spec, int argc, char **argv, void *base)
{
  capsa_err *err = NULL;
  int r = capsa_opt_parse (spec->opts, spec->flags, argc, argv, base, &err);
  if (r == CAPSA_OPT_HELP_ASKED)
    {
      cli_help (spec, stdout);
      return 0;
    }
  if (r == CAPSA_OPT_USAGE)
    {
      cli_usage (spec->name, "%s", err->msg);
      capsa_err_free (&err);
      return -CLI_EXIT_ERROR;
    }
  return r < 0 ? -cli_fail (&err) : r;
}

int
cli_filters (char **args, json_t **out, capsa_err **err)
{
  *out = json_object ();
  for (char **a = args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      if (eq == NULL || eq == *a)
        return capsa_fail_as (err, EINVAL, "--filter `%s`: expected KEY=VALUE", *a);
      cleanup_free char *k = strndup (*a, (size_t) (eq - *a));
      json_t *vals = json_object_get (*out, k);
      if (vals == NULL)
        json_object_set_new (*out, k, vals = json_array ());
      json_array_append_new (vals, json_string (eq + 1));
    }
  return 0;
}
