/* A subset of Go's text/template over JSON (template.h).  One pass over the text, no tree: a
 * list of text and actions runs until its {{end}} or {{else}}; a part that must not print (the
 * false branch of an if, a range body when checking its shape) runs with emit off, which checks
 * its syntax and function names but reads no data.  Output goes to a memory stream, so an error
 * half-way prints nothing. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/template.h"
#include "capsa/util.h"

#define MAX_VARS 16
#define MAX_TOKS 64

struct var
{
  char name[32];
  json_t *val;
};

struct tpl
{
  json_t *root;
  json_t *tmp; /* values made while running (literals, results): alive until the end */
  FILE *out;
  struct var vars[MAX_VARS];
  int nvars;
  const char *tmpl;
  char action[96];            /* the action being run, for errors */
  size_t pos;                 /* where it starts in tmpl */
  const char *const *headers; /* header mode (a table's header line): field, header pairs */
  bool header;
  capsa_err **err;
};

/* A value and the field it was read from (NULL: none), which tells a map from a struct. */
struct val
{
  json_t *j; /* NULL: no value (a key missing from a map) */
  char field[40];
};

static struct val
mkval (json_t *j, const char *field)
{
  struct val v = { .j = j };
  if (field)
    snprintf (v.field, sizeof v.field, "%s", field);
  return v;
}

enum term
{
  TERM_EOF,
  TERM_END,
  TERM_ELSE,
};

/* Go's error: "template: :LINE:COL: executing "" at <{{ACTION}}>: WHY" */
static int
fail_at (struct tpl *t, size_t pos, const char *act, const char *why, const char *what)
{
  int line = 1;
  size_t col = pos;
  for (size_t i = 0; i < pos && t->tmpl[i]; i++)
    if (t->tmpl[i] == '\n')
      line++, col = pos - i - 1;
  return capsa_fail_as (t->err, EINVAL, "template: :%d:%zu: executing \"\" at <{{%s}}>: %s%s", line, col, act, why,
                        what ? what : "");
}

static int
fail (struct tpl *t, const char *why, const char *what)
{
  return fail_at (t, t->pos, t->action, why, what);
}

/* docker's map fields (Go maps in its inspect structs); any other object is a struct */
static bool
is_map_field (const char *field)
{
  static const char *const maps[] = { "Labels",     "Networks",    "Ports",       "ExposedPorts",  "Volumes",
                                      "Options",    "Annotations", "Sysctls",     "StorageOpt",    "Data",
                                      "DriverOpts", "Tmpfs",       "IPAMOptions", "Config.Labels", "Attributes" };
  for (size_t i = 0; i < ARRAY_SIZE (maps); i++)
    if (strcmp (maps[i], field) == 0)
      return true;
  return false;
}

static json_t *
keep (struct tpl *t, json_t *j)
{
  json_array_append_new (t->tmp, j);
  return j;
}

/* Go's truth: false, 0, nil, and empty strings, arrays and maps are false; a struct is true. */
static bool
truth (struct val v)
{
  json_t *j = v.j;
  if (j == NULL || json_is_null (j) || json_is_false (j))
    return false;
  if (json_is_integer (j))
    return json_integer_value (j) != 0;
  if (json_is_real (j))
    return json_real_value (j) != 0;
  if (json_is_string (j))
    return json_string_length (j) > 0;
  if (json_is_array (j))
    return json_array_size (j) > 0;
  if (json_is_object (j) && is_map_field (v.field))
    return json_object_size (j) > 0;
  return true;
}

static int
cmp_keys (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* an object's keys, sorted as Go ranges over and prints maps (the array is malloc'd) */
static const char **
sorted_keys (json_t *obj)
{
  const char **keys = capsa_xmalloc0 ((json_object_size (obj) + 1) * sizeof (char *));
  const char *k;
  json_t *v;
  size_t n = 0;
  json_object_foreach (obj, k, v) keys[n++] = k;
  qsort (keys, n, sizeof (char *), cmp_keys);
  return keys;
}

static void
print_val (FILE *f, struct val v)
{
  json_t *j = v.j;
  if (j == NULL)
    fputs ("<no value>", f);
  else if (json_is_null (j))
    fputs ("<nil>", f);
  else if (json_is_string (j))
    fputs (json_string_value (j), f);
  else if (json_is_integer (j))
    fprintf (f, "%lld", (long long) json_integer_value (j));
  else if (json_is_real (j))
    fprintf (f, "%g", json_real_value (j));
  else if (json_is_boolean (j))
    fputs (json_is_true (j) ? "true" : "false", f);
  else if (json_is_array (j))
    {
      size_t i;
      json_t *e;
      fputc ('[', f);
      json_array_foreach (j, i, e)
      {
        fputs (i ? " " : "", f);
        print_val (f, mkval (e, NULL));
      }
      fputc (']', f);
    }
  else if (is_map_field (v.field))
    {
      cleanup_free const char **keys = sorted_keys (j);
      fputs ("map[", f);
      for (size_t i = 0; keys[i]; i++)
        {
          fprintf (f, "%s%s:", i ? " " : "", keys[i]);
          print_val (f, mkval (json_object_get (j, keys[i]), keys[i]));
        }
      fputc (']', f);
    }
  else
    {
      const char *k;
      json_t *e;
      bool first = true;
      fputc ('{', f);
      json_object_foreach (j, k, e)
      {
        fputs (first ? "" : " ", f);
        first = false;
        print_val (f, mkval (e, k));
      }
      fputc ('}', f);
    }
}

