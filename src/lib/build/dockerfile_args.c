/* One instruction of a Dockerfile (dockerfile.h): its keyword, its `--flags` and its arguments in
 * the shape the instruction takes (moby's line parsers and instruction checks). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile.h"
#include "dockerfile_int.h"
#include "match.h"
#include "util.h"

enum flag_type
{
  F_STR,
  F_BOOL,
  F_STRS, /* repeatable */
};

struct flag_spec
{
  const char *name;
  enum flag_type type;
};

static const struct flag_spec copy_flags[] = {
  { "from", F_STR }, { "chown", F_STR }, { "chmod", F_STR }, { "link", F_BOOL }, { NULL, F_STR }
};
static const struct flag_spec add_flags_spec[] = {
  { "chown", F_STR }, { "chmod", F_STR }, { "link", F_BOOL }, { "checksum", F_STR }, { NULL, F_STR }
};
static const struct flag_spec run_flags[] = {
  { "mount", F_STRS }, { "network", F_STR }, { "security", F_STR }, { NULL, F_STR }
};
static const struct flag_spec from_flags[] = { { "platform", F_STR }, { NULL, F_STR } };
static const struct flag_spec health_flags[] = {
  { "interval", F_STR }, { "timeout", F_STR }, { "start-period", F_STR }, { "retries", F_STR }, { NULL, F_STR }
};
static const struct flag_spec no_flags[] = { { NULL, F_STR } };

typedef int shape_fn (struct df_parser *p, struct df_instr *in, const char *rest);

/* moby's extractBuilderFlags: the words starting with `--` at the start of s (quotes and `\`
 * removed; a lone `--` ends them), *words; returns the rest. */
static const char *
extract_flags (const char *s, char ***words)
{
  for (;;)
    {
      struct dbuf w = { 0 };
      char quote = 0;
      while (df_is_space (*s))
        s++;
      if (s[0] != '-' || s[1] != '-')
        return s;
      for (; *s && (quote || !df_is_space (*s)); s++)
        {
          if (!quote && (*s == '\'' || *s == '"'))
            quote = *s;
          else if (quote && *s == quote)
            quote = 0;
          else if (*s == '\\' && s[1] == '\0')
            continue;
          else
            dbuf_putc (&w, *s == '\\' ? *++s : *s);
        }
      cleanup_free char *word = dbuf_take (&w);
      if (strcmp (word, "--") == 0)
        return s;
      strv_append (words, word);
    }
}

static int
add_flag (struct df_parser *p, struct df_instr *in, const struct flag_spec *spec, const char *word)
{
  const char *name = word + 2, *eq = strchr (name, '=');
  cleanup_free char *nm = eq ? xasprintf ("%.*s", (int) (eq - name), name) : xstrdup (name);
  const struct flag_spec *f = spec;
  const char *kw = in->keyword;

  while (f->name && strcmp (f->name, nm) != 0)
    f++;
  if (f->name == NULL)
    return df_fail_at (p, in->line, "%s: unknown flag: --%s", kw, nm);
  if (f->type == F_STR && eq == NULL)
    return df_fail_at (p, in->line, "%s: missing a value on flag: --%s", kw, nm);
  if (f->type == F_BOOL && eq && strcmp (eq + 1, "true") != 0 && strcmp (eq + 1, "false") != 0)
    return df_fail_at (p, in->line, "%s: expecting boolean value for flag --%s, not: %s", kw, nm, eq + 1);
  if (f->type != F_STRS && df_flag (in, nm))
    return df_fail_at (p, in->line, "%s: duplicate flag specified: --%s", kw, nm);
  in->flags[in->nflags++] = (struct df_flag){ take_ptr (&nm), xstrdup (eq ? eq + 1 : "") };
  return 0;
}

static int
add_flags (struct df_parser *p, struct df_instr *in, const struct flag_spec *spec, char **words)
{
  in->flags = xmalloc0 ((strv_len (words) + 1) * sizeof *in->flags);
  for (char **w = words; w && *w; w++)
    if (add_flag (p, in, spec, *w) < 0)
      return -1;
  return 0;
}

/* moby's parseWords: words split on white space outside quotes; the quotes and the escape
 * characters stay, for the expander. */
static char **
split_words (const char *s, char esc)
{
  char **v = xmalloc0 (sizeof *v);

  for (;;)
    {
      struct dbuf w = { 0 };
      char quote = 0;
      while (df_is_space (*s))
        s++;
      if (*s == '\0')
        return v;
      for (; *s && (quote || !df_is_space (*s)); s++)
        {
          if (!quote && (*s == '\'' || *s == '"'))
            quote = *s;
          else if (quote && *s == quote)
            quote = 0;
          if (*s == esc && quote != '\'' && s[1] == '\0')
            continue; /* an escape at the very end goes */
          if (*s == esc && quote != '\'')
            dbuf_putc (&w, *s++);
          dbuf_putc (&w, *s);
        }
      cleanup_free char *word = dbuf_take (&w);
      strv_append (&v, word);
    }
}

