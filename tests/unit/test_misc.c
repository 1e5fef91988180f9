/* Small pieces with exact contracts: signal names, container ids, error messages. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"
#include "state.h"

static void
test_signal_names (void **state)
{
  (void) state;
  assert_int_equal (capsa_signal_parse ("KILL"), SIGKILL);
  assert_int_equal (capsa_signal_parse ("SIGKILL"), SIGKILL);
  assert_int_equal (capsa_signal_parse ("kill"), SIGKILL);
  assert_int_equal (capsa_signal_parse ("9"), SIGKILL);
  assert_int_equal (capsa_signal_parse ("SIGTERM"), SIGTERM);
  assert_int_equal (capsa_signal_parse ("RTMIN+2"), SIGRTMIN + 2);
  assert_int_equal (capsa_signal_parse ("SIGRTMAX-1"), SIGRTMAX - 1);
  assert_int_equal (capsa_signal_parse ("0"), -1);
  assert_int_equal (capsa_signal_parse ("65"), -1);
  assert_int_equal (capsa_signal_parse ("NOPE"), -1);
  assert_int_equal (capsa_signal_parse (""), -1);
  assert_int_equal (capsa_signal_parse ("9x"), -1);
}

static void
test_container_ids (void **state)
{
  capsa_err *err = NULL;
  (void) state;
  assert_int_equal (state_validate_id ("web-1_a.b+c", &err), 0);
  assert_int_equal (state_validate_id ("..", &err), -1);
  capsa_err_free (&err);
  assert_int_equal (state_validate_id ("a/b", &err), -1);
  assert_non_null (strstr (err->msg, "a/b"));
  capsa_err_free (&err);
  assert_int_equal (state_validate_id ("", &err), -1);
  assert_string_equal (err->msg, "container id cannot be empty");
  capsa_err_free (&err);
}

static void
test_error_messages (void **state)
{
  capsa_err *err = NULL;
  (void) state;
  assert_int_equal (capsa_fail (&err, ENOENT, "open `%s`", "/x"), -1);
  assert_string_equal (err->msg, "open `/x`: no such file or directory");
  assert_int_equal (errno, ENOENT);
  capsa_err_wrap (&err, "mounts[%d]", 2);
  assert_string_equal (err->msg, "mounts[2]: open `/x`: no such file or directory");
  assert_int_equal (err->errnum, ENOENT);
  capsa_err_free (&err);
  assert_null (err);
  capsa_fail_as (&err, ESRCH, "container not running");
  assert_string_equal (err->msg, "container not running");
  assert_int_equal (err->errnum, ESRCH);
  capsa_err_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_signal_names),
    cmocka_unit_test (test_container_ids),
    cmocka_unit_test (test_error_messages),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
