/* The front ends' global options (global_opts.c): the table, the built-ins, the errors. */
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "global_opts.h"
#include "util.h"

struct globals
{
  const char *root;
  char **list;
  bool debug;
  const char *mode;
};

static int
set_mode (const char *arg, void *target, capsa_err **err)
{
  if (strcmp (arg, "a") != 0 && strcmp (arg, "b") != 0)
    return capsa_fail_as (err, 22, "--mode: unknown mode `%s`", arg);
  *(const char **) target = arg;
  return 0;
}

/* Parse argv (NULL-terminated, argv[0] included) from a fresh getopt state. */
static int
parse (struct globals *g, char **argv, enum capsa_gopt_stop *stop, capsa_err **err)
{
  const struct capsa_global_opt opts[] = {
    { "root", 0, true, CAPSA_GOPT_STRING, &g->root, NULL },    { "add", 'a', true, CAPSA_GOPT_LIST, &g->list, NULL },
    { "debug", 'D', false, CAPSA_GOPT_FLAG, &g->debug, NULL }, { "mode", 0, true, CAPSA_GOPT_CALL, &g->mode, set_mode },
    { "compat", 0, true, CAPSA_GOPT_IGNORE, NULL, NULL },      { 0 },
  };
  int argc = 0;
  while (argv[argc] != NULL)
    argc++;
  memset (g, 0, sizeof *g);
  optind = 0; /* glibc: a full re-initialisation */
  return capsa_parse_global_opts (opts, argc, argv, stop, err);
}

static void
test_table (void **state)
{
  struct globals g;
  enum capsa_gopt_stop stop;
  capsa_err *err = NULL;
  char *argv[] = { "prog", "--root", "/r", "-a",  "x",      "--add=y", "-D", "--compat",
                   "c",    "--mode", "b",  "run", "--root", "no",      NULL };
  (void) state;
  assert_int_equal (parse (&g, argv, &stop, &err), 11);
  assert_int_equal (stop, CAPSA_GOPT_NO_STOP);
  assert_string_equal (g.root, "/r");
  assert_string_equal (g.list[0], "x");
  assert_string_equal (g.list[1], "y");
  assert_null (g.list[2]);
  assert_true (g.debug);
  assert_string_equal (g.mode, "b");
  cleanup_strv_fn (&g.list);

  char *none[] = { "prog", NULL };
  assert_int_equal (parse (&g, none, &stop, &err), 1);
  assert_null (g.root);
}

static void
test_builtins (void **state)
{
  struct globals g;
  enum capsa_gopt_stop stop;
  capsa_err *err = NULL;
  char *version[] = { "prog", "-D", "--version", "--bogus", NULL };
  char *help[] = { "prog", "-Dh", NULL };
  (void) state;
  assert_true (parse (&g, version, &stop, &err) >= 0);
  assert_int_equal (stop, CAPSA_GOPT_VERSION);
  assert_true (g.debug);
  assert_true (parse (&g, help, &stop, &err) >= 0);
  assert_int_equal (stop, CAPSA_GOPT_HELP);
}

static void
test_errors (void **state)
{
  struct globals g;
  enum capsa_gopt_stop stop;
  capsa_err *err = NULL;
  char *unknown[] = { "prog", "--bogus", "run", NULL };
  char *missing[] = { "prog", "--root", NULL };
  char *bad[] = { "prog", "--mode", "c", NULL };
  (void) state;
  assert_int_equal (parse (&g, unknown, &stop, &err), -1);
  assert_string_equal (err->msg, "unknown global option `--bogus`");
  capsa_err_free (&err);
  assert_int_equal (parse (&g, missing, &stop, &err), -1);
  assert_string_equal (err->msg, "unknown global option `--root`");
  capsa_err_free (&err);
  assert_int_equal (parse (&g, bad, &stop, &err), -1);
  assert_string_equal (err->msg, "--mode: unknown mode `c`");
  capsa_err_free (&err);
}

static char *
usage_text (const char *prog, const char *cmd, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *text = capsa_usage_vformat (prog, cmd, fmt, ap);
  va_end (ap);
  return text;
}

static void
test_usage_text (void **state)
{
  (void) state;
  char *t = usage_text ("capsa", "capsa", "unknown command `%s`", "x");
  assert_string_equal (t, "unknown command `x` (see `capsa --help`)");
  free (t);
  t = usage_text ("capsa-oci", "kill", "requires %d arguments", 2);
  assert_string_equal (t, "kill: requires 2 arguments (see `capsa-oci kill --help`)");
  free (t);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_table),
    cmocka_unit_test (test_builtins),
    cmocka_unit_test (test_errors),
    cmocka_unit_test (test_usage_text),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