/* A JSON array of strings (moby's parseJSON: only the first value is read, as Go's
 * json.Decoder): 1 and *args; 0 when rest is not JSON (the shell form); -1 when it is an array
 * of something else than strings. */
static int
parse_json (const char *rest, char ***args)
{
  json_error_t je;
  json_t *a, *e;
  size_t i;
  char **v = NULL;

  if (rest[0] != '[')
    return 0;
  a = json_loadb (rest, strlen (rest), JSON_DISABLE_EOF_CHECK, &je);
  if (a == NULL || !json_is_array (a))
    {
      json_decref (a);
      return 0;
    }
  v = xmalloc0 (sizeof *v);
  json_array_foreach (a, i, e)
  {
    if (!json_is_string (e))
      {
        json_decref (a);
        cleanup_strv_fn (&v);
        return -1;
      }
    strv_append (&v, json_string_value (e));
  }
  json_decref (a);
  *args = v;
  return 1;
}

static int
exec_or_shell (struct df_parser *p, struct df_instr *in, const char *rest)
{
  int r = parse_json (rest, &in->args);
  if (r < 0)
    return df_fail_at (p, in->line, "%s: when using JSON array syntax, arrays must be comprised of strings only",
                       in->keyword);
  in->json = r == 1;
  if (r == 0)
    strv_append (&in->args, rest);
  return 0;
}

static int
at_least_one (struct df_parser *p, struct df_instr *in)
{
  return df_fail_at (p, in->line, "%s requires at least one argument", in->keyword);
}

/* RUN CMD ENTRYPOINT; CMD or ENTRYPOINT alone is `[]` (docker's and buildah's reset). */
static int
shape_cmd (struct df_parser *p, struct df_instr *in, const char *rest)
{
  if (*rest == '\0' && in->kind != DF_RUN)
    {
      in->json = true;
      return 0;
    }
  if (*rest == '\0')
    return at_least_one (p, in);
  return exec_or_shell (p, in, rest);
}

static int
shape_shell (struct df_parser *p, struct df_instr *in, const char *rest)
{
  if (exec_or_shell (p, in, rest) < 0)
    return -1;
  if (!in->json)
    return df_fail_at (p, in->line, "SHELL requires the arguments to be in JSON form");
  if (in->args[0] == NULL)
    return at_least_one (p, in);
  return 0;
}

/* COPY ADD VOLUME: a JSON array or words. */
static int
shape_list (struct df_parser *p, struct df_instr *in, const char *rest)
{
  int r = parse_json (rest, &in->args);
  if (r < 0)
    return exec_or_shell (p, in, rest);
  in->json = r == 1;
  if (r == 0)
    in->args = split_words (rest, p->df->escape);
  if (in->kind != DF_VOLUME && strv_len (in->args) < 2)
    return df_fail_at (p, in->line,
                       "%s requires at least two arguments, but only one was provided. Destination could not be "
                       "determined",
                       in->keyword);
  if (in->args[0] == NULL)
    return at_least_one (p, in);
  for (char **a = in->args; *a; a++)
    {
      const char *s = *a;
      while (df_is_space (*s))
        s++;
      if (*s == '\0')
        return df_fail_at (p, in->line, "VOLUME specified can not be an empty string");
    }
  return 0;
}

/* EXPOSE */
static int
shape_words (struct df_parser *p, struct df_instr *in, const char *rest)
{
  in->args = split_words (rest, p->df->escape);
  return in->args[0] ? 0 : at_least_one (p, in);
}

static bool
valid_stage_name (const char *s)
{
  if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
    return false;
  for (s++; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || strchr ("-_.", *s)))
      return false;
  return true;
}

static int
shape_from (struct df_parser *p, struct df_instr *in, const char *rest)
{
  size_t n;

  in->args = split_words (rest, p->df->escape);
  n = strv_len (in->args);
  if (n == 3 && strcasecmp (in->args[1], "as") == 0 && !valid_stage_name (in->args[2]))
    return df_fail_at (p, in->line,
                       "FROM: invalid name for build stage: \"%s\", name can't start with a number or contain symbols",
                       in->args[2]);
  if (n != 1 && !(n == 3 && strcasecmp (in->args[1], "as") == 0))
    return df_fail_at (p, in->line, "FROM requires either one or three arguments");
  return 0;
}

