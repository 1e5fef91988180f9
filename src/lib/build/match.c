/* The buffer, Go's filepath.Clean and the pattern matcher shared by src/lib/build (match.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "util.h"

void
dbuf_put (struct dbuf *b, const char *s, size_t n)
{
  if (b->s == NULL || b->len + n + 1 > b->cap)
    {
      b->cap = (b->len + n + 1) * 2;
      b->s = xrealloc (b->s, b->cap);
    }
  if (n > 0)
    memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
dbuf_putc (struct dbuf *b, char c)
{
  dbuf_put (b, &c, 1);
}

char *
dbuf_take (struct dbuf *b)
{
  char *s = b->s ? b->s : xstrdup ("");
  *b = (struct dbuf){ 0 };
  return s;
}

struct span
{
  const char *s;
  size_t n;
};

char *
df_clean_path (const char *path)
{
  bool rooted = path[0] == '/';
  size_t len = strlen (path), top = 0;
  cleanup_free struct span *st = xmalloc0 ((len / 2 + 1) * sizeof *st);
  struct dbuf b = { 0 };

  for (const char *p = path; *p;)
    {
      size_t n = strcspn (p, "/");
      bool dotdot = n == 2 && p[0] == '.' && p[1] == '.';
      if (dotdot && top > 0 && !(st[top - 1].n == 2 && memcmp (st[top - 1].s, "..", 2) == 0))
        top--;
      else if (dotdot && rooted)
        ;
      else if (n > 0 && !(n == 1 && p[0] == '.'))
        st[top++] = (struct span){ p, n };
      p += n;
      p += *p == '/';
    }
  if (rooted)
    dbuf_putc (&b, '/');
  for (size_t i = 0; i < top; i++)
    {
      if (i > 0)
        dbuf_putc (&b, '/');
      dbuf_put (&b, st[i].s, st[i].n);
    }
  if (b.len == 0)
    dbuf_putc (&b, '.');
  return dbuf_take (&b);
}

bool
df_has_wildcards (const char *pattern)
{
  for (const char *p = pattern; *p; p++)
    {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == '*' || *p == '?' || *p == '[')
        return true;
    }
  return false;
}

enum tok_type
{
  T_LIT,
  T_ANY,       /* ? */
  T_CLASS,     /* [...] */
  T_STAR,      /* * */
  T_DSTAR_END, /* ** at the end: anything */
  T_DSTAR_DIR, /* **: zero or more components, each with its `/` */
};

struct tok
{
  enum tok_type type;
  uint32_t c;      /* T_LIT */
  const char *cls; /* T_CLASS: just after its `[` */
};

struct df_pattern
{
  char *text;
  struct tok *t;
  size_t n;
};

/* One UTF-8 character of s (Go decodes the same way; an invalid byte is a character of its own,
 * kept apart from every valid one). */
static uint32_t
rune_at (const char *s, size_t *len)
{
  const unsigned char *u = (const unsigned char *) s;
  size_t n = u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : u[0] >= 0xc0 ? 2 : 1;
  uint32_t r = n == 1 ? u[0] : u[0] & (0x7fu >> n);

  if (u[0] >= 0x80 && n == 1)
    {
      *len = 1;
      return 0x110000u + u[0];
    }
  for (size_t i = 1; i < n; i++)
    {
      if ((u[i] & 0xc0) != 0x80)
        {
          *len = 1;
          return 0x110000u + u[0];
        }
      r = (r << 6) | (u[i] & 0x3f);
    }
  *len = n;
  return r;
}

/* One character of a class (Go's getEsc): `-` and `]` must be escaped, a class cannot end. */
static int
class_char (const char **pp, uint32_t *out)
{
  const char *p = *pp;
  size_t n;

  if (*p == '\0' || *p == '-' || *p == ']')
    return -1;
  if (*p == '\\')
    {
      p++;
      if (*p == '\0')
        return -1;
    }
  *out = rune_at (p, &n);
  *pp = p + n;
  return 0;
}

/* Whether r is in the class at *pp (just after its `[`): 1 or 0, *pp moved past its `]`; -1 when
 * the class is malformed. */