/* .A.B from v (a path of fields, each after a dot) */
/* utf-8 characters in s[0..n) (widths in tables and printf) */
static size_t
runes (const char *s, size_t n)
{
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    r += ((unsigned char) s[i] & 0xC0) != 0x80;
  return r;
}

/* In a table's header line a field is its header: the caller's, else its name in capitals. */
static struct val
header_of (struct tpl *t, const char *path)
{
  path += *path == '.';
  for (size_t i = 0; t->headers && t->headers[i] && t->headers[i + 1]; i += 2)
    if (strcmp (t->headers[i], path) == 0)
      return mkval (keep (t, json_string (t->headers[i + 1])), NULL);
  const char *last = strrchr (path, '.');
  cleanup_free char *up = capsa_xstrdup (last ? last + 1 : path);
  for (char *p = up; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return mkval (keep (t, json_string (up)), NULL);
}

static int
get_fields (struct tpl *t, struct val v, const char *path, struct val *out)
{
  if (t->header)
    return *out = header_of (t, path), 0;
  while (*path == '.' && path[1])
    {
      const char *name = path + 1, *end = strchrnul (name, '.');
      cleanup_free char *key = capsa_xasprintf ("%.*s", (int) (end - name), name);
      if (v.j == NULL || !json_is_object (v.j))
        return fail (t, "can't evaluate field ", key);
      json_t *j = json_object_get (v.j, key);
      if (j == NULL && !is_map_field (v.field))
        return fail (t, "can't evaluate field ", key);
      v = mkval (j, key); /* j NULL: a key missing from a map, `<no value>` as docker prints it */
      path = end;
    }
  if (*path && strcmp (path, ".") != 0)
    return fail (t, "bad field name ", path);
  *out = v;
  return 0;
}

static struct var *
find_var (struct tpl *t, const char *name, size_t len)
{
  for (int i = t->nvars - 1; i >= 0; i--)
    if (strlen (t->vars[i].name) == len && strncmp (t->vars[i].name, name, len) == 0)
      return &t->vars[i];
  return NULL;
}

static int eval_text (struct tpl *t, const char *text, struct val dot, bool emit, struct val *out);

/* One operand: . .A.B $ $v $v.A "string" 12 true false (PIPELINE) */
static int
operand (struct tpl *t, const char *tok, struct val dot, bool emit, struct val *out)
{
  *out = mkval (NULL, NULL);
  if (tok[0] == '"')
    {
      json_t *j = json_loads (tok, JSON_DECODE_ANY, NULL);
      if (j == NULL || !json_is_string (j))
        return json_decref (j), fail (t, "bad string ", tok);
      *out = mkval (keep (t, j), NULL);
      return 0;
    }
  if (isdigit ((unsigned char) tok[0]) || (tok[0] == '-' && isdigit ((unsigned char) tok[1])))
    {
      char *end;
      long long n = strtoll (tok, &end, 10);
      if (*end)
        return fail (t, "bad number ", tok);
      *out = mkval (keep (t, json_integer (n)), NULL);
      return 0;
    }
  if (strcmp (tok, "true") == 0 || strcmp (tok, "false") == 0)
    {
      *out = mkval (keep (t, json_boolean (tok[0] == 't')), NULL);
      return 0;
    }
  if (tok[0] == '(')
    {
      cleanup_free char *inner = capsa_xasprintf ("%.*s", (int) strlen (tok) - 2, tok + 1);
      return eval_text (t, inner, dot, emit, out);
    }
  if (tok[0] == '$')
    {
      size_t len = strcspn (tok + 1, ".");
      struct var *v = find_var (t, tok + 1, len);
      if (v == NULL && len > 0)
        return fail (t, "undefined variable $", tok + 1);
      return emit ? get_fields (t, v ? mkval (v->val, NULL) : mkval (t->root, NULL), tok + 1 + len, out) : 0;
    }
  if (tok[0] == '.')
    return emit ? get_fields (t, dot, tok, out) : 0;
  return fail (t, "function not defined: ", tok);
}

/* After the ) that closes the ( at s, past "strings" (NULL: none). */
static char *
paren_close (char *s)
{
  int depth = 0;
  bool in_str = false;
  for (; *s; s++)
    if (in_str && *s == '\\' && s[1])
      s++;
    else if (*s == '"')
      in_str = !in_str;
    else if (!in_str && (*s == '(' || *s == ')') && (depth += *s == '(' ? 1 : -1) == 0)
      return s + 1;
  return NULL;
}

/* Split an action into words: "strings" and (pipelines) whole, `|` and `,` alone; the array points into s,
 * which is cut up.  Returns the count, or -1 (too many, an unterminated string or parenthesis). */
static int
tokenize (struct tpl *t, char *s, char **toks)
{
  static char sep[2][2] = { "|", "," };
  int n = 0;
  while (*s)
    {
      if (isspace ((unsigned char) *s))
        {
          *s++ = '\0';
          continue;
        }
      if (n == MAX_TOKS - 1)
        return fail (t, "too many words", NULL);
      if (*s == ')' || *s == '`')
        return fail (t, *s == '`' ? "not supported: raw strings" : "unexpected )", NULL);
      toks[n++] = s;
      if (*s == '(')
        {
          s = paren_close (s);
          if (s == NULL)
            return fail (t, "unclosed (", NULL);
          if (*s && !isspace ((unsigned char) *s) && *s != '|' && *s != ',')
            return fail (t, "not supported: a field of (...)", NULL);
          continue;
        }
      if (*s == '|' || *s == ',')
        {
          toks[n - 1] = sep[*s == ','];
          *s++ = '\0';
          continue;
        }
      if (*s == '"')
        {
          for (s++; *s && *s != '"'; s++)
            if (*s == '\\' && s[1])
              s++;
          if (*s != '"')
            return fail (t, "unterminated string", NULL);
          s++;
          continue;
        }
      while (*s && !isspace ((unsigned char) *s) && *s != '|' && *s != ',')
        s++;
      if ((*s == '|' || *s == ',') && n < MAX_TOKS - 1)
        {
          /* a separator right after a word: ends it, and is a token of its own */
          toks[n++] = sep[*s == ','];
          *s++ = '\0';
        }
    }
  toks[n] = NULL;
  return n;
}

static int
fn_index (struct tpl *t, struct val *args, int n, struct val *out)
{
  struct val v = args[0];
  for (int i = 1; i < n; i++)
    {
      json_t *k = args[i].j;
      if (v.j && json_is_object (v.j) && k && json_is_string (k))
        v = mkval (json_object_get (v.j, json_string_value (k)), json_string_value (k));
      else if (v.j && json_is_array (v.j) && k && json_is_integer (k))
        {
          json_int_t ix = json_integer_value (k);
          if (ix < 0 || (size_t) ix >= json_array_size (v.j))
            return fail (t, "index out of range", NULL);
          v = mkval (json_array_get (v.j, (size_t) ix), NULL);
        }
      else
        return fail (t, "index: can't index this value with this key", NULL);
    }
  *out = v;
  return 0;
}

static int
fn_len (struct tpl *t, struct val v, struct val *out)
{
  size_t n;
  if (v.j && json_is_string (v.j))
    n = json_string_length (v.j);
  else if (v.j && json_is_array (v.j))
    n = json_array_size (v.j);
  else if (v.j && json_is_object (v.j))
    n = json_object_size (v.j);
  else
    return fail (t, "len of a value without a length", NULL);
  *out = mkval (keep (t, json_integer ((json_int_t) n)), NULL);
  return 0;
}

static int
fn_join (struct tpl *t, struct val *args, struct val *out)
{
  if (!args[0].j || !json_is_array (args[0].j) || !args[1].j || !json_is_string (args[1].j))
    return fail (t, "join wants a list of strings and a separator", NULL);
  cleanup_free char *buf = NULL;
  size_t len = 0, i;
  json_t *e;
  FILE *f = open_memstream (&buf, &len);
  json_array_foreach (args[0].j, i, e)
  {
    fputs (i ? json_string_value (args[1].j) : "", f);
    print_val (f, mkval (e, NULL));
  }
  fclose (f);
  *out = mkval (keep (t, json_string (buf)), NULL);
  return 0;
}

static int
fn_case (struct tpl *t, struct val v, bool up, struct val *out)
{
  if (!v.j || !json_is_string (v.j))
    return fail (t, up ? "upper" : "lower", " wants a string");
  cleanup_free char *s = capsa_xstrdup (json_string_value (v.j));
  for (char *p = s; *p; p++)
    *p = (char) (up ? toupper ((unsigned char) *p) : tolower ((unsigned char) *p));
  *out = mkval (keep (t, json_string (s)), NULL);
  return 0;
}

/* a value as print_val writes it (malloc'd) */
static char *
val_text (struct val v)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return capsa_xstrdup ("");
  print_val (f, v);
  fclose (f);
  return buf;
}

