/* capsa-oci kill [--all] ID [SIGNAL]: SIGNAL is a number or a name with or without SIG (default TERM). */
#include <stdio.h>

#include "oci.h"

static const struct capsa_opt kill_opts[] = {
  { .name = "all",
    .letter = 'a',
    .kind = CAPSA_OPT_BOOL,
    .help = "signal every process in the container (its pid namespace), not only init" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_kill = {
  "kill",
  "[--all] CONTAINER-ID [SIGNAL]",
  "SIGNAL: a number (9) or a name with or without SIG (KILL, SIGKILL); default SIGTERM.\n",
  kill_opts,
  0,
  14,
  CAPSA_OPT_HELP_COMPACT,
};

int
cmd_kill (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  bool all = false;
  int sig = 15, first = oci_parse (&oci_cmd_kill, argc, argv, &all);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (argc - first < 1 || argc - first > 2)
    return oci_usage ("kill", "requires the container id and an optional signal");
  if (argc - first == 2 && (sig = capsa_signal_parse (argv[first + 1])) < 0)
    return oci_usage ("kill", "unknown signal `%s`", argv[first + 1]);
  if (capsa_container_kill (g->root, argv[first], sig, all, &err) < 0)
    return oci_fail (&err);
  return 0;
}
