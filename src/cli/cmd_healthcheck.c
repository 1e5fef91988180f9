/* capsa healthcheck run CONTAINER (podman's): the container's healthcheck once, now. */
#include <stdio.h>
#include <string.h>

#include "capsa/engine.h"
#include "capsa/util.h"
#include "cli.h"

static const struct cli_spec run_spec = { "healthcheck run",
                                          "CONTAINER",
                                          "Run a container's healthcheck now (State.Health updated): exit 0 when it "
                                          "passed, 1 when it failed (the status printed).",
                                          cli_no_options,
                                          0,
                                          NULL };

static int
hc_run (struct cli_global *g, int argc, char **argv)
{
  int first = cli_parse (&run_spec, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("healthcheck run", "requires exactly 1 argument (CONTAINER)");
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  char status[16];
  bool passed;
  if (capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0
      || capsa_ctr_health_run (&g->eng, c, &passed, status, &err) < 0)
    return cli_fail (&err);
  if (passed)
    return 0;
  printf ("%s\n", status);
  return 1;
}

static const struct cli_sub hc_subs[] = {
  { "run", hc_run, &run_spec, "run the healthcheck once now" },
};
const struct cli_group cli_group_healthcheck = { "healthcheck", hc_subs, ARRAY_SIZE (hc_subs) };

int
cmd_healthcheck (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_healthcheck, argc, argv);
}
