/* Option tables: the parser and the --help lines (include/capsa/options.h states the rules). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/options.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

#define TABLE_END(o) ((o)->name == NULL && (o)->letter == 0)

static const struct capsa_opt *
by_name (const struct capsa_opt *opts, const char *name, size_t len)
{
  for (; !TABLE_END (opts); opts++)
    if (opts->name && strlen (opts->name) == len && strncmp (opts->name, name, len) == 0)
      return opts;
  return NULL;
}

static const struct capsa_opt *
by_letter (const struct capsa_opt *opts, char c)
{
  for (; !TABLE_END (opts); opts++)
    if (opts->letter == c)
      return opts;
  return NULL;
}

const struct capsa_opt *
capsa_opt_find (const struct capsa_opt *opts, const char *name)
{
  return by_name (opts, name, strlen (name));
}

const struct capsa_opt *
capsa_opt_find_letter (const struct capsa_opt *opts, char letter)
{
  return letter ? by_letter (opts, letter) : NULL;
}

bool
capsa_opt_takes_value (const struct capsa_opt *o)
{
  switch (o->kind)
    {
    case CAPSA_OPT_BOOL:
    case CAPSA_OPT_HELP:
      return false;
    case CAPSA_OPT_CALL:
      return o->arg != NULL;
    default:
      return true;
    }
}

/* strconv.ParseBool's spellings, as pflag takes them: 1, 0, or -1 */
static int
parse_bool (const char *v)
{
  static const char *const yes[] = { "1", "t", "T", "TRUE", "true", "True" };
  static const char *const no[] = { "0", "f", "F", "FALSE", "false", "False" };
  for (size_t i = 0; i < ARRAY_SIZE (yes); i++)
    {
      if (strcmp (v, yes[i]) == 0)
        return 1;
      if (strcmp (v, no[i]) == 0)
        return 0;
    }
  return -1;
}

/* what store, long_option and short_options return besides 0 (done) and < 0 (CAPSA_OPT_USAGE,
 * CAPSA_OPT_FAIL) */
#define TOOK_NEXT 1 /* the value was the next word */
#define HELP_MET 2  /* --help: stop */

/* what an unknown option is called: "unknown option" or "unknown global option" */
#define KIND(flags) ((flags) &CAPSA_OPT_GLOBAL ? "global " : "")
#define usage_error(err, ...) (capsa_fail_as (err, EINVAL, __VA_ARGS__), CAPSA_OPT_USAGE)

static int
store_number (const struct capsa_opt *o, const char *shown, const char *v, char *field, capsa_err **err)
{
  int64_t n;
  switch (o->kind)
    {
    case CAPSA_OPT_INT:
    case CAPSA_OPT_INT64:
      if (parse_i64 (v, o->min, o->max, &n) < 0)
        return usage_error (err, "%s: invalid number `%s` (%lld to %lld)", shown, v, o->min, o->max);
      if (o->kind == CAPSA_OPT_INT)
        *(int *) field = (int) n;
      else
        *(long long *) field = n;
      return 0;
    case CAPSA_OPT_SIZE:
      if ((o->flags & CAPSA_OPTF_MINUS1) && strcmp (v, "-1") == 0)
        n = -1;
      else if ((n = parse_bytes (v)) <= 0)
        return usage_error (err, "%s: invalid size `%s` (a number with an optional unit: b, k, m, g)", shown, v);
      *(long long *) field = n;
      return 0;
    default: /* CAPSA_OPT_NUMBER */
      {
        char *end;
        double d = strtod (v, &end);
        if (*v == '\0' || *end || !(d > 0))
          return usage_error (err, "%s: invalid number `%s`", shown, v);
        *(double *) field = d;
        return 0;
      }
    }
}

