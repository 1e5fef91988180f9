/* capsa-oci kill [--all] ID [SIGNAL]: SIGNAL is a number or a name with or without SIG (default TERM). */
#include <getopt.h>
#include <stdio.h>

#include "oci.h"

int
cmd_kill (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  bool all = false;
  int c, sig = 15;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'h':
        printf ("Usage: capsa-oci kill [--all] CONTAINER-ID [SIGNAL]\n\n"
                "SIGNAL: a number (9) or a name with or without SIG (KILL, SIGKILL); default SIGTERM.\n"
                "  -a, --all   signal every process in the container (its pid namespace), not only init\n");
        return 0;
      default:
        return oci_usage ("kill", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind < 1 || argc - optind > 2)
    return oci_usage ("kill", "requires the container id and an optional signal");
  if (argc - optind == 2 && (sig = capsa_signal_parse (argv[optind + 1])) < 0)
    return oci_usage ("kill", "unknown signal `%s`", argv[optind + 1]);
  if (capsa_container_kill (g->root, argv[optind], sig, all, &err) < 0)
    return oci_fail (&err);
  return 0;
}
