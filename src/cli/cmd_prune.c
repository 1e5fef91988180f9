/* capsa image prune [--all] [--force] [--filter KEY=VALUE]... */
#include <stdio.h>
#include <string.h>

#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "cli.h"

static const struct capsa_opt prune_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct cli_prune_opts, all, "remove every image no container uses"),
  CAPSA_O_BOOL ('f', "force", struct cli_prune_opts, force, "do not ask for confirmation"),
  CAPSA_O_LIST (0, "filter", struct cli_prune_opts, filters, "KEY=VALUE",
                "label=K[=V], label!=K[=V], until=DURATION|TIME (made before), dangling=false (--all)"),
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
  struct cli_prune_opts f = { 0 };
  long long reclaimed = 0, until;
  char size[32];
  int first = cli_parse (&cli_spec_image_prune, argc, argv, &f);
  cleanup_strv char **filter_args = f.filters;
  if (first <= 0)
    return -first;
  if (first < argc)
    return cli_usage ("image prune", "takes no arguments");
  capsa_err *err = NULL;
  cleanup_json json_t *filters = NULL;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_prune_filters_check (filters, true, &until, &err) < 0)
    return cli_fail (&err);
  int dangling = -1;
  json_t *d = json_array_get (json_object_get (filters, "dangling"), 0);
  if (d)
    dangling = strcmp (json_string_value (d), "true") == 0 || strcmp (json_string_value (d), "1") == 0;
  bool all = f.all || dangling == 0;
  if (!cli_confirm (f.force,
                    all ? "all images without at least one container associated to them" : "all dangling images"))
    return 0;
  if (cli_image_prune (g, all, filters, until, &reclaimed) != 0)
    return CLI_EXIT_ERROR;
  cli_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* Remove unnamed images (all: every image no container uses), printing docker's "Deleted
 * Images:" list; *reclaimed gets the bytes freed added (system prune sums them). */
int
cli_image_prune (struct cli_global *g, bool all, json_t *filters, long long until, long long *reclaimed)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **deleted = NULL;
  capsa_err *err = NULL;
  long long n = 0;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_prune_filtered (s, all, filters, until, g->eng.default_registry, &deleted, &n, &err) < 0)
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
