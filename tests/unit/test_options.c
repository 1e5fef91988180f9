/* The option tables' parser (include/capsa/options.h): pflag's rules, and the --help lines. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capsa/options.h"
#include "cleanup.h"
#include "error.h"
#include "util.h"

struct o
{
  bool detach, tty, interactive, rm, priv;
  const char *name;
  char **env;
  int pids;
  long long mem, swap;
  double cpus;
  int called;
};

static int
count (void *base, const char *value, capsa_err **err)
{
  struct o *o = base;
  if (value && strcmp (value, "bad") == 0)
    return capsa_fail_as (err, EINVAL, "--count: bad"), CAPSA_OPT_USAGE;
  if (value && strcmp (value, "io") == 0)
    return capsa_fail_as (err, EIO, "--count: io"), CAPSA_OPT_FAIL;
  o->called++;
  return 0;
}

static int
no_colon (const char *value, capsa_err **err)
{
  return strchr (value, ':') ? capsa_fail_as (err, EINVAL, "-e `%s`: a colon", value) : 0;
}

static const struct capsa_opt table[] = {
  CAPSA_O_BOOL ('d', "detach", struct o, detach, "run in the background"),
  CAPSA_O_BOOL ('t', "tty", struct o, tty, "a terminal"),
  CAPSA_O_BOOL ('i', "interactive", struct o, interactive, "keep stdin open"),
  CAPSA_O_BOOL (0, "rm", struct o, rm, "remove it\nwhen it exits"),
  CAPSA_O_BOOL (0, "privileged", struct o, priv, "everything"),
  CAPSA_O_STR (0, "name", struct o, name, "NAME", "its name"),
  CAPSA_O_LIST ('e', "env", struct o, env, "KEY=VALUE", "a variable", .check = no_colon),
  CAPSA_O_INT (0, "pids-limit", struct o, pids, -1, 100, "N", "processes"),
  CAPSA_O_SIZE ('m', "memory", struct o, mem, "BYTES", "memory"),
  CAPSA_O_SIZE (0, "memory-swap", struct o, swap, "BYTES", "swap", .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_NUMBER (0, "cpus", struct o, cpus, "N", ""),
  CAPSA_O_CALL (0, "count", count, "X", "counted"),
  CAPSA_O_CALL ('c', "tick", count, NULL, NULL),
  CAPSA_O_STR (0, "net", struct o, name, "NAME", "hidden", .flags = CAPSA_OPTF_HIDDEN),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};

/* parse a NULL-terminated list of words (argv[0] "cmd" added); *err message kept in msg */
static char msg[256];
static char *words[32];

static int
parse_words (unsigned flags, struct o *o, ...)
{
  va_list ap;
  int n = 0;
  words[n++] = (char *) "cmd";
  va_start (ap, o);
  for (const char *w; (w = va_arg (ap, const char *));)
    words[n++] = (char *) w;
  va_end (ap);
  words[n] = NULL;
  capsa_err *err = NULL;
  memset (o, 0, sizeof *o);
  int r = capsa_opt_parse (table, flags, n, words, o, &err);
  msg[0] = '\0';
  if (err)
    snprintf (msg, sizeof msg, "%s", err->msg);
  capsa_err_free (&err);
  return r;
}

static void
test_long_and_short (void **state)
{
  struct o o;
  (void) state;
  assert_int_equal (parse_words (0, &o, "-it", "--name", "web", "--rm", "img", NULL), 5);
  assert_true (o.interactive && o.tty && o.rm && !o.detach);
  assert_string_equal (o.name, "web");
  assert_string_equal (words[5], "img");
  assert_int_equal (parse_words (0, &o, "--name=x", "-e", "A=1", "-eB=2", "-e=FOO=bar", "--env=C", NULL), 7);
  assert_string_equal (o.name, "x");
  assert_int_equal (strv_len (o.env), 4);
  assert_string_equal (o.env[0], "A=1");
  assert_string_equal (o.env[1], "B=2");
  assert_string_equal (o.env[2], "FOO=bar"); /* pflag: not "=FOO=bar" */
  assert_string_equal (o.env[3], "C");
  cleanup_strv_fn (&o.env);
  /* -dit with a value-taking letter last: -tie VALUE */
  assert_int_equal (parse_words (0, &o, "-tie", "X=1", NULL), 3);
  assert_true (o.tty && o.interactive);
  assert_string_equal (o.env[0], "X=1");
  cleanup_strv_fn (&o.env);
}