static int
shape_arg (struct df_parser *p, struct df_instr *in, const char *rest)
{
  in->args = split_words (rest, p->df->escape);
  if (in->args[0] == NULL)
    return at_least_one (p, in);
  for (char **a = in->args; *a; a++)
    if ((*a)[0] == '=')
      return df_fail_at (p, in->line, "ARG names can not be blank");
  return 0;
}

/* ENV LABEL in the old form: `KEY the rest of the line`. */
static int
shape_kv_legacy (struct df_parser *p, struct df_instr *in, const char *rest)
{
  size_t k = strcspn (rest, " \t\v\f\r");
  const char *v = rest + k;

  v += strspn (v, " \t\v\f\r");
  if (*v == '\0')
    return df_fail_at (p, in->line, "%s must have two arguments", in->keyword);
  cleanup_free char *key = xasprintf ("%.*s", (int) k, rest);
  strv_append (&in->args, key);
  strv_append (&in->args, v);
  return 0;
}

/* ENV LABEL: KEY=VALUE words, or the old form. */
static int
shape_kv (struct df_parser *p, struct df_instr *in, const char *rest)
{
  cleanup_strv char **words = split_words (rest, p->df->escape);

  if (words[0] == NULL)
    return at_least_one (p, in);
  if (strchr (words[0], '=') == NULL)
    return shape_kv_legacy (p, in, rest);
  in->args = xmalloc0 (sizeof *in->args);
  for (char **w = words; *w; w++)
    {
      const char *eq = strchr (*w, '=');
      if (eq == NULL)
        return df_fail_at (p, in->line, "%s: syntax error - can't find = in \"%s\". Must be of the form: name=value",
                           in->keyword, *w);
      if (eq == *w)
        return df_fail_at (p, in->line, "%s names can not be blank", in->keyword);
      cleanup_free char *key = xasprintf ("%.*s", (int) (eq - *w), *w);
      strv_append (&in->args, key);
      strv_append (&in->args, eq + 1);
    }
  return 0;
}

/* MAINTAINER STOPSIGNAL USER WORKDIR: the rest of the line. */
static int
shape_string (struct df_parser *p, struct df_instr *in, const char *rest)
{
  if (*rest == '\0')
    return df_fail_at (p, in->line, "%s requires exactly one argument", in->keyword);
  strv_append (&in->args, rest);
  return 0;
}

