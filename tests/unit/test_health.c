/* Healthchecks without a container (src/engine/ctr_health.c): Go's durations, and
 * Config.Healthcheck made from the flags and the image's as dockerd merges them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "capsa/engine.h"
#include "ctr_health.h"

static void
test_durations (void **state)
{
  static const struct
  {
    const char *s;
    long long ns;
  } cases[] = { { "30s", 30000000000LL },
                { "1m30s", 90000000000LL },
                { "500ms", 500000000LL },
                { "1.5s", 1500000000LL },
                { "2h", 7200000000000LL },
                { "300us", 300000LL },
                { "300µs", 300000LL },
                { "7ns", 7 },
                { "0", 0 },
                { "10", -1 },
                { "-1s", -1 },
                { "", -1 },
                { "1x", -1 },
                { "s", -1 },
                { "1s2", -1 } };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (capsa_duration_parse (cases[i].s) != cases[i].ns)
      fail_msg ("`%s`: %lld, want %lld", cases[i].s, capsa_duration_parse (cases[i].s), cases[i].ns);
  (void) state;
}

/* ctr_health_config of o over the image config icfg (JSON text, NULL: none): its JSON text, or
 * NULL with the error's message in *msg. */
static char *
merged (const struct ctr_opts *o, const char *icfg, char **msg)
{
  json_t *cfg = icfg ? json_loads (icfg, 0, NULL) : NULL, *hc = NULL;
  capsa_err *err = NULL;
  char *out = NULL;
  *msg = NULL;
  if (ctr_health_config (o, cfg, &hc, &err) < 0)
    {
      *msg = strdup (err->msg);
      capsa_err_free (&err);
    }
  else
    out = hc ? json_dumps (hc, JSON_COMPACT | JSON_SORT_KEYS) : strdup ("null");
  json_decref (hc);
  json_decref (cfg);
  return out;
}

static void
expect (const struct ctr_opts *o, const char *icfg, const char *want)
{
  char *msg, *got = merged (o, icfg, &msg);
  if (got == NULL || strcmp (got, want) != 0)
    fail_msg ("got %s (%s), want %s", got ? got : "an error", msg ? msg : "", want);
  free (got);
}

static void
expect_error (const struct ctr_opts *o, const char *part)
{
  char *msg, *got = merged (o, NULL, &msg);
  if (got || strstr (msg, part) == NULL)
    fail_msg ("got %s (%s), want an error with `%s`", got ? got : "an error", msg ? msg : "", part);
  free (got);
  free (msg);
}

static const char image[]
    = "{\"Healthcheck\": {\"Test\": [\"CMD-SHELL\", \"x\"], \"Interval\": 5000000000, \"Retries\": 2}}";

static void
test_merge (void **state)
{
  char *test[] = { "CMD", "a", "b", NULL };
  expect (&(struct ctr_opts){ 0 }, NULL, "null");
  expect (&(struct ctr_opts){ 0 }, image, "{\"Interval\":5000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"x\"]}");
  expect (&(struct ctr_opts){ .health_cmd = "y" }, image,
          "{\"Interval\":5000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"y\"]}");
  expect (&(struct ctr_opts){ .health_interval = "1s", .health_timeout = "0ns" }, image,
          "{\"Interval\":1000000000,\"Retries\":2,\"Test\":[\"CMD-SHELL\",\"x\"]}");
  /* dockerd fills NONE's other fields from the image too */
  expect (&(struct ctr_opts){ .no_healthcheck = true }, image,
          "{\"Interval\":5000000000,\"Retries\":2,\"Test\":[\"NONE\"]}");
  expect (&(struct ctr_opts){ .health_test = test, .health_retries = 9 }, image,
          "{\"Interval\":5000000000,\"Retries\":9,\"Test\":[\"CMD\",\"a\",\"b\"]}");
  expect (&(struct ctr_opts){ .health_cmd = "z", .health_start_period = "1m", .health_start_interval = "2s" }, NULL,
          "{\"StartInterval\":2000000000,\"StartPeriod\":60000000000,\"Test\":[\"CMD-SHELL\",\"z\"]}");
  (void) state;
}

static void
test_merge_errors (void **state)
{
  expect_error (&(struct ctr_opts){ .no_healthcheck = true, .health_cmd = "x" }, "conflicts with --health-*");
  expect_error (&(struct ctr_opts){ .health_interval = "-1s" }, "--health-interval cannot be negative");
  expect_error (&(struct ctr_opts){ .health_timeout = "500us" }, "less than 1ms");
  expect_error (&(struct ctr_opts){ .health_start_period = "soon" }, "--health-start-period");
  expect_error (&(struct ctr_opts){ .health_retries = -1 }, "--health-retries cannot be negative");
  expect_error (&(struct ctr_opts){ .health_on_failure = "sometimes" }, "--health-on-failure");
  (void) state;
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_durations),
    cmocka_unit_test (test_merge),
    cmocka_unit_test (test_merge_errors),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
