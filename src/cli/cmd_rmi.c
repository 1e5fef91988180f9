/* capsa rmi [--force] IMAGE... */
#include <stdio.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

static const struct capsa_opt rmi_opts[] = {
  { .name = "force",
    .letter = 'f',
    .kind = CAPSA_OPT_BOOL,
    .help = "remove an image by id even when it has several names" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_rmi = {
  "rmi", "[OPTIONS] IMAGE...", "Remove a name (the image goes with its last name), or an image by id.", rmi_opts, 0,
  NULL
};

int
cmd_rmi (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  bool force = false;
  int status = 0, first = cli_parse (&cli_spec_rmi, argc, argv, &force);
  if (first <= 0)
    return -first;
  if (first >= argc)
    return cli_usage ("rmi", "requires at least 1 argument (IMAGE)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  for (int i = first; i < argc; i++)
    {
      cleanup_strv char **untagged = NULL, **deleted = NULL;
      capsa_err *err = NULL;
      int r = capsa_image_remove (s, argv[i], force, g->eng.default_registry, &untagged, &deleted, &err);
      for (char **u = untagged; u && *u; u++)
        {
          cleanup_free char *fam = cli_familiar (g, *u);
          printf ("Untagged: %s\n", fam);
        }
      for (char **d = deleted; d && *d; d++)
        printf ("Deleted: %s\n", *d);
      if (r < 0)
        status = cli_fail (&err);
    }
  return status;
}
