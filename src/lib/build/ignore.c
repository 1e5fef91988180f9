/* .dockerignore / .containerignore (dockerfile.h): moby's patternmatcher, with its
 * MatchesOrParentMatches rule (a pattern matching a parent directory matches what is below). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "match.h"
#include "util.h"

struct ig_rule
{
  bool exception;
  struct df_pattern *pat;
  char *text; /* cleaned */
};

struct df_ignore
{
  struct ig_rule *r;
  size_t n;
  bool exceptions;
};

void
df_ignore_free (struct df_ignore *ig)
{
  if (ig == NULL)
    return;
  for (size_t i = 0; i < ig->n; i++)
    {
      df_pattern_free (ig->r[i].pat);
      free (ig->r[i].text);
    }
  free (ig->r);
  free (ig);
}

static bool
is_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* The line [s, s+n) trimmed of white space, as a string. */
static char *
trimmed (const char *s, size_t n)
{
  while (n > 0 && is_space (*s))
    s++, n--;
  while (n > 0 && is_space (s[n - 1]))
    n--;
  char *r = xmalloc0 (n + 1);
  memcpy (r, s, n);
  return r;
}

/* One line's pattern: cleaned, a leading `/` dropped; `!` an exception. */
static int
add_rule (struct df_ignore *ig, const char *line, unsigned lineno, capsa_err **err)
{
  bool exception = line[0] == '!';
  cleanup_free char *rest = exception ? trimmed (line + 1, strlen (line + 1)) : xstrdup (line);
  cleanup_free char *clean = NULL;
  const char *p;

  if (rest[0] == '\0')
    return capsa_fail_as (err, EINVAL, "line %u: illegal exclusion pattern: \"!\"", lineno);
  clean = df_clean_path (rest);
  p = clean[0] == '/' && clean[1] ? clean + 1 : clean;
  struct df_pattern *pat = df_pattern_compile (p, true);
  if (pat == NULL)
    return capsa_fail_as (err, EINVAL, "line %u: syntax error in pattern `%s`", lineno, line);
  ig->r = xrealloc (ig->r, (ig->n + 1) * sizeof *ig->r);
  ig->r[ig->n++] = (struct ig_rule){ exception, pat, xstrdup (p) };
  ig->exceptions |= exception;
  return 0;
}

int
df_ignore_parse (const char *text, size_t len, struct df_ignore **out, capsa_err **err)
{
  struct df_ignore *ig = xmalloc0 (sizeof *ig);
  const char *end = text + len;
  unsigned lineno = 0;

  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    text += 3;
  for (const char *p = text; p < end;)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t n = nl ? (size_t) (nl - p) : (size_t) (end - p);
      cleanup_free char *line = trimmed (p, n);
      lineno++;
      /* a comment only at the very start of the line, as moby's ReadAll; NUL ends a line */
      if (p[0] != '#' && line[0] && add_rule (ig, line, lineno, err) < 0)
        {
          df_ignore_free (ig);
          return -1;
        }
      p += n + 1;
    }
  *out = ig;
  return 0;
}

static bool
rule_matches (const struct ig_rule *r, const char *rel)
{
  cleanup_free char *prefix = xstrdup (rel);

  if (df_pattern_match (r->pat, rel))
    return true;
  for (char *s = strchr (prefix, '/'); s; s = strchr (s + 1, '/'))
    {
      *s = '\0';
      bool m = df_pattern_match (r->pat, prefix);
      *s = '/';
      if (m)
        return true;
    }
  return false;
}

bool
df_ignore_excluded (const struct df_ignore *ig, const char *rel)
{
  bool excluded = false;

  if (ig == NULL)
    return false;
  for (size_t i = 0; i < ig->n; i++)
    {
      /* only a rule that could change the answer is tried */
      if (ig->r[i].exception != excluded)
        continue;
      if (rule_matches (&ig->r[i], rel))
        excluded = !ig->r[i].exception;
    }
  return excluded;
}

bool
df_ignore_has_exceptions (const struct df_ignore *ig)
{
  return ig != NULL && ig->exceptions;
}

bool
df_ignore_reincludes_below (const struct df_ignore *ig, const char *dir)
{
  size_t n = strlen (dir);

  for (size_t i = 0; ig && i < ig->n; i++)
    {
      const char *t = ig->r[i].text;
      if (ig->r[i].exception && strncmp (t, dir, n) == 0 && (t[n] == '/' || t[n] == '\0'))
        return true;
    }
  return false;
}