static struct val
str_val (struct tpl *t, const char *s)
{
  return mkval (keep (t, json_string (s)), NULL);
}

static bool
is_str (struct val v)
{
  return v.j && json_is_string (v.j);
}

/* docker's title: the first letter of each word in capitals (as Go's strings.Title) */
static int
fn_title (struct tpl *t, struct val v, struct val *out)
{
  if (!is_str (v))
    return fail (t, "title wants a string", NULL);
  cleanup_free char *s = capsa_xstrdup (json_string_value (v.j));
  bool start = true;
  for (char *p = s; *p; p++)
    {
      unsigned char c = (unsigned char) *p;
      if (start && isalpha (c))
        *p = (char) toupper (c);
      start = !(isalnum (c) || c == '_' || c >= 0x80);
    }
  return *out = str_val (t, s), 0;
}

static int
fn_split (struct tpl *t, struct val *a, struct val *out)
{
  if (!is_str (a[0]) || !is_str (a[1]))
    return fail (t, "split wants a string and a separator", NULL);
  const char *s = json_string_value (a[0].j), *sep = json_string_value (a[1].j);
  size_t n = strlen (sep);
  json_t *arr = keep (t, json_array ());
  while (n > 0 || *s)
    {
      const char *e = n ? strstr (s, sep) : s + 1;
      size_t len = e ? (size_t) (e - s) : strlen (s);
      json_array_append_new (arr, json_stringn (s, len));
      if (e == NULL || (n == 0 && *e == '\0'))
        break;
      s = e + n;
    }
  return *out = mkval (arr, NULL), 0;
}

/* docker's truncate S N (the first N bytes) and pad S BEFORE AFTER (spaces around a non-empty S) */
static int
fn_cut (struct tpl *t, const char *name, struct val *a, int n, struct val *out)
{
  if (!is_str (a[0]) || !a[1].j || !json_is_integer (a[1].j) || (n > 2 && (!a[2].j || !json_is_integer (a[2].j))))
    return fail (t, name, " wants a string and numbers");
  const char *s = json_string_value (a[0].j);
  json_int_t x = json_integer_value (a[1].j), y = n > 2 ? json_integer_value (a[2].j) : 0;
  if (x < 0 || y < 0 || x > 4096 || y > 4096)
    return fail (t, name, ": a number out of range");
  if (name[0] == 't')
    return *out = mkval (keep (t, json_stringn (s, strlen (s) < (size_t) x ? strlen (s) : (size_t) x)), NULL), 0;
  cleanup_free char *p = *s ? capsa_xasprintf ("%*s%s%*s", (int) x, "", s, (int) y, "") : capsa_xstrdup ("");
  return *out = str_val (t, p), 0;
}

