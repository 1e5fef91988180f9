/* What the capsa programs share: error and usage reporting, the global options, and finding the
 * programs installed beside `capsa` (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "capsa.h"
#include "cli.h"
#include "jsonutil.h"
#include "reference.h"
#include "registry.h"
#include "selfexe.h"
#include "util.h"

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
  char *msg = NULL;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (strcmp (cmd, "capsa") == 0)
    fprintf (stderr, "capsa: %s (see `capsa --help`)\n", msg ? msg : "invalid usage");
  else
    fprintf (stderr, "capsa: %s: %s (see `capsa %s --help`)\n", cmd, msg ? msg : "invalid usage", cmd);
  free (msg);
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
cli_human_duration (long d, char *buf, unsigned len)
{
  long h = (d + 1800) / 3600; /* go-units rounds the hours */
  if (d < 1)
    snprintf (buf, len, "Less than a second");
  else if (d == 1)
    snprintf (buf, len, "1 second");
  else if (d < 60)
    snprintf (buf, len, "%ld seconds", d);
  else if (d / 60 == 1)
    snprintf (buf, len, "About a minute");
  else if (d < 3600)
    snprintf (buf, len, "%ld minutes", d / 60);
  else if (h == 1)
    snprintf (buf, len, "About an hour");
  else if (h < 48)
    snprintf (buf, len, "%ld hours", h);
  else if (h < 24 * 7 * 2)
    snprintf (buf, len, "%ld days", h / 24);
  else if (h < 24 * 30 * 2)
    snprintf (buf, len, "%ld weeks", h / 24 / 7);
  else if (h < 24 * 365 * 2)
    snprintf (buf, len, "%ld months", h / 24 / 30);
  else
    snprintf (buf, len, "%ld years", d / 3600 / 24 / 365);
}

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
  cli_human_duration ((long) difftime (time (NULL), timegm (&tm)), d, sizeof d);
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
  size_t n = json_array_size (arr);
  cleanup_free json_t **v = xmalloc0 ((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    v[i] = json_incref (json_array_get (arr, i));
  qsort_r (v, n, sizeof *v, newest_first, (void *) key);
  json_array_clear (arr);
  for (size_t i = 0; i < n; i++)
    json_array_append_new (arr, v[i]);
}

/* A prune's confirmation, as docker asks it: -f or --force among argv[1..] skips it; otherwise the
 * answer is read from stdin, a tty or not (docker does the same: `yes | docker system prune`),
 * and only "y" or "yes" goes on. */
bool
cli_confirm (int argc, char **argv, const char *what)
{
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0
        || (argv[i][0] == '-' && argv[i][1] != '-' && strchr (argv[i], 'f')))
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

enum
{
  OPT_ROOT = 1000,
  OPT_DEFAULT_REGISTRY,
  OPT_INSECURE,
  OPT_REGCONF,
  OPT_AUTHFILE,
  OPT_DEBUG,
};

static int
parse_global (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *), char **flag_default)
{
  static const struct option opts[] = {
    { "root", required_argument, NULL, OPT_ROOT },
    { "default-registry", required_argument, NULL, OPT_DEFAULT_REGISTRY },
    { "insecure-registry", required_argument, NULL, OPT_INSECURE },
    { "registries-conf", required_argument, NULL, OPT_REGCONF },
    { "authfile", required_argument, NULL, OPT_AUTHFILE },
    { "debug", no_argument, NULL, OPT_DEBUG },
    { "version", no_argument, NULL, 'v' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "+vhD", opts, NULL)) != -1)
    switch (c)
      {
      case OPT_ROOT:
        g->eng.root = optarg;
        break;
      case OPT_DEFAULT_REGISTRY:
        *flag_default = optarg;
        break;
      case OPT_INSECURE:
        strv_append (&g->insecure, optarg);
        break;
      case OPT_REGCONF:
        g->registries_conf = optarg;
        break;
      case OPT_AUTHFILE:
        g->authfile = optarg;
        break;
      case 'D':
      case OPT_DEBUG:
        g->eng.debug = true;
        break;
      case 'v':
        printf ("capsa version %s\n", CAPSA_VERSION);
        exit (0);
      case 'h':
        usage (stdout);
        exit (0);
      default:
        return cli_usage ("capsa", "unknown global option `%s`", argv[optind - 1]), -1;
      }
  return optind;
}

int
cli_global_init (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *))
{
  capsa_err *err = NULL;
  char *flag_default = NULL;

  memset (g, 0, sizeof *g);
  g->eng.libexec_path = cli_libexec_path;
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
      g->eng.default_registry = xstrdup (flag_default);
    }
  if (first >= argc)
    {
      usage (stderr);
      return -1;
    }
  return first;
}

