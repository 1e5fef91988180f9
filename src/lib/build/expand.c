/* The word expander (dockerfile.h): moby's shell lexer (ProcessWord) as the builders run it on
 * the arguments of ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR ARG.  A
 * recursive descent: a word, and inside ${NAME:-word} the word up to its `}`. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dockerfile.h"
#include "match.h"
#include "util.h"

struct lexer
{
  const char *w;
  size_t i;
  char esc;
  df_lookup_fn *lookup;
  void *data;
  capsa_err **err;
};

static int lex_word (struct lexer *lx, char stop, struct dbuf *out);
static int lex_dollar (struct lexer *lx, struct dbuf *out);

static int
lex_fail (struct lexer *lx, const char *msg)
{
  return capsa_fail_as (lx->err, EINVAL, "%s", msg);
}

static bool
name_char (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* A variable's name: letters, digits and `_`; a run of digits ($1); or one special parameter. */
static void
lex_name (struct lexer *lx, struct dbuf *name)
{
  const char *w = lx->w;
  char c = w[lx->i];

  if (c >= '0' && c <= '9')
    {
      while (w[lx->i] >= '0' && w[lx->i] <= '9')
        dbuf_putc (name, w[lx->i++]);
      return;
    }
  if (c != '\0' && strchr ("@*#?-$!", c))
    {
      dbuf_putc (name, w[lx->i++]);
      return;
    }
  while (name_char (w[lx->i]))
    dbuf_putc (name, w[lx->i++]);
}

static int
lex_single_quote (struct lexer *lx, struct dbuf *out)
{
  const char *end = strchr (lx->w + lx->i + 1, '\'');
  if (end == NULL)
    return lex_fail (lx, "unexpected end of statement while looking for matching single-quote");
  dbuf_put (out, lx->w + lx->i + 1, (size_t) (end - (lx->w + lx->i + 1)));
  lx->i = (size_t) (end - lx->w) + 1;
  return 0;
}

/* "...": `$` expands; the escape character escapes only `"`, `$` and itself. */
static int
lex_double_quote (struct lexer *lx, struct dbuf *out)
{
  const char *w = lx->w;

  lx->i++;
  for (;;)
    {
      char c = w[lx->i];
      if (c == '\0')
        return lex_fail (lx, "unexpected end of statement while looking for matching double-quote");
      if (c == '"')
        {
          lx->i++;
          return 0;
        }
      if (c == '$')
        {
          if (lex_dollar (lx, out) < 0)
            return -1;
          continue;
        }
      lx->i++;
      if (c == lx->esc && w[lx->i] == '\0')
        continue;
      if (c == lx->esc && (w[lx->i] == '"' || w[lx->i] == '$' || w[lx->i] == lx->esc))
        c = w[lx->i++];
      dbuf_putc (out, c);
    }
}

/* ${NAME?msg} and ${NAME:?msg}: the value, or an error naming NAME. */
static int
lex_required (struct lexer *lx, const char *name, const char *val, bool colon, const char *word, struct dbuf *out)
{
  const char *why = val == NULL ? "is not allowed to be unset" : "is not allowed to be empty";
  if (val == NULL || (colon && val[0] == '\0'))
    return capsa_fail_as (lx->err, EINVAL, "%s: %s", name, word[0] ? word : why);
  dbuf_put (out, val, strlen (val));
  return 0;
}

/* The modifier of ${NAME<op>word}, after NAME (and the `:` when colon): the word is expanded up
 * to the closing `}`, then chosen or not. */
static int
lex_modifier (struct lexer *lx, const char *name, bool colon, struct dbuf *out)
{
  char op = lx->w[lx->i];
  struct dbuf word = { 0 };
  cleanup_free char *ws = NULL;
  const char *val;
  bool set;

  if (op == '\0')
    return lex_fail (lx, "syntax error: missing '}'");
  if (op != '-' && op != '+' && op != '?')
    return capsa_fail_as (lx->err, EINVAL, "unsupported modifier (%c) in substitution", op);
  lx->i++;
  int r = lex_word (lx, '}', &word);
  ws = dbuf_take (&word);
  if (r < 0)
    return -1;
  val = lx->lookup (lx->data, name);
  set = val != NULL && (!colon || val[0] != '\0');
  if (op == '?')
    return lex_required (lx, name, val, colon, ws, out);
  if (op == '-')
    val = set ? val : ws;
  else
    val = set ? ws : "";
  dbuf_put (out, val, strlen (val));
  return 0;
}

static void
put_var (struct lexer *lx, const char *name, struct dbuf *out)
{
  const char *v = lx->lookup (lx->data, name);
  if (v)
    dbuf_put (out, v, strlen (v));
}

/* $NAME, ${NAME}, ${NAME<modifier>word}; a `$` not followed by a name stays. */
static int
lex_dollar (struct lexer *lx, struct dbuf *out)
{
  struct dbuf nb = { 0 };
  cleanup_free char *name = NULL;
  const char *w = lx->w;

  lx->i++;
  if (w[lx->i] != '{')
    {
      lex_name (lx, &nb);
      name = dbuf_take (&nb);
      if (name[0] == '\0')
        dbuf_putc (out, '$');
      else
        put_var (lx, name, out);
      return 0;
    }
  lx->i++;
  if (w[lx->i] == '\0')
    return lex_fail (lx, "syntax error: missing '}'");
  if (w[lx->i] == '{' || w[lx->i] == '}' || w[lx->i] == ':')
    return lex_fail (lx, "syntax error: bad substitution");
  lex_name (lx, &nb);
  name = dbuf_take (&nb);
  if (w[lx->i] == '}')
    {
      lx->i++;
      put_var (lx, name, out);
      return 0;
    }
  bool colon = w[lx->i] == ':';
  lx->i += colon;
  return lex_modifier (lx, name, colon, out);
}

/* A word up to `stop` (consumed; '\0': the end). */
static int
lex_word (struct lexer *lx, char stop, struct dbuf *out)
{
  const char *w = lx->w;

  for (;;)
    {
      char c = w[lx->i];
      int r = 0;
      if (c == '\0')
        return stop ? lex_fail (lx, "syntax error: missing '}'") : 0;
      if (stop && c == stop)
        {
          lx->i++;
          return 0;
        }
      if (c == '\'')
        r = lex_single_quote (lx, out);
      else if (c == '"')
        r = lex_double_quote (lx, out);
      else if (c == '$')
        r = lex_dollar (lx, out);
      else
        {
          lx->i++;
          if (c == lx->esc && w[lx->i] == '\0')
            return stop ? lex_fail (lx, "syntax error: missing '}'") : 0;
          dbuf_putc (out, c == lx->esc ? w[lx->i++] : c);
        }
      if (r < 0)
        return -1;
    }
}

int
df_expand_word (const char *word, char escape, df_lookup_fn *lookup, void *data, char **out, capsa_err **err)
{
  struct lexer lx = { .w = word, .esc = escape, .lookup = lookup, .data = data, .err = err };
  struct dbuf b = { 0 };
  int r = lex_word (&lx, '\0', &b);
  cleanup_free char *s = dbuf_take (&b);

  if (r < 0)
    return -1;
  *out = take_ptr (&s);
  return 0;
}