/* lt le gt ge over two numbers or two strings */
static int
fn_compare (struct tpl *t, const char *name, struct val *a, struct val *out)
{
  json_t *x = a[0].j, *y = a[1].j;
  int c;
  if (x && y && json_is_number (x) && json_is_number (y))
    c = json_number_value (x) < json_number_value (y) ? -1 : json_number_value (x) > json_number_value (y);
  else if (is_str (a[0]) && is_str (a[1]))
    c = strcmp (json_string_value (x), json_string_value (y));
  else
    return fail (t, "incompatible types for comparison", NULL);
  bool r = name[0] == 'l' ? (name[1] == 't' ? c < 0 : c <= 0) : (name[1] == 't' ? c > 0 : c >= 0);
  return *out = mkval (keep (t, json_boolean (r)), NULL), 0;
}

/* Go's and (the first false argument, else the last) and or (the first true one, else the last) */
static struct val
fn_andor (struct val *a, int n, bool and)
{
  for (int i = 0; i < n - 1; i++)
    if (truth (a[i]) != and)
      return a[i];
  return a[n - 1];
}

/* Go's print: the values, with a space between two that are not strings */
static int
fn_print (struct tpl *t, struct val *a, int n, struct val *out)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return fail (t, "print: out of memory", NULL);
  for (int i = 0; i < n; i++)
    {
      if (i > 0 && !is_str (a[i - 1]) && !is_str (a[i]))
        fputc (' ', f);
      print_val (f, a[i]);
    }
  fclose (f);
  return *out = str_val (t, buf), 0;
}

struct spec
{
  bool left, zero;
  int width, prec; /* -1: none */
};

/* s padded to the spec's width (by characters, as Go), cut to its precision when cut */
static void
put_padded (FILE *f, const struct spec *sp, const char *s, bool cut)
{
  size_t n = strlen (s);
  if (cut && sp->prec >= 0)
    for (size_t i = 0, r = 0; i < n; i++)
      if (((unsigned char) s[i] & 0xC0) != 0x80 && r++ == (size_t) sp->prec)
        {
          n = i;
          break;
        }
  size_t w = runes (s, n);
  size_t pad = sp->width > 0 && (size_t) sp->width > w ? (size_t) sp->width - w : 0;
  bool zero = sp->zero && !sp->left;
  size_t sign = zero && (*s == '-' || *s == '+') ? 1 : 0;
  fwrite (s, 1, sign, f);
  for (size_t i = 0; !sp->left && i < pad; i++)
    fputc (zero ? '0' : ' ', f);
  fwrite (s + sign, 1, n - sign, f);
  for (size_t i = 0; sp->left && i < pad; i++)
    fputc (' ', f);
}

/* One verb of printf with its argument: %d %x of integers, %s %v %q %x of anything */
static void
put_verb (FILE *f, const struct spec *sp, char verb, struct val v)
{
  cleanup_free char *s = NULL;
  bool num = v.j && json_is_integer (v.j);
  if ((verb == 'd' || verb == 'x') && num)
    s = capsa_xasprintf (verb == 'd' ? "%lld" : "%llx", (long long) json_integer_value (v.j));
  else if (verb == 'd')
    {
      cleanup_free char *txt = val_text (v);
      s = capsa_xasprintf ("%%!d(%s)", txt);
    }
  else if (verb == 'q')
    s = v.j ? json_dumps (v.j, JSON_ENCODE_ANY | JSON_COMPACT) : capsa_xstrdup ("\"<no value>\"");
  else if (verb == 'x')
    {
      cleanup_free char *txt = val_text (v);
      s = capsa_xmalloc0 (strlen (txt) * 2 + 1);
      for (size_t i = 0; txt[i]; i++)
        sprintf (s + 2 * i, "%02x", (unsigned char) txt[i]);
    }
  else
    s = val_text (v);
  put_padded (f, sp, s, verb == 's' || verb == 'v');
}

/* the flags, width and precision after a % (at *p, moved past them) */
static struct spec
parse_spec (const char **p)
{
  struct spec sp = { .prec = -1 };
  for (; **p == '-' || **p == '0' || **p == '+' || **p == ' ' || **p == '#'; (*p)++)
    sp.left = sp.left || **p == '-', sp.zero = sp.zero || **p == '0';
  for (; isdigit ((unsigned char) **p) && sp.width < 1000; (*p)++)
    sp.width = sp.width * 10 + (**p - '0');
  if (**p == '.')
    for (sp.prec = 0, (*p)++; isdigit ((unsigned char) **p) && sp.prec < 1000; (*p)++)
      sp.prec = sp.prec * 10 + (**p - '0');
  return sp;
}

