/* capsa tag SOURCE_IMAGE TARGET_IMAGE */
#include <stdio.h>
#include <string.h>

#include "capsa/image.h"
#include "cli.h"

const struct cli_spec cli_spec_tag = { "tag",
                                       "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                                       "Give the image SOURCE another name; a name held by another image moves.",
                                       cli_no_options,
                                       0,
                                       NULL };

int
cmd_tag (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;

  int first = cli_parse (&cli_spec_tag, argc, argv, NULL);
  if (first <= 0)
    return -first;
  argv += first - 1; /* (argv[1], argv[2]: the operands) */
  if (argc - first != 2)
    return cli_usage ("tag", "requires exactly 2 arguments (SOURCE TARGET)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_tag (s, argv[1], argv[2], g->eng.default_registry, &err) < 0)
    return cli_fail (&err);
  return 0;
}
