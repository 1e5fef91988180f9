/* capsa image prune [--all] [--force] */
#include <stdio.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

struct prune_flags
{
  bool all, force;
};
static const struct capsa_opt prune_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct prune_flags, all, "remove every image no container uses"),
  CAPSA_O_BOOL ('f', "force", struct prune_flags, force, "do not ask for confirmation"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_image_prune = {
  "image prune", "[OPTIONS]", "Remove images without a name, and the blobs and layers nothing uses.",
  prune_opts,    0,           NULL
};

int
cmd_prune (struct cli_global *g, int argc, char **argv)
{
  struct prune_flags f = { 0 };
  long long reclaimed = 0;
  char size[32];
  int first = cli_parse (&cli_spec_image_prune, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool all = f.all;
  if (first < argc)
    return cli_usage ("image prune", "takes no arguments");
  if (!cli_confirm (f.force,
                    all ? "all images without at least one container associated to them" : "all dangling images"))
    return 0;
  if (cli_image_prune (g, all, &reclaimed) != 0)
    return CLI_EXIT_ERROR;
  cli_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* Remove unnamed images (all: every image no container uses), printing docker's "Deleted
 * Images:" list; *reclaimed gets the bytes freed added (system prune sums them). */
int
cli_image_prune (struct cli_global *g, bool all, long long *reclaimed)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **deleted = NULL;
  capsa_err *err = NULL;
  long long n = 0;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_prune (s, all, &deleted, &n, &err) < 0)
    return cli_fail (&err);
  if (deleted)
    {
      printf ("Deleted Images:\n");
      for (char **d = deleted; *d; d++)
        printf ("deleted: %s\n", *d);
      printf ("\n");
    }
  *reclaimed += n;
  return 0;
}