static int
fn_printf (struct tpl *t, struct val *a, int n, struct val *out)
{
  if (!is_str (a[0]))
    return fail (t, "printf wants a format string first", NULL);
  cleanup_free char *buf = NULL;
  size_t len = 0;
  int next = 1;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return fail (t, "printf: out of memory", NULL);
  for (const char *p = json_string_value (a[0].j); *p; p++)
    {
      if (*p != '%' || p[1] == '%')
        {
          fputc (*p, f);
          p += *p == '%';
          continue;
        }
      p++;
      struct spec sp = parse_spec (&p);
      if (*p == '\0' || strchr ("sdvqx", *p) == NULL)
        {
          fclose (f);
          return fail (t, "printf: verbs are %s %d %v %q %x and %%, not %", *p ? (char[2]){ *p, 0 } : "");
        }
      if (next < n)
        put_verb (f, &sp, *p, a[next++]);
      else
        fprintf (f, "%%!%c(MISSING)", *p);
    }
  fclose (f);
  return *out = str_val (t, buf), 0;
}

static const struct
{
  const char *name;
  int min, max; /* arguments, the piped value included */
} funcs[] = {
  { "json", 1, 1 }, { "index", 2, 8 },  { "len", 1, 1 },     { "join", 2, 2 },  { "upper", 1, 1 }, { "lower", 1, 1 },
  { "eq", 2, 8 },   { "ne", 2, 2 },     { "not", 1, 1 },     { "title", 1, 1 }, { "split", 2, 2 }, { "truncate", 2, 2 },
  { "pad", 3, 3 },  { "and", 1, 8 },    { "or", 1, 8 },      { "lt", 2, 2 },    { "le", 2, 2 },    { "gt", 2, 2 },
  { "ge", 2, 2 },   { "print", 0, 16 }, { "printf", 1, 16 },
};

/* in a table's header line docker's functions give back the header they were given */
static bool
header_identity (const char *name)
{
  static const char *const ids[] = { "json", "split", "join", "title", "lower", "upper", "pad", "truncate" };
  for (size_t i = 0; i < ARRAY_SIZE (ids); i++)
    if (strcmp (ids[i], name) == 0)
      return true;
  return false;
}

static int
call_text (struct tpl *t, const char *name, struct val *a, int n, struct val *out)
{
  if (strcmp (name, "json") == 0)
    {
      cleanup_free char *s = a[0].j ? json_dumps (a[0].j, JSON_COMPACT | JSON_ENCODE_ANY) : capsa_xstrdup ("null");
      return *out = str_val (t, s), 0;
    }
  if (strcmp (name, "join") == 0)
    return fn_join (t, a, out);
  if (strcmp (name, "upper") == 0 || strcmp (name, "lower") == 0)
    return fn_case (t, a[0], name[0] == 'u', out);
  if (strcmp (name, "title") == 0)
    return fn_title (t, a[0], out);
  if (strcmp (name, "split") == 0)
    return fn_split (t, a, out);
  if (strcmp (name, "truncate") == 0 || strcmp (name, "pad") == 0)
    return fn_cut (t, name, a, n, out);
  if (strcmp (name, "print") == 0)
    return fn_print (t, a, n, out);
  return fn_printf (t, a, n, out);
}

static int
call (struct tpl *t, const char *name, struct val *a, int n, struct val *out)
{
  if (t->header && header_identity (name))
    return *out = a[0], 0;
  if (strcmp (name, "index") == 0)
    return fn_index (t, a, n, out);
  if (strcmp (name, "len") == 0)
    return fn_len (t, a[0], out);
  if (strcmp (name, "and") == 0 || strcmp (name, "or") == 0)
    return *out = fn_andor (a, n, name[0] == 'a'), 0;
  if (name[0] == 'l' && name[2] == '\0')
    return fn_compare (t, name, a, out);
  if (name[0] == 'g' && name[2] == '\0')
    return fn_compare (t, name, a, out);
  if (strcmp (name, "eq") != 0 && strcmp (name, "ne") != 0 && strcmp (name, "not") != 0)
    return call_text (t, name, a, n, out);
  bool r = !truth (a[0]);
  if (strcmp (name, "eq") == 0 || strcmp (name, "ne") == 0)
    {
      r = false;
      for (int i = 1; i < n; i++)
        r = r || (a[0].j && a[i].j && json_equal (a[0].j, a[i].j));
      r = name[0] == 'e' ? r : !r;
    }
  *out = mkval (keep (t, json_boolean (r)), NULL);
  return 0;
}

static int
find_func (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (funcs); i++)
    if (strcmp (funcs[i].name, name) == 0)
      return (int) i;
  return -1;
}

/* docker's {{.Label "KEY"}} (ps, network ls, volume ls): KEY's value in dot's Labels, an object
 * or docker's "k=v,k2=v2" text; "" when it has none */
static int
label_method (struct tpl *t, const char *arg, struct val dot, bool emit, struct val *out)
{
  struct val key;
  if (operand (t, arg, dot, emit, &key) < 0)
    return -1;
  if (!emit)
    return *out = mkval (NULL, NULL), 0;
  if (!is_str (key))
    return fail (t, "Label wants a string", NULL);
  if (t->header)
    {
      /* docker's header: the key's last dotted part, - and _ as spaces */
      const char *dot_at = strrchr (json_string_value (key.j), '.');
      cleanup_free char *h = capsa_xstrdup (dot_at ? dot_at + 1 : json_string_value (key.j));
      for (char *p = h; *p; p++)
        *p = *p == '-' || *p == '_' ? ' ' : *p;
      return *out = str_val (t, h), 0;
    }
  json_t *labels = dot.j && json_is_object (dot.j) ? json_object_get (dot.j, "Labels") : NULL;
  const char *k = json_string_value (key.j);
  if (labels == NULL && !(dot.j && json_is_object (dot.j)))
    return fail (t, "can't evaluate field Label", NULL);
  if (json_is_object (labels))
    return *out = str_val (t, json_string_value (json_object_get (labels, k)) ?: ""), 0;
  size_t kl = strlen (k);
  for (const char *p = json_string_value (labels) ?: ""; *p;)
    {
      const char *end = strchrnul (p, ',');
      if ((size_t) (end - p) > kl && strncmp (p, k, kl) == 0 && p[kl] == '=')
        return *out = mkval (keep (t, json_stringn (p + kl + 1, (size_t) (end - p) - kl - 1)), NULL), 0;
      p = *end ? end + 1 : end;
    }
  return *out = str_val (t, ""), 0;
}

