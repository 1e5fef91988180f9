/* The global options of a front end: one table, one getopt_long loop (see global_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "global_opts.h"
#include "util.h"

enum
{
  GOPT_LONG_BASE = 1000, /* getopt_long value of opts[i] as a long option: GOPT_LONG_BASE + i */
};

/* the built-ins, after the table's own options */
static const struct option builtin_longs[] = {
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
};

/* getopt_long's tables for opts and the built-ins: long options (ended by a zero entry) and "+",
 * the short letters. */
static size_t
build_getopt_tables (const struct capsa_global_opt *opts, struct option **longs, char **shorts)
{
  size_t n = 0;
  while (opts[n].name != NULL)
    n++;
  *longs = xmalloc0 ((n + ARRAY_SIZE (builtin_longs) + 1) * sizeof **longs);
  *shorts = xmalloc0 (2 * n + 4);
  char *s = *shorts;
  *s++ = '+';
  for (size_t i = 0; i < n; i++)
    {
      (*longs)[i] = (struct option){ opts[i].name, opts[i].has_arg ? required_argument : no_argument, NULL,
                                     GOPT_LONG_BASE + (int) i };
      if (opts[i].short_name != 0)
        {
          *s++ = (char) opts[i].short_name;
          if (opts[i].has_arg)
            *s++ = ':';
        }
    }
  memcpy (*longs + n, builtin_longs, sizeof builtin_longs);
  strcpy (s, "vh");
  return n;
}

/* The entry of opts that getopt_long's return value c names, or NULL for an unknown option. */
static const struct capsa_global_opt *
find_opt (const struct capsa_global_opt *opts, size_t n, int c)
{
  if (c >= GOPT_LONG_BASE && (size_t) (c - GOPT_LONG_BASE) < n)
    return &opts[c - GOPT_LONG_BASE];
  for (size_t i = 0; i < n && c > 0; i++)
    if (opts[i].short_name == c)
      return &opts[i];
  return NULL;
}

/* Apply one option: 0, or -1 on failure. */
static int
apply_opt (const struct capsa_global_opt *o, const char *arg, capsa_err **err)
{
  switch (o->kind)
    {
    case CAPSA_GOPT_STRING:
      *(const char **) o->target = arg;
      return 0;
    case CAPSA_GOPT_LIST:
      strv_append ((char ***) o->target, arg);
      return 0;
    case CAPSA_GOPT_FLAG:
      *(bool *) o->target = true;
      return 0;
    case CAPSA_GOPT_CALL:
      return o->call (arg, o->target, err) < 0 ? -1 : 0;
    case CAPSA_GOPT_IGNORE:
    default:
      return 0;
    }
}

int
capsa_parse_global_opts (const struct capsa_global_opt *opts, int argc, char **argv, enum capsa_gopt_stop *stop,
                         capsa_err **err)
{
  cleanup_free struct option *longs = NULL;
  cleanup_free char *shorts = NULL;
  size_t n = build_getopt_tables (opts, &longs, &shorts);
  int c;

  *stop = CAPSA_GOPT_NO_STOP;
  opterr = 0;
  while ((c = getopt_long (argc, argv, shorts, longs, NULL)) != -1)
    {
      const struct capsa_global_opt *o = find_opt (opts, n, c);
      if (o != NULL && apply_opt (o, optarg, err) < 0)
        return -1;
      if (o != NULL)
        continue;
      if (c == 'v' || c == 'h')
        {
          *stop = c == 'v' ? CAPSA_GOPT_VERSION : CAPSA_GOPT_HELP;
          return optind;
        }
      return capsa_fail_as (err, EINVAL, "unknown global option `%s`", argv[optind - 1]);
    }
  return optind;
}

char *
capsa_usage_vformat (const char *prog, const char *cmd, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  char *text = strcmp (cmd, prog) == 0
                   ? xasprintf ("%s (see `%s --help`)", msg ? msg : "invalid usage", prog)
                   : xasprintf ("%s: %s (see `%s %s --help`)", cmd, msg ? msg : "invalid usage", prog, cmd);
  free (msg);
  return text;
}