/* Store option o's value v (NULL: a flag without `=VALUE`). */
static int
store (const struct capsa_opt *o, const char *v, void *base, capsa_err **err)
{
  char *field = (char *) base + o->offset;
  char shown[128]; /* messages name the option by its long name, however it was written */
  if (o->name)
    snprintf (shown, sizeof shown, "--%s", o->name);
  else
    snprintf (shown, sizeof shown, "-%c", o->letter);
  int b;
  switch (o->kind)
    {
    case CAPSA_OPT_BOOL:
      b = v ? parse_bool (v) : 1;
      if (b < 0)
        return usage_error (err, "%s: invalid boolean `%s` (true or false)", shown, v);
      *(bool *) field = b;
      return 0;
    case CAPSA_OPT_STRING:
    case CAPSA_OPT_LIST:
      if (o->check && o->check (v, err) < 0)
        return CAPSA_OPT_USAGE;
      if (o->kind == CAPSA_OPT_STRING)
        *(const char **) field = v;
      else
        strv_append ((char ***) field, v);
      return 0;
    case CAPSA_OPT_CALL:
      if (v && !capsa_opt_takes_value (o))
        return usage_error (err, "%s takes no value (`%s=%s`)", shown, shown, v);
      b = o->set (base, v, err);
      return b < 0 ? (b == CAPSA_OPT_FAIL ? CAPSA_OPT_FAIL : CAPSA_OPT_USAGE) : 0;
    case CAPSA_OPT_HELP:
      return v && parse_bool (v) == 0 ? 0 : HELP_MET;
    default:
      return store_number (o, shown, v, field, err);
    }
}

/* --NAME[=VALUE] at argv[i]: 0, TOOK_NEXT, HELP_MET or < 0 */
static int
long_option (const struct capsa_opt *opts, unsigned flags, int argc, char **argv, int i, void *base, capsa_err **err)
{
  const char *w = argv[i] + 2, *eq = strchr (w, '=');
  size_t len = eq ? (size_t) (eq - w) : strlen (w);
  const struct capsa_opt *o = by_name (opts, w, len);
  if (o == NULL)
    return usage_error (err, "unknown %soption `%s`", KIND (flags), argv[i]);
  if (!capsa_opt_takes_value (o) || eq)
    return store (o, eq ? eq + 1 : NULL, base, err);
  if (i + 1 >= argc)
    return usage_error (err, "option `--%s` needs a value", o->name);
  int r = store (o, argv[i + 1], base, err);
  return r == 0 ? TOOK_NEXT : r;
}

/* -abc, -n VALUE, -nVALUE, -n=VALUE at argv[i]: as long_option */
static int
short_options (const struct capsa_opt *opts, unsigned flags, int argc, char **argv, int i, void *base, capsa_err **err)
{
  for (const char *p = argv[i] + 1; *p; p++)
    {
      const struct capsa_opt *o = by_letter (opts, *p);
      if (o == NULL)
        return usage_error (err, "unknown %soption `-%c`", KIND (flags), *p);
      const char *v = p[1] == '=' ? p + 2 : NULL;
      if (!capsa_opt_takes_value (o))
        {
          int r = store (o, v, base, err);
          if (r != 0 || v)
            return r; /* (-d=false: the value is the rest of the word) */
          continue;
        }
      if (v == NULL && p[1])
        v = p + 1;
      if (v)
        return store (o, v, base, err);
      if (i + 1 >= argc)
        return usage_error (err, "option `-%c` needs a value", *p);
      int r = store (o, argv[i + 1], base, err);
      return r == 0 ? TOOK_NEXT : r;
    }
  return 0;
}

int
capsa_opt_parse (const struct capsa_opt *opts, unsigned flags, int argc, char **argv, void *base, capsa_err **err)
{
  /* options (and their values) are moved to argv[1..nopt), operands after them, in order */
  cleanup_free char **operands = xmalloc0 ((size_t) (argc + 1) * sizeof *operands);
  int nopt = 1, nop = 0, i;
  for (i = 1; i < argc; i++)
    {
      char *w = argv[i];
      if (strcmp (w, "--") == 0)
        {
          argv[nopt++] = w;
          i++;
          break;
        }
      if (w[0] != '-' || w[1] == '\0')
        {
          if (flags & CAPSA_OPT_STOP)
            break;
          operands[nop++] = w;
          continue;
        }
      int r = w[1] == '-' ? long_option (opts, flags, argc, argv, i, base, err)
                          : short_options (opts, flags, argc, argv, i, base, err);
      if (r == HELP_MET)
        return CAPSA_OPT_HELP_ASKED;
      if (r < 0)
        return r;
      argv[nopt++] = w;
      if (r == TOOK_NEXT)
        argv[nopt++] = argv[++i];
    }
  int first = nopt;
  for (int k = 0; k < nop; k++)
    argv[nopt++] = operands[k];
  for (; i < argc; i++)
    argv[nopt++] = argv[i];
  return first;
}