/* One command of a pipeline: a function and its arguments (plus the piped value), or an operand. */
static int
command (struct tpl *t, char **toks, int n, struct val *piped, struct val dot, bool emit, struct val *out)
{
  if (n == 0)
    return fail (t, "missing value", NULL);
  int f = find_func (toks[0]);
  if (f < 0)
    {
      if (isalpha ((unsigned char) toks[0][0]) && strcmp (toks[0], "true") != 0 && strcmp (toks[0], "false") != 0)
        return fail (t, "function not defined: ", toks[0]);
      if (n == 2 && !piped && strcmp (toks[0], ".Label") == 0)
        return label_method (t, toks[1], dot, emit, out);
      if (n > 1 || piped)
        return fail (t, "can't give arguments to a non-function ", toks[0]);
      return operand (t, toks[0], dot, emit, out);
    }
  /* zeroed: a slot past na reads as no value.  The arity check below keeps call() within na,
   * but through the function's name, which clang's analyzer does not follow */
  struct val args[MAX_TOKS] = { 0 };
  int na = 0;
  for (int i = 1; i < n; i++)
    if (operand (t, toks[i], dot, emit, &args[na++]) < 0)
      return -1;
  if (piped)
    args[na++] = *piped;
  if (na < funcs[f].min || na > funcs[f].max)
    return fail (t, "wrong number of arguments for ", toks[0]);
  return emit ? call (t, toks[0], args, na, out) : (*out = mkval (NULL, NULL), 0);
}

/* A pipeline: commands separated by `|`, each one's value the last argument of the next. */
static int
pipeline (struct tpl *t, char **toks, int n, struct val dot, bool emit, struct val *out)
{
  struct val prev;
  bool have = false;
  int start = 0;
  for (int i = 0; i <= n; i++)
    if (i == n || strcmp (toks[i], "|") == 0)
      {
        if (command (t, toks + start, i - start, have ? &prev : NULL, dot, emit, &prev) < 0)
          return -1;
        have = true;
        start = i + 1;
      }
  *out = prev;
  return 0;
}

static void
set_action (struct tpl *t, const char *act)
{
  snprintf (t->action, sizeof t->action, "%s", act);
}

/* Find the closing }} of the action that starts at a (after its {{), past "strings". */
static const char *
action_close (const char *a)
{
  bool in_str = false;
  for (const char *q = a; *q; q++)
    if (in_str && *q == '\\' && q[1])
      q++;
    else if (*q == '"')
      in_str = !in_str;
    else if (!in_str && q[0] == '}' && q[1] == '}')
      return q;
  return NULL;
}

/* The text up to the next action (printed when emit), then the action's content in *act (spaces
 * and trim markers removed) and *p after it.  1: an action, 0: the end of the text, -1: error. */
static int
next_action (struct tpl *t, const char **p, bool emit, char **act)
{
  const char *s = *p, *open = strstr (s, "{{");
  if (open == NULL)
    {
      fputs (emit ? s : "", t->out);
      *p = s + strlen (s);
      return 0;
    }
  const char *text_end = open, *a = open + 2;
  if (a[0] == '-' && isspace ((unsigned char) a[1]))
    for (a++; text_end > s && isspace ((unsigned char) text_end[-1]);)
      text_end--;
  if (emit)
    fwrite (s, 1, (size_t) (text_end - s), t->out);
  const char *close = action_close (a), *after;
  if (close == NULL)
    return fail_at (t, (size_t) (open - t->tmpl), "", "unclosed action", NULL);
  after = close + 2;
  if (close - a >= 2 && close[-1] == '-' && isspace ((unsigned char) close[-2]))
    for (close--; isspace ((unsigned char) *after);)
      after++;
  while (a < close && isspace ((unsigned char) *a))
    a++;
  while (close > a && isspace ((unsigned char) close[-1]))
    close--;
  *act = capsa_xasprintf ("%.*s", (int) (close - a), a);
  *p = after;
  set_action (t, *act);
  t->pos = (size_t) (a - t->tmpl);
  return 1;
}

static int exec_list (struct tpl *t, const char **p, struct val dot, bool emit, char **rest);

/* A pipeline's text evaluated (checked only, without emit). */
static int
eval_text (struct tpl *t, const char *text, struct val dot, bool emit, struct val *out)
{
  cleanup_free char *copy = capsa_xstrdup (text);
  char *toks[MAX_TOKS];
  int n = tokenize (t, copy, toks);
  if (n < 0)
    return -1;
  for (int i = 0; i < n; i++)
    if (strcmp (toks[i], ":=") == 0 || strcmp (toks[i], "=") == 0 || strcmp (toks[i], ",") == 0)
      return fail (t, "not supported: variables outside {{range}}", NULL);
  return pipeline (t, toks, n, dot, emit, out);
}

static bool
is_word (const char *act, const char *word)
{
  size_t n = strlen (word);
  return strncmp (act, word, n) == 0 && (act[n] == '\0' || isspace ((unsigned char) act[n]));
}

static int
unclosed (struct tpl *t, const char *act, size_t pos)
{
  return fail_at (t, pos, act, "no matching {{end}}", NULL);
}

