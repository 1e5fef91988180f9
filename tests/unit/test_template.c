/* src/lib/base/template.c and tabwriter.c: the Go template subset of --format, checked against what docker prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capsa/template.h"

static const char data_text[]
    = "{\"Name\": \"/web\", \"Id\": \"abc\", \"Args\": [\"a\", \"b\"], \"Count\": 3, \"Empty\": [],"
      " \"State\": {\"Status\": \"running\", \"Running\": true, \"Pid\": 42},"
      " \"Config\": {\"Labels\": {\"b\": \"2\", \"a\": \"1\"}, \"Env\": [\"X=1\"]},"
      " \"NetworkSettings\": {\"Ports\": {\"80/tcp\": [{\"HostIp\": \"0.0.0.0\", \"HostPort\": \"8080\"}]}}}";

static char *
render (const char *tmpl)
{
  json_t *data = json_loads (data_text, 0, NULL);
  assert_non_null (data);
  char *out = NULL;
  capsa_err *err = NULL;
  int r = capsa_template_render (tmpl, data, &out, &err);
  json_decref (data);
  if (r < 0)
    {
      assert_null (out);
      char *msg = strdup (err->msg);
      capsa_err_free (&err);
      return msg ? (msg[0] = '!', msg) : NULL; /* errors start with '!' here */
    }
  return out;
}

#define assert_render(tmpl, want)                                                                                      \
  do                                                                                                                   \
    {                                                                                                                  \
      char *got_ = render (tmpl);                                                                                      \
      assert_string_equal (got_, want);                                                                                \
      free (got_);                                                                                                     \
    }                                                                                                                  \
  while (0)

static void
assert_fails (const char *tmpl, const char *why)
{
  char *got = render (tmpl);
  assert_true (got[0] == '!');
  if (strstr (got, why) == NULL)
    fail_msg ("error `%s` does not say `%s`", got, why);
  free (got);
}

static void
test_fields_and_text (void **state)
{
  (void) state;
  assert_render ("{{.Name}} {{.Id}}", "/web abc");
  assert_render ("x {{.Name}}", "x /web");
  assert_render ("{{ .State.Status }}/{{.State.Pid}}", "running/42");
  assert_render ("{{.State.Running}}", "true");
  assert_render ("no actions", "no actions");
  assert_render ("{{$.Id}}", "abc");
}

static void
test_go_printing (void **state)
{
  (void) state;
  assert_render ("{{.Args}}", "[a b]");
  assert_render ("{{.Config.Labels}}", "map[a:1 b:2]"); /* a map: keys sorted */
  assert_render ("{{.State}}", "{running true 42}");    /* a struct: fields in order */
  assert_render ("{{.NetworkSettings.Ports}}", "map[80/tcp:[{0.0.0.0 8080}]]");
  assert_render ("{{json .Args}}", "[\"a\",\"b\"]");
  assert_render ("{{.Args | json}}", "[\"a\",\"b\"]");
  assert_render ("{{json .Config.Labels.a}}", "\"1\"");
}

static void
test_missing (void **state)
{
  (void) state;
  /* docker: a key missing from a map is <no value>; a struct field that does not exist fails */
  assert_render ("{{.Config.Labels.nope}}", "<no value>");
  assert_render ("{{index .Config.Labels \"nope\"}}", "<no value>");
  assert_fails ("{{.Nope}}", "can't evaluate field Nope");
  assert_fails ("{{.State.Nope}}", "can't evaluate field Nope");
  assert_fails ("{{.Name.X}}", "can't evaluate field X");
}

