/* src/cli/template.c: the Go template subset of --format, checked against what docker prints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "template.h"

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
  int r = cli_template_render (tmpl, data, &out, &err);
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
  assert_fails ("{{printf \"%s\" .Name}}", "function not defined: printf");
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
  assert_fails ("{{with .State}}x{{end}}", "not supported");
  assert_fails ("{{$x := .Name}}", "not supported");
  assert_fails ("{{range .Args}}{{.Nope}}{{end}}", "can't evaluate field Nope");
  assert_fails ("{{if false}}{{nofunc .X}}{{end}}", "function not defined: nofunc");
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_fields_and_text), cmocka_unit_test (test_go_printing),  cmocka_unit_test (test_missing),
    cmocka_unit_test (test_functions),       cmocka_unit_test (test_range_and_if),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