/* {{if P}} or {{with P}} (which sets dot to P's value in its first branch) */
static int
do_if (struct tpl *t, const char **p, const char *cond, struct val dot, bool emit, bool with)
{
  cleanup_free char *act = capsa_xasprintf ("%s %s", with ? "with" : "if", cond);
  size_t pos = t->pos;
  struct val c;
  if (eval_text (t, cond, dot, emit, &c) < 0)
    return -1;
  bool yes = emit && truth (c);
  cleanup_free char *rest = NULL;
  int term = exec_list (t, p, with && yes ? c : dot, yes, &rest);
  if (term < 0 || term == TERM_END)
    return term < 0 ? -1 : 0;
  if (term == TERM_EOF)
    return unclosed (t, act, pos);
  if (is_word (rest, "if") && !with)
    return do_if (t, p, rest + 3, dot, emit && !yes, false);
  if (*rest)
    return fail (t, "bad else: ", rest);
  cleanup_free char *rest2 = NULL;
  term = exec_list (t, p, dot, emit && !yes, &rest2);
  return term < 0 ? -1 : term != TERM_END ? unclosed (t, act, pos) : 0;
}

/* Declare the variables of `range $k, $v := P` (names without $; value NULL); the index of P in
 * toks, or -1. */
static int
range_vars (struct tpl *t, char **toks, int n)
{
  int nv = n >= 3 && strcmp (toks[1], ":=") == 0                                 ? 1
           : n >= 5 && strcmp (toks[1], ",") == 0 && strcmp (toks[3], ":=") == 0 ? 2
                                                                                 : 0;
  for (int i = 0; i < nv; i++)
    {
      const char *name = toks[2 * i];
      if (name[0] != '$' || strlen (name) >= sizeof t->vars[0].name + 1 || t->nvars == MAX_VARS)
        return fail (t, "bad variable ", name);
      snprintf (t->vars[t->nvars].name, sizeof t->vars[0].name, "%s", name + 1);
      t->vars[t->nvars++].val = NULL;
    }
  return nv == 0 ? 0 : nv == 1 ? 2 : 4;
}

/* Run the body at *body once for the element v (key k), setting the range's variables. */
static int
range_one (struct tpl *t, const char *body, int nv, int base, json_t *k, json_t *v)
{
  if (nv == 2)
    t->vars[base].val = k;
  if (nv)
    t->vars[base + nv - 1].val = v;
  cleanup_free char *rest = NULL;
  return exec_list (t, &body, mkval (v, NULL), true, &rest) < 0 ? -1 : 0;
}

static int
range_each (struct tpl *t, const char *body, int nv, int base, json_t *coll, size_t *count)
{
  if (json_is_array (coll))
    {
      size_t i;
      json_t *e;
      json_array_foreach (coll, i, e) if (range_one (t, body, nv, base, keep (t, json_integer ((json_int_t) i)), e)
                                          < 0) return -1;
      *count = json_array_size (coll);
      return 0;
    }
  cleanup_free const char **keys = sorted_keys (coll);
  for (size_t i = 0; keys[i]; i++)
    if (range_one (t, body, nv, base, keep (t, json_string (keys[i])), json_object_get (coll, keys[i])) < 0)
      return -1;
  *count = json_object_size (coll);
  return 0;
}

static int
do_range (struct tpl *t, const char **p, const char *hdr, struct val dot, bool emit)
{
  cleanup_free char *act = capsa_xasprintf ("range %s", hdr), *copy = capsa_xstrdup (hdr), *rest = NULL, *rest2 = NULL;
  size_t pos = t->pos;
  char *toks[MAX_TOKS];
  int n = tokenize (t, copy, toks), base = t->nvars, skip;
  struct val coll = mkval (NULL, NULL);
  if (n < 0 || (skip = range_vars (t, toks, n)) < 0 || pipeline (t, toks + skip, n - skip, dot, emit, &coll) < 0)
    return -1;
  int nv = t->nvars - base;
  if (t->header && coll.j && json_is_string (coll.j))
    coll = mkval (NULL, NULL); /* a table's header: the field's header, nothing to range over */
  if (emit && coll.j && !json_is_null (coll.j) && !json_is_array (coll.j) && !json_is_object (coll.j))
    return fail (t, "range can't iterate over this value", NULL);
  const char *body = *p;
  int term = exec_list (t, p, dot, false, &rest); /* its shape, and where it ends */
  if (term < 0 || term == TERM_EOF)
    return term < 0 ? -1 : unclosed (t, act, pos);
  size_t count = 0;
  if (emit && coll.j && !json_is_null (coll.j) && range_each (t, body, nv, base, coll.j, &count) < 0)
    return -1;
  if (term == TERM_ELSE)
    {
      if (*rest)
        return fail (t, "bad else in range: ", rest);
      term = exec_list (t, p, dot, emit && count == 0, &rest2);
      if (term < 0 || term != TERM_END)
        return term < 0 ? -1 : unclosed (t, act, pos);
    }
  t->nvars = base;
  return 0;
}

static int
do_action (struct tpl *t, const char **p, const char *act, struct val dot, bool emit)
{
  if (strncmp (act, "/*", 2) == 0)
    return strlen (act) >= 4 && strcmp (act + strlen (act) - 2, "*/") == 0 ? 0 : fail (t, "unclosed comment", NULL);
  if (is_word (act, "if") || is_word (act, "with"))
    return do_if (t, p, act + (act[0] == 'i' ? 2 : 4), dot, emit, act[0] == 'w');
  if (is_word (act, "range"))
    return do_range (t, p, act + 5, dot, emit);
  if (is_word (act, "define") || is_word (act, "template") || is_word (act, "block"))
    return fail (t, "not supported: ", act);
  struct val v;
  if (eval_text (t, act, dot, emit, &v) < 0)
    return -1;
  if (emit)
    print_val (t->out, v);
  return 0;
}

