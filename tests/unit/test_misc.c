/* Small pieces with exact contracts: signal names, container ids, error messages. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"
#include "hostenv.h"
#include "selfexe.h"
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

/* The environment the library is given: every variable by its name, copied; the unsafe switch
 * only in a build with the test hooks. */
static char *
fake_env (const char *name)
{
  static char buf[64];
  if (strcmp (name, "XDG_DATA_HOME") == 0)
    return NULL;
  snprintf (buf, sizeof buf, strcmp (name, "CAPSA_UNSAFE_EXE_NO_COPY") == 0 ? "1" : "v:%s", name);
  return buf;
}

static void
test_host_env (void **state)
{
  (void) state;
  capsa_host_env_load (fake_env);
  const struct capsa_host_env *e = capsa_host_env ();
  assert_string_equal (e->notify_socket, "v:NOTIFY_SOCKET");
  assert_string_equal (e->home, "v:HOME");
  assert_string_equal (e->registries_conf, "v:CAPSA_REGISTRIES_CONF");
  assert_string_equal (e->exe_origin, "v:" CAPSA_EXE_ORIGIN_ENV);
  assert_null (e->xdg_data_home);
#ifdef CAPSA_FAULT_INJECTION
  assert_true (capsa_exe_protection_off ());
#else
  assert_null (e->exe_no_copy);
  assert_false (capsa_exe_protection_off ());
#endif
  capsa_host_env_set (capsa_host_env ()); /* (its own copy: safe) */
  assert_string_equal (capsa_host_env ()->home, "v:HOME");
  capsa_host_env_set (&(struct capsa_host_env){ .path = "/x" });
  assert_string_equal (capsa_host_env ()->path, "/x");
  assert_null (capsa_host_env ()->home);
  assert_false (capsa_exe_protection_off ());
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_signal_names),
    cmocka_unit_test (test_container_ids),
    cmocka_unit_test (test_error_messages),
    cmocka_unit_test (test_host_env),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