static void
test_no_prefixes_and_unknowns (void **state)
{
  struct o o;
  (void) state;
  assert_int_equal (parse_words (0, &o, "--priv", "img", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "unknown option `--priv`");
  assert_int_equal (parse_words (0, &o, "--pid", "host", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "unknown option `--pid`");
  assert_int_equal (parse_words (0, &o, "-dx", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "unknown option `-x`");
  assert_int_equal (parse_words (0, &o, "--name", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "option `--name` needs a value");
  assert_int_equal (parse_words (0, &o, "-e", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "option `-e` needs a value");
  /* the next word is the value, whatever it looks like (pflag) */
  assert_int_equal (parse_words (0, &o, "--name", "--help", NULL), 3);
  assert_string_equal (o.name, "--help");
}

static void
test_booleans (void **state)
{
  struct o o;
  (void) state;
  assert_int_equal (parse_words (0, &o, "--rm=true", "--detach=false", "-t=true", "-i=false", NULL), 5);
  assert_true (o.rm && !o.detach && o.tty && !o.interactive);
  assert_int_equal (parse_words (0, &o, "-dit=false", NULL), 2); /* the value is the last letter's */
  assert_true (o.detach && o.interactive && !o.tty);
  assert_int_equal (parse_words (0, &o, "--rm=1", "-d=T", NULL), 3);
  assert_true (o.rm && o.detach);
  assert_int_equal (parse_words (0, &o, "--rm=yes", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "--rm: invalid boolean `yes` (true or false)");
  /* a flag CALL takes no value */
  assert_int_equal (parse_words (0, &o, "-c", "--tick", NULL), 3);
  assert_int_equal (o.called, 2);
  assert_int_equal (parse_words (0, &o, "--tick=x", NULL), CAPSA_OPT_USAGE);
}

static void
test_operands_and_stop (void **state)
{
  struct o o;
  (void) state;
  /* interspersed: operands moved after the options, in order */
  assert_int_equal (parse_words (0, &o, "a", "-d", "b", "--name", "n", "c", NULL), 4);
  assert_string_equal (words[1], "-d");
  assert_string_equal (words[2], "--name");
  assert_string_equal (words[3], "n");
  assert_string_equal (words[4], "a");
  assert_string_equal (words[5], "b");
  assert_string_equal (words[6], "c");
  assert_true (o.detach);
  /* `--` ends the options; `-` is an operand */
  assert_int_equal (parse_words (0, &o, "-d", "--", "-t", NULL), 3);
  assert_false (o.tty);
  assert_string_equal (words[3], "-t");
  assert_int_equal (parse_words (0, &o, "-", "-t", NULL), 2);
  assert_true (o.tty);
  assert_string_equal (words[2], "-");
  /* STOP: the first operand ends the options (run IMAGE CMD -flags) */
  assert_int_equal (parse_words (CAPSA_OPT_STOP, &o, "-d", "img", "-t", "--rm", NULL), 2);
  assert_true (o.detach && !o.tty && !o.rm);
  assert_string_equal (words[2], "img");
  assert_string_equal (words[3], "-t");
  assert_int_equal (parse_words (CAPSA_OPT_STOP, &o, "-d", NULL), 2); /* no operand: argc */
  /* GLOBAL: a front end's options before the command, named so in errors */
  assert_int_equal (parse_words (CAPSA_OPT_STOP | CAPSA_OPT_GLOBAL, &o, "--bogus", "cmd", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "unknown global option `--bogus`");
  assert_int_equal (parse_words (CAPSA_OPT_STOP | CAPSA_OPT_GLOBAL, &o, "-dx", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "unknown global option `-x`");
  assert_int_equal (parse_words (CAPSA_OPT_STOP | CAPSA_OPT_GLOBAL, &o, "-d", "cmd", "--bogus", NULL), 2);
}

static void
test_values_and_help (void **state)
{
  struct o o;
  (void) state;
  assert_int_equal (parse_words (0, &o, "-m", "1k", "--memory-swap", "-1", "--pids-limit=-1", "--cpus", "0.5", NULL),
                    8);
  assert_int_equal (o.mem, 1024);
  assert_int_equal (o.swap, -1);
  assert_int_equal (o.pids, -1);
  assert_true (o.cpus == 0.5);
  assert_int_equal (parse_words (0, &o, "-m", "-1", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "--memory: invalid size `-1` (a number with an optional unit: b, k, m, g)");
  assert_int_equal (parse_words (0, &o, "--pids-limit", "101", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "--pids-limit: invalid number `101` (-1 to 100)");
  assert_int_equal (parse_words (0, &o, "--cpus", "0", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "--cpus: invalid number `0`");
  assert_int_equal (parse_words (0, &o, "-e", "a:b", NULL), CAPSA_OPT_USAGE);
  assert_string_equal (msg, "-e `a:b`: a colon");
  assert_int_equal (parse_words (0, &o, "--count", "bad", NULL), CAPSA_OPT_USAGE);
  assert_int_equal (parse_words (0, &o, "--count", "io", NULL), CAPSA_OPT_FAIL);
  assert_string_equal (msg, "--count: io");
  /* help wins over what follows it, not over what came before */
  assert_int_equal (parse_words (0, &o, "-d", "--help", "--bogus", NULL), CAPSA_OPT_HELP_ASKED);
  assert_int_equal (parse_words (0, &o, "-dh", NULL), CAPSA_OPT_HELP_ASKED);
  assert_int_equal (parse_words (0, &o, "--bogus", "--help", NULL), CAPSA_OPT_USAGE);
  assert_non_null (capsa_opt_find (table, "pids-limit"));
  assert_null (capsa_opt_find (table, "pids"));
  assert_string_equal (capsa_opt_find_letter (table, 'm')->name, "memory");
  assert_null (capsa_opt_find_letter (table, 'z'));
}

static void
test_help_lines (void **state)
{
  (void) state;
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  capsa_opt_help (f, table, 20, 0);
  fclose (f);
  assert_string_equal (buf, "  -d, --detach      run in the background\n"
                            "  -t, --tty         a terminal\n"
                            "  -i, --interactive  keep stdin open\n"
                            "      --rm          remove it\n"
                            "                    when it exits\n"
                            "      --privileged  everything\n"
                            "      --name NAME   its name\n"
                            "  -e, --env KEY=VALUE  a variable\n"
                            "      --pids-limit N  processes\n"
                            "  -m, --memory BYTES  memory\n"
                            "      --memory-swap BYTES  swap\n"
                            "      --cpus N\n"
                            "      --count X     counted\n");
  free (buf);
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
    cmocka_unit_test (test_long_and_short),  cmocka_unit_test (test_no_prefixes_and_unknowns),
    cmocka_unit_test (test_booleans),        cmocka_unit_test (test_operands_and_stop),
    cmocka_unit_test (test_values_and_help), cmocka_unit_test (test_help_lines),
    cmocka_unit_test (test_usage_text),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