static void
test_functions (void **state)
{
  (void) state;
  assert_render ("{{index .Config.Labels \"b\"}}", "2");
  assert_render ("{{index .Args 1}}", "b");
  assert_render ("{{len .Args}}", "2");
  assert_render ("{{join .Args \",\"}}", "a,b");
  assert_render ("{{upper .State.Status}}", "RUNNING");
  assert_render ("{{if eq .State.Status \"running\"}}up{{end}}", "up");
  assert_render ("{{if ne .Count 3}}x{{else}}three{{end}}", "three");
  assert_fails ("{{index .Args 5}}", "index out of range");
  assert_fails ("{{nofunc .Name}}", "function not defined: nofunc");
  assert_render ("{{if and (eq .Count 3) (not .Empty)}}y{{end}} {{(index .Args 0)}}", "y a");
  assert_fails ("{{len (split .Id \",\"}}", "unclosed (");
  assert_fails ("{{(index .Args 0).X}}", "not supported");
  assert_render ("{{lower \"AbC\"}} {{title \"hello big-world_x\"}}", "abc Hello Big-World_x");
  assert_render ("{{split \"a,b,c\" \",\"}} {{len (split \"a\" \",\")}}", "[a b c] 1");
  assert_render ("{{index (split \"a:b\" \":\") 1}}", "b");
  assert_render ("{{truncate .Id 2}}|{{truncate .Id 9}}|{{pad .Id 1 2}}|{{pad \"\" 1 1}}|", "ab|abc| abc  ||");
  assert_render ("{{and 1 0}} {{and 1 2}} {{or 0 \"\" \"z\"}} {{or 0 false}}", "0 2 z false");
  assert_render ("{{lt 1 2}} {{le 2 2}} {{gt 1 2}} {{ge \"b\" \"a\"}}", "true true false true");
  assert_render ("{{print \"a\" 1 2 \"b\"}}", "a1 2b");
  assert_fails ("{{lt 1 \"a\"}}", "incompatible types");
  assert_fails ("{{truncate .Id}}", "wrong number of arguments for truncate");
  assert_fails ("{{upper .Count}}", "upper wants a string");
}

static void
test_printf (void **state)
{
  (void) state;
  assert_render ("{{printf \"%s-%d\" .Name .Count}}", "/web-3");
  assert_render ("{{printf \"%5.2s|%-6d|%05d|%3d\" \"abc\" 42 -42 7}}", "   ab|42    |-0042|  7");
  assert_render ("{{printf \"%-8s|%8v|\" .Id .Args}}", "abc     |   [a b]|");
  assert_render ("{{printf \"%q %x %x %%\" .Name 255 \"hi\"}}", "\"/web\" ff 6869 %");
  assert_render ("{{printf \"%s %s\" .Id}}", "abc %!s(MISSING)");
  assert_render ("{{printf \"%d\" .Id}}", "%!d(abc)");
  assert_render ("{{.Id | printf \"<%s>\"}}", "<abc>");
  assert_fails ("{{printf \"%z\" 1}}", "printf: verbs are");
  assert_fails ("{{printf .Count}}", "printf wants a format string");
}

static void
test_range_and_if (void **state)
{
  (void) state;
  assert_render ("{{range .Args}}<{{.}}>{{end}}", "<a><b>");
  assert_render ("{{range $i, $a := .Args}}{{$i}}={{$a}} {{end}}", "0=a 1=b ");
  assert_render ("{{range $k, $v := .Config.Labels}}{{$k}}:{{$v}};{{end}}", "a:1;b:2;");
  assert_render ("{{range $v := .Args}}{{$v}}{{$.Id}}{{end}}", "aabcbabc");
  assert_render ("{{range .Empty}}x{{else}}none{{end}}", "none");
  assert_render ("{{range $p, $b := .NetworkSettings.Ports}}{{$p}}->{{range $b}}{{.HostPort}}{{end}}{{end}}",
                 "80/tcp->8080");
  assert_render ("{{if .Empty}}a{{else if .Args}}b{{else}}c{{end}}", "b");
  assert_render ("{{if .State.Running}}yes{{end}}", "yes");
  assert_render ("a {{- \" b \" -}} c", "a b c");
  assert_render ("{{/* note */}}x", "x");
  assert_fails ("{{range .Args}}x", "no matching {{end}}");
  assert_fails ("{{if .Args}}x", "no matching {{end}}");
  assert_fails ("x{{end}}", "{{end}} without");
  assert_fails ("{{.Name", "unclosed action");
  assert_fails ("{{range .Name}}x{{end}}", "can't iterate");
  assert_render ("{{with .State}}{{.Status}}{{end}}", "running");
  assert_render ("{{with .Empty}}x{{else}}none{{end}}", "none");
  assert_render ("{{with .Config.Labels.nope}}x{{end}}.", ".");
  assert_fails ("{{with .State}}x", "no matching {{end}}");
  assert_fails ("{{define \"x\"}}{{end}}", "not supported");
  assert_fails ("{{$x := .Name}}", "not supported");
  assert_fails ("{{range .Args}}{{.Nope}}{{end}}", "can't evaluate field Nope");
  assert_fails ("{{if false}}{{nofunc .X}}{{end}}", "function not defined: nofunc");
}

static void
test_positions (void **state)
{
  (void) state;
  /* Go's "template: :LINE:COL: executing ..." */
  assert_fails ("{{.Name}} {{.Nope}}", ":1:12: executing \"\" at <{{.Nope}}>: can't evaluate field Nope");
  assert_fails ("{{.Nope}}", ":1:2:");
  assert_fails ("a\nbc{{.Nope}}", ":2:4:");
  assert_fails ("ab{{.Name", ":1:2:");
  assert_fails ("x\n{{if 1}}", ":2:2:");
}