int
cli_libexec_path (const char *name, char **out, capsa_err **err)
{
  cleanup_free char *exe = NULL;
  if (capsa_exe_path (&exe, err) < 0) /* (not /proc/self/exe: that of a sealed copy is no path) */
    return -1;
  *strrchr (exe, '/') = '\0';
  /* the build tree (every program in one directory), then the configured libexec directory, then
   * one beside a moved installation */
  char *cands[] = {
    xasprintf ("%s/%s", exe, name),
#ifdef CAPSA_LIBEXECDIR
    xasprintf ("%s/capsa/%s", CAPSA_LIBEXECDIR, name),
#endif
    xasprintf ("%s/../libexec/capsa/%s", exe, name),
  };
  *out = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (cands); i++)
    {
      if (*out == NULL && access (cands[i], X_OK) == 0)
        *out = cands[i];
      else
        free (cands[i]);
    }
  if (*out == NULL)
    return capsa_fail_as (err, ENOENT, "%s is not installed: not beside `%s/capsa`, nor in %s", name, exe,
#ifdef CAPSA_LIBEXECDIR
                          CAPSA_LIBEXECDIR "/capsa"
#else
                          "../libexec/capsa"
#endif
    );
  return 0;
}

char **
cli_same_argv (struct cli_global *g, char *argv0)
{
  /* Rootless, this process is already in the user's namespace as its root, where the default
   * root would be root's: the store chosen outside goes along explicitly. */
  char **args = xmalloc0 ((size_t) (g->argc + 3) * sizeof (char *));
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

  if (cli_libexec_path ("capsa-image", &path, &err) < 0)
    return capsa_err_wrap (&err, "`capsa %s`", argv[0]), cli_fail (&err);
  char **args = cli_same_argv (g, path);
  fflush (NULL);
  execv (path, args);
  capsa_fail (&err, errno, "`capsa %s`: exec %s", argv[0], path);
  free (args);
  return cli_fail (&err);
}

bool
cli_sub_help (const struct cli_sub_usage *subs, size_t n, int argc, char **argv)
{
  if (argc != 3 || (strcmp (argv[2], "--help") != 0 && strcmp (argv[2], "-h") != 0))
    return false;
  for (size_t i = 0; i < n; i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      {
        fputs (subs[i].usage, stdout);
        return true;
      }
  return false;
}

static const struct option *
long_named (const struct option *opts, const char *name, size_t len)
{
  for (; opts->name; opts++)
    if (strlen (opts->name) == len && strncmp (opts->name, name, len) == 0)
      return opts;
  return NULL;
}

/* --BOOL=true|false, -X=true|false at argv[at]: 1 to skip the word (false), 0 otherwise (a true
 * one is cut to the bare flag, in place) */
static int
bool_value_form (char *tok, const char *shorts, const struct option *opts)
{
  char *eq = tok[0] == '-' ? strchr (tok, '=') : NULL;
  if (eq == NULL || (strcmp (eq + 1, "true") != 0 && strcmp (eq + 1, "false") != 0))
    return 0;
  bool is_bool;
  if (tok[1] == '-')
    {
      const struct option *o = long_named (opts, tok + 2, (size_t) (eq - tok - 2));
      is_bool = o && o->has_arg == no_argument;
    }
  else
    {
      const char *sc = eq == tok + 2 && tok[1] != ':' ? strchr (shorts, tok[1]) : NULL;
      is_bool = sc && sc[1] != ':';
    }
  if (!is_bool)
    return 0;
  if (eq[1] == 'f')
    return 1;
  *eq = '\0';
  return 0;
}

int
cli_getopt (int argc, char **argv, const char *shorts, const struct option *opts)
{
  static char **seen_argv;
  static int seen_at = -1;
  for (;;)
    {
      int at = optind, idx = -1;
      if (at < argc && (seen_argv != argv || seen_at != at))
        {
          /* a word getopt has not started yet (not the middle of a cluster such as -it) */
          seen_argv = argv;
          seen_at = at;
          if (bool_value_form (argv[at], shorts, opts))
            {
              optind++;
              continue;
            }
        }
      int c = getopt_long (argc, argv, shorts, opts, &idx);
      if (c != -1 && idx >= 0)
        {
          size_t n = strlen (opts[idx].name);
          const char *w = argv[at];
          if (strncmp (w, "--", 2) != 0 || strncmp (w + 2, opts[idx].name, n) != 0 || (w[2 + n] && w[2 + n] != '='))
            {
              optind = at + 1;
              return '?';
            }
        }
      else if (c != -1 && c != '?' && optarg && optarg[0] == '=' && optarg > argv[at]
               && optarg <= argv[at] + strlen (argv[at]))
        optarg++; /* -e=FOO=bar: the value is FOO=bar */
      return c;
    }
}
