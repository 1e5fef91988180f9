/* capsa push [--quiet] [--insecure] IMAGE [DESTINATION] */
#include <stdio.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"
#include "progress.h"

int
cmd_push (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **insecure_list = NULL;
  struct capsa_registry_opts o;
  struct cli_progress pr = { .push = true };
  char digest[CAPSA_DIGEST_LEN + 1];
  struct push_flags f = { .compression = "gzip" };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_push, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool quiet = f.quiet, insecure = f.insecure;
  const char *compression = f.compression;
  if (argc - first < 1 || argc - first > 2)
    return cli_usage ("push", "requires 1 or 2 arguments (IMAGE [DESTINATION])");
  const char *dest = argc - first == 2 ? argv[first + 1] : NULL;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  cli_registry_opts (g, &o, quiet, &pr);
  o.compression = compression;
  if (insecure)
    cli_registry_insecure (g, &o, dest ? dest : argv[first], &insecure_list);
  int r = capsa_push (s, argv[first], dest, &o, digest, &err);
  cli_progress_free (&pr);
  if (r < 0)
    return cli_fail (&err);
  if (!quiet)
    printf ("digest: %s\n", digest);
  return 0;
}
