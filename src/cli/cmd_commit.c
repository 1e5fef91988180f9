/* capsa commit [-c INSTR]... [-m MSG] [-a AUTHOR] [-p=false] CONTAINER [REPOSITORY[:TAG]]
 * (docker commit): the container's changes as a new image; prints its id.  In capsa-image: it
 * writes layers (libarchive, sha256). */
#include <stdio.h>

#include "capsa/build.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

int
cmd_commit (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_ctr struct ctr *c = NULL;
  struct commit_flags f = { .pause = true };
  cleanup_free char *full = NULL;
  char id[CAPSA_DIGEST_LEN + 1];
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_commit, argc, argv, &f);
  cleanup_strv char **changes = f.changes;
  if (first <= 0)
    return -first;
  if (argc - first < 1 || argc - first > 2)
    return cli_usage ("commit", "requires 1 or 2 arguments (CONTAINER [REPOSITORY[:TAG]])");
  int rc = argc - first == 2 ? cli_image_name (g, "commit", argv[first + 1], &full) : 0;
  if (rc != 0)
    return rc;
  struct capsa_ctr_commit_opts o = {
    .name = full, .changes = changes, .message = f.message, .author = f.author, .pause = f.pause
  };
  /* (capsa executed this program inside the rootless namespace: the engine learns of it) */
  if (capsa_engine_rootless_enter (&g->eng, &err) < 0 || capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0)
    return cli_fail (&err);
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_ctr_commit (&g->eng, s, c, &o, id, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", id);
  return 0;
}
