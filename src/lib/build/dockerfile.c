/* The Dockerfile parser (dockerfile.h): lines, directives, comments and continuations here;
 * the arguments of each instruction in dockerfile_args.c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dockerfile.h"
#include "dockerfile_int.h"
#include "match.h"
#include "util.h"

int
df_fail_at (struct df_parser *p, unsigned line, const char *fmt, ...)
{
  va_list ap;
  char *msg = NULL;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    abort ();
  va_end (ap);
  int r = capsa_fail_as (p->err, EINVAL, "%s:%u: %s", p->name, line, msg);
  free (msg);
  return r;
}

bool
df_is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

struct reader
{
  const char *p, *end;
  unsigned lineno;
};

/* The next line, its `\n` (and a `\r` before it) left out. */
static bool
next_line (struct reader *r, const char **s, size_t *n)
{
  const char *nl;

  if (r->p >= r->end)
    return false;
  nl = memchr (r->p, '\n', (size_t) (r->end - r->p));
  *s = r->p;
  *n = nl ? (size_t) (nl - r->p) : (size_t) (r->end - r->p);
  r->p += *n + (nl != NULL);
  if (*n > 0 && (*s)[*n - 1] == '\r')
    (*n)--;
  r->lineno++;
  return true;
}

static void
skip_space (const char **s, size_t *n)
{
  while (*n > 0 && df_is_space (**s))
    (*s)++, (*n)--;
}

static bool
is_comment (const char *s, size_t n)
{
  skip_space (&s, &n);
  return n > 0 && s[0] == '#';
}

/* `# key=value` (moby's reDirective): 1 with key and value filled, 0 when the line is not one. */
static int
match_directive (const char *s, size_t n, char *key, size_t keylen, const char **val, size_t *vlen)
{
  size_t k = 0;

  skip_space (&s, &n);
  if (n == 0 || *s != '#')
    return 0;
  s++, n--;
  skip_space (&s, &n);
  while (n > 0 && k + 1 < keylen
         && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (k > 0 && *s >= '0' && *s <= '9')))
    key[k++] = (char) (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s), s++, n--;
  key[k] = '\0';
  skip_space (&s, &n);
  if (k == 0 || n == 0 || *s != '=')
    return 0;
  s++, n--;
  skip_space (&s, &n);
  while (n > 0 && df_is_space (s[n - 1]))
    n--;
  *val = s;
  *vlen = n;
  return n > 0;
}

/* A directive line: applied, 1; 0 when the line is not one (directives end there). */
static int
directive (struct df_parser *p, const char *s, size_t n, unsigned line)
{
  char key[16];
  const char *v;
  size_t vn;
  bool *seen;

  if (match_directive (s, n, key, sizeof key, &v, &vn) == 0)
    return 0;
  if (strcmp (key, "escape") == 0)
    seen = &p->seen_escape;
  else if (strcmp (key, "syntax") == 0)
    seen = &p->seen_syntax;
  else if (strcmp (key, "check") == 0)
    seen = &p->seen_check;
  else
    return 0;
  if (*seen)
    return df_fail_at (p, line, "only one %s parser directive can be used", key);
  *seen = true;
  if (seen == &p->seen_syntax)
    p->df->syntax = xasprintf ("%.*s", (int) vn, v);
  else if (seen == &p->seen_escape && (vn != 1 || (v[0] != '\\' && v[0] != '`')))
    return df_fail_at (p, line, "invalid escape token '%.*s' does not match ` or \\", (int) vn, v);
  else if (seen == &p->seen_escape)
    p->df->escape = v[0];
  return 1;
}

/* Whether the line ends with the escape character (and blanks): its length without them. */
static bool
continues (const char *s, size_t *n, char escape)
{
  size_t k = *n;
  while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\t'))
    k--;
  if (k == 0 || s[k - 1] != escape)
    return false;
  *n = k - 1;
  return true;
}

/* The rest of an instruction started by a line that continues: comment lines and blank lines
 * skipped, each line's continuation removed. */