static char *
list (const char *fmt, const char *rows)
{
  static const char *const headers[] = { "ID", "CONTAINER ID", "Names", "NAMES", NULL };
  json_t *arr = json_loads (rows, 0, NULL);
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  capsa_err *err = NULL;
  int r = capsa_template_print_list (f, fmt, arr, headers, &err);
  fclose (f);
  json_decref (arr);
  if (r < 0)
    {
      free (buf);
      buf = strdup (err->msg);
      capsa_err_free (&err);
    }
  return buf;
}

#define assert_list(fmt, rows, want)                                                                                   \
  do                                                                                                                   \
    {                                                                                                                  \
      char *got_ = list (fmt, rows);                                                                                   \
      assert_string_equal (got_, want);                                                                                \
      free (got_);                                                                                                     \
    }                                                                                                                  \
  while (0)

static void
test_table (void **state)
{
  (void) state;
  const char *rows
      = "[{\"ID\": \"abc\", \"Names\": \"web\", \"Size\": 5}, {\"ID\": \"d\", \"Names\": \"a-long-name-here\", "
        "\"Size\": 12345}]";
  /* docker's table: headers from the caller's map, columns as its tabwriter (min 10, padding 3) */
  assert_list ("table {{.ID}}\\t{{.Names}}", rows,
               "CONTAINER ID   NAMES\nabc            web\nd              a-long-name-here\n");
  assert_list ("table {{.Names}}\\t{{.Size}}\\t{{.ID}}", rows,
               "NAMES              SIZE      CONTAINER ID\nweb                5         abc\n"
               "a-long-name-here   12345     d\n");
  assert_list ("table {{.Names | upper}}:{{json .ID}}", rows,
               "NAMES:CONTAINER ID\nWEB:\"abc\"\nA-LONG-NAME-HERE:\"d\"\n");
  assert_list ("table {{.ID}}", "[]", "CONTAINER ID\n");
  /* docker's {{.Label "k"}} method: over an object of labels, or docker's "k=v,..." text */
  assert_render ("{{with .Config}}{{.Label \"a\"}}|{{.Label \"zz\"}}{{end}}", "1|");
  assert_list ("table {{.Label \"b\"}}\\t{{.ID}}", "[{\"ID\": \"x\", \"Labels\": \"a=1,b=two=2\"}]",
               "b         CONTAINER ID\ntwo=2     x\n");
  assert_list ("table {{.Label \"com.my_key\"}}", "[]", "my key\n");
  /* without table: \t and \n are a tab and a newline, nothing aligned */
  assert_list ("{{.ID}}\\t{{.Names}}\\n", rows, "abc\tweb\n\nd\ta-long-name-here\n\n");
  assert_list ("{{.ID}} ", rows, "abc\nd\n");
  /* parsed before it runs, as Go: a bad template fails over no rows too */
  char *bad = list ("{{if}}", "[]");
  assert_non_null (strstr (bad, "missing value"));
  free (bad);
  bad = list ("table {{nofunc .X}}", "[]");
  assert_non_null (strstr (bad, "function not defined: nofunc"));
  free (bad);
  char *err = list ("table {{.ID}}\\t{{.Nope}}", rows);
  assert_non_null (strstr (err, "can't evaluate field Nope"));
  free (err);
}

static void
test_tabwriter (void **state)
{
  (void) state;
  char *s = capsa_tabwriter ("a\tbb\nccc\td\n", 10, 3);
  assert_string_equal (s, "a         bb\nccc       d\n");
  free (s);
  /* a column is a block of consecutive lines: a line with fewer cells ends it */
  s = capsa_tabwriter ("x\ty\nplain\nlong-long-cell\tz\n", 1, 2);
  assert_string_equal (s, "x  y\nplain\nlong-long-cell  z\n");
  free (s);
  s = capsa_tabwriter ("\u00e9\tb\n", 1, 1); /* widths in characters */
  assert_string_equal (s, "\u00e9 b\n");
  free (s);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_fields_and_text), cmocka_unit_test (test_go_printing),  cmocka_unit_test (test_missing),
    cmocka_unit_test (test_functions),       cmocka_unit_test (test_range_and_if), cmocka_unit_test (test_printf),
    cmocka_unit_test (test_positions),       cmocka_unit_test (test_table),        cmocka_unit_test (test_tabwriter),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