/* Text and actions from *p until {{end}}, {{else ...}} (what follows else in *rest) or the end. */
static int
exec_list (struct tpl *t, const char **p, struct val dot, bool emit, char **rest)
{
  for (;;)
    {
      cleanup_free char *act = NULL;
      int r = next_action (t, p, emit, &act);
      if (r <= 0 || act == NULL)
        return r < 0 ? -1 : TERM_EOF;
      if (strcmp (act, "end") == 0)
        return TERM_END;
      if (is_word (act, "else"))
        {
          const char *r2 = act + 4;
          while (isspace ((unsigned char) *r2))
            r2++;
          *rest = capsa_xstrdup (r2);
          return TERM_ELSE;
        }
      if (do_action (t, p, act, dot, emit) < 0)
        return -1;
    }
}

/* tmpl on data (NULL: a table's header line); emit false: only its syntax and its functions
 * checked, as Go parses a template before it runs it (an empty list must fail too) */
static int
run (const char *tmpl, json_t *data, const char *const *headers, bool emit, char **out, capsa_err **err)
{
  struct tpl t = { .root = data, .tmp = json_array (), .tmpl = tmpl, .err = err, .headers = headers };
  t.header = data == NULL;
  char *buf = NULL, *rest = NULL;
  size_t len = 0;
  const char *p = tmpl;
  t.out = open_memstream (&buf, &len);
  if (t.out == NULL)
    return json_decref (t.tmp), capsa_fail (err, errno, "template: open_memstream");
  int term = exec_list (&t, &p, mkval (data, NULL), emit, &rest);
  fclose (t.out);
  free (rest);
  *out = NULL;
  if (term == TERM_EOF)
    {
      json_decref (t.tmp);
      *out = buf;
      return 0;
    }
  free (buf);
  if (term >= 0)
    fail (&t, term == TERM_END ? "{{end}}" : "{{else}}", " without {{if}}, {{with}} or {{range}}");
  json_decref (t.tmp);
  return -1;
}

static int
render (const char *tmpl, json_t *data, const char *const *headers, char **out, capsa_err **err)
{
  return run (tmpl, data, headers, true, out, err);
}

static int
check (const char *tmpl, capsa_err **err)
{
  cleanup_json json_t *null = json_null ();
  cleanup_free char *out = NULL;
  return run (tmpl, null, NULL, false, &out, err);
}

int
capsa_template_render (const char *tmpl, json_t *data, char **out, capsa_err **err)
{
  json_t *null = data ? NULL : json_null ();
  int r = render (tmpl, data ? data : null, NULL, out, err);
  json_decref (null);
  return r;
}

/* each element of arr through tmpl, a line each, into f */
static int
render_lines (FILE *f, const char *tmpl, json_t *arr, capsa_err **err)
{
  size_t i;
  json_t *v;
  json_array_foreach (arr, i, v)
  {
    cleanup_free char *one = NULL;
    if (capsa_template_render (tmpl, v, &one, err) < 0)
      return -1;
    fprintf (f, "%s\n", one);
  }
  return 0;
}

int
capsa_template_print_each (const char *tmpl, json_t *arr, capsa_err **err)
{
  cleanup_free char *all = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&all, &len);
  if (f == NULL)
    return capsa_fail (err, errno, "template: open_memstream");
  int r = check (tmpl, err) < 0 ? -1 : render_lines (f, tmpl, arr, err);
  fclose (f);
  if (r == 0)
    fputs (all, stdout);
  return r;
}

/* docker's CLI: "table " taken off, spaces trimmed, `\t` and `\n` made a tab and a newline */
static char *
list_format (const char *fmt, bool *table)
{
  *table = strncmp (fmt, "table", 5) == 0;
  fmt += *table ? 5 : 0;
  fmt += strspn (fmt, " ");
  char *s = capsa_xstrdup (fmt), *w = s;
  for (const char *r = s; *r; r++)
    if (r[0] == '\\' && (r[1] == 't' || r[1] == 'n'))
      *w++ = *++r == 't' ? '\t' : '\n';
    else
      *w++ = *r;
  while (w > s && w[-1] == ' ')
    w--;
  *w = '\0';
  return s;
}

int
capsa_template_print_list (FILE *f, const char *fmt, json_t *arr, const char *const *headers, capsa_err **err)
{
  bool table;
  cleanup_free char *tmpl = list_format (fmt, &table), *all = NULL, *head = NULL;
  size_t len = 0;
  FILE *mem = open_memstream (&all, &len);
  if (mem == NULL)
    return capsa_fail (err, errno, "template: open_memstream");
  int r = check (tmpl, err) < 0 ? -1 : table ? render (tmpl, NULL, headers, &head, err) : 0;
  if (r == 0 && head)
    fprintf (mem, "%s\n", head);
  r = r < 0 ? r : render_lines (mem, tmpl, arr, err);
  fclose (mem);
  if (r < 0)
    return r;
  cleanup_free char *aligned = table ? capsa_tabwriter (all, 10, 3) : NULL;
  fputs (aligned ? aligned : all, f);
  return 0;
}

int
capsa_template_is (const char *s)
{
  return strstr (s, "{{") != NULL || strncmp (s, "table", 5) == 0;
}
