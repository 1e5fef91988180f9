/* capsa import [--change INSTR]... [--message MSG] TARBALL|DIRECTORY|- [REPOSITORY[:TAG]] */
#include <stdio.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

int
cmd_import (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  struct import_flags f = { 0 };
  cleanup_free char *full = NULL;
  struct capsa_import_opts o = { 0 };
  char id[CAPSA_DIGEST_LEN + 1];
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_import, argc, argv, &f);
  cleanup_strv char **changes = f.changes;
  if (first <= 0)
    return -first;
  o.message = f.message;
  if (argc - first < 1 || argc - first > 2)
    return cli_usage ("import", "requires 1 or 2 arguments (SOURCE [REPOSITORY[:TAG]])");
  int rc = argc - first == 2 ? cli_image_name (g, "import", argv[first + 1], &full) : 0;
  if (rc != 0)
    return rc;
  o.name = full;
  o.changes = changes;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_import (s, argv[first], &o, id, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", id);
  return 0;
}