void
capsa_opt_help (FILE *f, const struct capsa_opt *opts, int column, unsigned style)
{
  for (; !TABLE_END (opts); opts++)
    {
      if (opts->help == NULL || (opts->flags & CAPSA_OPTF_HIDDEN))
        continue;
      char left[256];
      int n;
      if (opts->letter && opts->name)
        n = snprintf (left, sizeof left, "  -%c, --%s", opts->letter, opts->name);
      else if (opts->letter)
        n = snprintf (left, sizeof left, "  -%c", opts->letter);
      else
        n = snprintf (left, sizeof left, "%s--%s", (style & CAPSA_OPT_HELP_COMPACT) ? "  " : "      ", opts->name);
      if (opts->arg && n >= 0 && (size_t) n < sizeof left)
        n += snprintf (left + n, sizeof left - (size_t) n, " %s", opts->arg);
      fputs (left, f);
      if (*opts->help)
        fprintf (f, "%*s", n + 2 > column ? 2 : column - n, "");
      for (const char *h = opts->help; *h;)
        {
          size_t len = strcspn (h, "\n");
          fprintf (f, "%.*s", (int) len, h);
          h += len;
          if (*h == '\n' && *++h)
            fprintf (f, "\n%*s", column, "");
        }
      fputc ('\n', f);
    }
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

/* ---- manual pages ---------------------------------------------------------------------------- */

void
capsa_opt_man_text (FILE *f, const char *s)
{
  bool bol = true;
  for (; s && *s; s++)
    {
      if (bol && (*s == '.' || *s == '\''))
        fputs ("\\&", f);
      bol = *s == '\n';
      if (*s == '\\')
        fputs ("\\e", f);
      else if (*s == '-')
        fputs ("\\-", f);
      else
        fputc (*s, f);
    }
}

/* one option: ".TP", "-m, --memory BYTES" in bold and italics, then its help */
static void
man_option (FILE *f, const struct capsa_opt *o)
{
  fputs (".TP\n", f);
  if (o->letter)
    fprintf (f, "\\fB\\-%c\\fR%s", o->letter, o->name ? ", " : "");
  if (o->name)
    {
      fputs ("\\fB\\-\\-", f);
      capsa_opt_man_text (f, o->name);
      fputs ("\\fR", f);
    }
  if (o->arg && capsa_opt_takes_value (o))
    {
      fputs (" \\fI", f);
      capsa_opt_man_text (f, o->arg);
      fputs ("\\fR", f);
    }
  fputc ('\n', f);
  if (o->help && *o->help)
    {
      capsa_opt_man_text (f, o->help);
      fputc ('\n', f);
    }
}

static bool
man_shown (const struct capsa_opt *o)
{
  return o->help && !(o->flags & CAPSA_OPTF_HIDDEN); /* (as --help: "" is shown, without a text) */
}

void
capsa_opt_man (FILE *f, const struct capsa_opt *opts, const char *title)
{
  bool any = false;
  for (const struct capsa_opt *o = opts; o->name || o->letter; o++)
    any |= man_shown (o);
  if (!any)
    return;
  fputs (".SH ", f);
  capsa_opt_man_text (f, title);
  fputc ('\n', f);
  for (const struct capsa_opt *o = opts; o->name || o->letter; o++)
    if (man_shown (o))
      man_option (f, o);
}

void
capsa_opt_man_head (FILE *f, const char *page, const char *program, const char *oneline)
{
  fputs (".TH \"", f);
  for (const char *p = page; *p; p++)
    fputc (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
  fprintf (f, "\" \"1\" \"\" \"%s\" \"capsa Manual\"\n.SH NAME\n", program);
  capsa_opt_man_text (f, page);
  fputs (" \\- ", f);
  capsa_opt_man_text (f, oneline);
  fputc ('\n', f);
}