static int
class_match (const char **pp, uint32_t r)
{
  const char *p = *pp;
  bool neg = *p == '^', hit = false;
  size_t nrange = 0;

  p += neg;
  for (;;)
    {
      uint32_t lo, hi;
      if (*p == ']' && nrange > 0)
        break;
      if (class_char (&p, &lo) < 0)
        return -1;
      hi = lo;
      if (*p == '-')
        {
          p++;
          if (class_char (&p, &hi) < 0)
            return -1;
        }
      hit |= lo <= r && r <= hi;
      nrange++;
    }
  *pp = p + 1;
  return hit != neg;
}

/* The token at *pp, *pp moved past it; -1 when malformed. */
static int
next_tok (const char **pp, bool doublestar, struct tok *t)
{
  const char *p = *pp;
  size_t n;

  *t = (struct tok){ .type = T_LIT };
  if (*p == '*' && doublestar && p[1] == '*')
    {
      p += 2;
      p += *p == '/';
      t->type = *p ? T_DSTAR_DIR : T_DSTAR_END;
    }
  else if (*p == '*' || *p == '?')
    t->type = *p++ == '*' ? T_STAR : T_ANY;
  else if (*p == '[')
    {
      t->type = T_CLASS;
      t->cls = ++p;
      if (class_match (&p, 0) < 0)
        return -1;
    }
  else
    {
      if (*p == '\\' && p[1])
        p++;
      else if (*p == '\\' && !doublestar)
        return -1; /* Go's filepath.Match: a trailing `\` is a bad pattern */
      t->c = rune_at (p, &n);
      p += n;
    }
  *pp = p;
  return 0;
}

struct df_pattern *
df_pattern_compile (const char *pattern, bool doublestar)
{
  struct df_pattern *pat = xmalloc0 (sizeof *pat);

  pat->text = xstrdup (pattern);
  pat->t = xmalloc0 ((strlen (pattern) + 1) * sizeof *pat->t);
  for (const char *p = pat->text; *p;)
    if (next_tok (&p, doublestar, &pat->t[pat->n++]) < 0)
      {
        df_pattern_free (pat);
        return NULL;
      }
  return pat;
}

void
df_pattern_free (struct df_pattern *p)
{
  if (p == NULL)
    return;
  free (p->text);
  free (p->t);
  free (p);
}

/* Follow the moves that consume nothing: past a `*` or `**`, into a `**`'s components. */
static void
closure (const struct df_pattern *p, bool *on, bool *in)
{
  for (size_t j = 0; j < p->n; j++)
    if (on[j] && p->t[j].type >= T_STAR)
      {
        on[j + 1] = true;
        in[j] |= p->t[j].type == T_DSTAR_DIR;
      }
}

static bool
tok_takes (const struct tok *t, uint32_t c)
{
  const char *cls = t->cls;
  switch (t->type)
    {
    case T_LIT:
      return c == t->c;
    case T_ANY:
      return c != '/';
    case T_CLASS:
      return class_match (&cls, c) == 1;
    default:
      return false;
    }
}

/* One character c: from the states on/in to nx/nin; whether any state is left. */
static bool
step (const struct df_pattern *p, const bool *on, const bool *in, uint32_t c, bool *nx, bool *nin)
{
  bool any = false;

  memset (nx, 0, p->n + 1);
  memset (nin, 0, p->n + 1);
  for (size_t j = 0; j < p->n; j++)
    {
      enum tok_type ty = p->t[j].type;
      if (on[j] && tok_takes (&p->t[j], c))
        nx[j + 1] = true;
      if (on[j] && ((ty == T_STAR && c != '/') || ty == T_DSTAR_END))
        nx[j] = true;
      if (in[j])
        {
          nin[j] = true;
          nx[j + 1] |= c == '/';
        }
    }
  closure (p, nx, nin);
  for (size_t j = 0; j <= p->n; j++)
    any |= nx[j] || nin[j];
  return any;
}

bool
df_pattern_match (const struct df_pattern *p, const char *name)
{
  size_t sz = p->n + 1;
  cleanup_free bool *mem = xmalloc0 (4 * sz);
  bool *on = mem, *in = mem + sz, *nx = mem + 2 * sz, *nin = mem + 3 * sz;

  on[0] = true;
  closure (p, on, in);
  for (const char *s = name; *s;)
    {
      size_t n;
      uint32_t c = rune_at (s, &n);
      bool *t;
      s += n;
      if (!step (p, on, in, c, nx, nin))
        return false;
      t = on, on = nx, nx = t;
      t = in, in = nin, nin = t;
    }
  return on[p->n];
}
