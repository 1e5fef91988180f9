/* capsa diff CONTAINER: what the container changed in its image, as `docker diff` prints it
 * ("A /path" added, "C" changed, "D" deleted; the engine's capsa_ctr_changes). */
#include <stdio.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "cli.h"

const struct cli_spec cli_spec_diff = { "diff",
                                        "CONTAINER",
                                        "Files and directories a container changed in its image (A added, C changed, "
                                        "D deleted).",
                                        cli_no_options,
                                        0,
                                        NULL };

int
cmd_diff (struct cli_global *g, int argc, char **argv)
{
  static const char kinds[] = "CAD";
  cleanup_ctr struct ctr *c = NULL;
  cleanup_json json_t *changes = NULL;
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_diff, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("diff", "requires exactly 1 argument (CONTAINER)");
  if (capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0 || capsa_ctr_changes (&g->eng, c, &changes, &err) < 0)
    return cli_fail (&err);
  size_t i;
  json_t *ch;
  json_array_foreach (changes, i, ch)
  {
    json_int_t k = json_integer_value (json_object_get (ch, "Kind"));
    printf ("%c %s\n", kinds[k >= 0 && k <= 2 ? k : 0], jstr (ch, "Path"));
  }
  return 0;
}