/* The first n characters of s in upper case. */
static char *
upper_copy (const char *s, size_t n)
{
  char *t = xasprintf ("%.*s", (int) n, s);
  for (char *c = t; *c; c++)
    *c = (char) (*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
  return t;
}

static int
shape_onbuild (struct df_parser *p, struct df_instr *in, const char *rest)
{
  size_t k = strcspn (rest, " \t\v\f\r");

  if (*rest == '\0')
    return at_least_one (p, in);
  if (k == 7 && strncasecmp (rest, "ONBUILD", 7) == 0)
    return df_fail_at (p, in->line, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if ((k == 4 && strncasecmp (rest, "FROM", 4) == 0) || (k == 10 && strncasecmp (rest, "MAINTAINER", 10) == 0))
    {
      cleanup_free char *t = upper_copy (rest, k);
      return df_fail_at (p, in->line, "%s isn't allowed as an ONBUILD trigger", t);
    }
  in->sub = xmalloc0 (sizeof *in->sub);
  if (df_parse_instruction (p, rest, in->line, in->sub) < 0)
    return -1;
  in->trigger_text = xstrdup (rest);
  return 0;
}

/* A Go duration ("30s", "1m30s", "1.5h", "0"), as time.ParseDuration reads it. */
static bool
go_duration (const char *s)
{
  static const char *const units[] = { "ns", "us", "\xc2\xb5s", "\xce\xbcs", "ms", "s", "m", "h" };

  s += *s == '-' || *s == '+';
  if (strcmp (s, "0") == 0)
    return true;
  if (*s == '\0')
    return false;
  while (*s)
    {
      size_t d = strspn (s, "0123456789"), f = 0, u = 0;
      if (s[d] == '.')
        f = strspn (s + d + 1, "0123456789") + 1;
      if (d == 0 && f <= 1)
        return false;
      s += d + f;
      for (size_t i = 0; i < ARRAY_SIZE (units) && u == 0; i++)
        if (strncmp (s, units[i], strlen (units[i])) == 0)
          u = strlen (units[i]);
      if (u == 0)
        return false;
      s += u;
    }
  return true;
}

static int
check_health_flags (struct df_parser *p, struct df_instr *in)
{
  for (size_t i = 0; i < in->nflags; i++)
    {
      const struct df_flag *f = &in->flags[i];
      int64_t n;
      if (strcmp (f->name, "retries") == 0 && parse_i64 (f->value, 0, INT32_MAX, &n) < 0)
        return df_fail_at (p, in->line, "HEALTHCHECK: --retries must be a number, 0 or more: \"%s\"", f->value);
      if (strcmp (f->name, "retries") != 0 && !go_duration (f->value))
        return df_fail_at (p, in->line, "HEALTHCHECK: --%s: invalid duration \"%s\"", f->name, f->value);
    }
  return 0;
}

static int
shape_health (struct df_parser *p, struct df_instr *in, const char *rest)
{
  size_t k = strcspn (rest, " \t\v\f\r");
  const char *after = rest + k + strspn (rest + k, " \t\v\f\r");

  if (*rest == '\0')
    return at_least_one (p, in);
  if (k == 4 && strncasecmp (rest, "NONE", 4) == 0)
    {
      in->health_none = true;
      if (*after)
        return df_fail_at (p, in->line, "HEALTHCHECK NONE takes no arguments");
      if (in->nflags > 0)
        return df_fail_at (p, in->line, "HEALTHCHECK NONE: unknown flag: --%s", in->flags[0].name);
      return 0;
    }
  if (!(k == 3 && strncasecmp (rest, "CMD", 3) == 0))
    {
      cleanup_free char *t = upper_copy (rest, k);
      return df_fail_at (p, in->line, "Unknown type \"%s\" in HEALTHCHECK (try CMD)", t);
    }
  if (*after == '\0')
    return df_fail_at (p, in->line, "Missing command after HEALTHCHECK CMD");
  if (exec_or_shell (p, in, after) < 0)
    return -1;
  if (in->args[0] == NULL)
    return df_fail_at (p, in->line, "Missing command after HEALTHCHECK CMD");
  return check_health_flags (p, in);
}

struct keyword
{
  const char *name;
  enum df_kind kind;
  shape_fn *shape;
  const struct flag_spec *flags;
};

static const struct keyword keywords[] = {
  { "FROM", DF_FROM, shape_from, from_flags },
  { "RUN", DF_RUN, shape_cmd, run_flags },
  { "CMD", DF_CMD, shape_cmd, no_flags },
  { "LABEL", DF_LABEL, shape_kv, no_flags },
  { "MAINTAINER", DF_MAINTAINER, shape_string, no_flags },
  { "EXPOSE", DF_EXPOSE, shape_words, no_flags },
  { "ENV", DF_ENV, shape_kv, no_flags },
  { "ADD", DF_ADD, shape_list, add_flags_spec },
  { "COPY", DF_COPY, shape_list, copy_flags },
  { "ENTRYPOINT", DF_ENTRYPOINT, shape_cmd, no_flags },
  { "VOLUME", DF_VOLUME, shape_list, no_flags },
  { "USER", DF_USER, shape_string, no_flags },
  { "WORKDIR", DF_WORKDIR, shape_string, no_flags },
  { "ARG", DF_ARG, shape_arg, no_flags },
  { "ONBUILD", DF_ONBUILD, shape_onbuild, no_flags },
  { "STOPSIGNAL", DF_STOPSIGNAL, shape_string, no_flags },
  { "HEALTHCHECK", DF_HEALTHCHECK, shape_health, health_flags },
  { "SHELL", DF_SHELL, shape_shell, no_flags },
};

static const struct keyword *
find_keyword (const char *s, size_t n)
{
  for (size_t i = 0; i < ARRAY_SIZE (keywords); i++)
    if (strlen (keywords[i].name) == n && strncasecmp (keywords[i].name, s, n) == 0)
      return &keywords[i];
  return NULL;
}

static char *
trim_copy (const char *s)
{
  size_t n;
  while (df_is_space (*s))
    s++;
  n = strlen (s);
  while (n > 0 && df_is_space (s[n - 1]))
    n--;
  return xasprintf ("%.*s", (int) n, s);
}

int
df_parse_instruction (struct df_parser *p, const char *text, unsigned line, struct df_instr *in)
{
  cleanup_free char *all = trim_copy (text), *rest = NULL;
  size_t k = strcspn (all, " \t\v\f\r");
  const struct keyword *kw = find_keyword (all, k);
  cleanup_strv char **fw = NULL;

  *in = (struct df_instr){ .line = line };
  if (kw == NULL)
    {
      cleanup_free char *t = upper_copy (all, k);
      return df_fail_at (p, line, "unknown instruction: %s", t);
    }
  in->kind = kw->kind;
  in->keyword = kw->name;
  rest = trim_copy (extract_flags (all + k, &fw));
  in->original = take_ptr (&all);
  if (add_flags (p, in, kw->flags, fw) < 0 || kw->shape (p, in, rest) < 0)
    {
      df_instr_clear (in);
      return -1;
    }
  if (in->args == NULL)
    in->args = xmalloc0 (sizeof *in->args);
  return 0;
}