static void
gather (struct df_parser *p, struct reader *r, struct dbuf *b)
{
  const char *s;
  size_t n;

  while (next_line (r, &s, &n))
    {
      const char *t = s;
      size_t tn = n;
      skip_space (&t, &tn);
      if (is_comment (s, n) || tn == 0)
        continue;
      bool more = continues (s, &n, p->df->escape);
      dbuf_put (b, s, n);
      if (!more)
        return;
    }
}

static int
add_instruction (struct df_parser *p, const char *text, unsigned line)
{
  struct dockerfile *df = p->df;
  struct df_instr in = { 0 };

  if (df_parse_instruction (p, text, line, &in) < 0)
    return -1;
  df->instrs = xrealloc (df->instrs, (df->n + 1) * sizeof *df->instrs);
  df->instrs[df->n++] = in;
  if (in.kind == DF_FROM)
    p->seen_from = true;
  else if (!p->seen_from && in.kind != DF_ARG)
    return df_fail_at (p, line, "%s before any FROM (the first instruction other than ARG must be FROM)", in.keyword);
  return 0;
}

static int
parse_lines (struct df_parser *p, struct reader *r)
{
  const char *s;
  size_t n;
  bool directives = true;

  while (next_line (r, &s, &n))
    {
      unsigned line = r->lineno;
      struct dbuf b = { 0 };
      if (line == 1 && n >= 3 && memcmp (s, "\xef\xbb\xbf", 3) == 0)
        s += 3, n -= 3;
      int d = directives ? directive (p, s, n, line) : 0;
      if (d < 0)
        return -1;
      directives = directives && d == 1;
      if (d == 1 || is_comment (s, n))
        continue;
      skip_space (&s, &n);
      bool more = continues (s, &n, p->df->escape);
      dbuf_put (&b, s, n);
      if (more)
        gather (p, r, &b);
      cleanup_free char *text = dbuf_take (&b);
      const char *t = text;
      while (df_is_space (*t))
        t++;
      if (*t && add_instruction (p, text, line) < 0)
        return -1;
    }
  return 0;
}

int
df_parse (const char *text, size_t len, const char *name, struct dockerfile *out, capsa_err **err)
{
  struct dockerfile df = { .escape = '\\' };
  struct df_parser p = { .df = &df, .err = err };
  struct reader r = { .p = text, .end = text + len };

  df.name = xstrdup (name == NULL || strcmp (name, "-") == 0 ? "Dockerfile" : name);
  p.name = df.name;
  if (parse_lines (&p, &r) < 0)
    {
      df_free (&df);
      return -1;
    }
  if (df.n == 0 || !p.seen_from)
    {
      capsa_fail_as (err, EINVAL, "%s: %s", df.name, df.n == 0 ? "file with no instructions" : "no FROM instruction");
      df_free (&df);
      return -1;
    }
  *out = df;
  return 0;
}

void
df_instr_clear (struct df_instr *in)
{
  free (in->original);
  for (size_t i = 0; i < in->nflags; i++)
    {
      free (in->flags[i].name);
      free (in->flags[i].value);
    }
  free (in->flags);
  cleanup_strv_fn (&in->args);
  if (in->sub)
    {
      df_instr_clear (in->sub);
      free (in->sub);
    }
  free (in->trigger_text);
  *in = (struct df_instr){ 0 };
}

void
df_free (struct dockerfile *df)
{
  if (df == NULL)
    return;
  for (size_t i = 0; i < df->n; i++)
    df_instr_clear (&df->instrs[i]);
  free (df->instrs);
  free (df->name);
  free (df->syntax);
  *df = (struct dockerfile){ .escape = '\\' };
}

const char *
df_flag (const struct df_instr *in, const char *name)
{
  const char *v = NULL;
  for (size_t i = 0; i < in->nflags; i++)
    if (strcmp (in->flags[i].name, name) == 0)
      v = in->flags[i].value;
  return v;
}

const char **
df_flags_all (const struct df_instr *in, const char *name)
{
  const char **v = xmalloc0 ((in->nflags + 1) * sizeof *v);
  size_t n = 0;
  for (size_t i = 0; i < in->nflags; i++)
    if (strcmp (in->flags[i].name, name) == 0)
      v[n++] = in->flags[i].value;
  return v;
}
