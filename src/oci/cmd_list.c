/* capsa-oci list [--format table|json] [--quiet] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

static void
print_table (json_t *arr)
{
  size_t i;
  json_t *c;

  printf ("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER");
  json_array_foreach (arr, i, c)
  {
    printf ("%-24s %-8lld %-10s %-40s %-32s %s\n", json_string_value (json_object_get (c, "id")),
            (long long) json_integer_value (json_object_get (c, "pid")),
            json_string_value (json_object_get (c, "status")), json_string_value (json_object_get (c, "bundle")),
            json_string_value (json_object_get (c, "created")), json_string_value (json_object_get (c, "owner")));
  }
}

struct list_args
{
  const char *format;
  bool quiet;
};

static const struct capsa_opt list_opts[] = {
  CAPSA_O_STR ('f', "format", struct list_args, format, "table|json", NULL, .check = oci_check_format),
  CAPSA_O_BOOL ('q', "quiet", struct list_args, quiet, NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_list = { "list", "[--format table|json] [--quiet]", NULL, list_opts, 0, 0, 0 };

int
cmd_list (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  json_t *arr = NULL;
  struct list_args a = { .format = "table" };
  int first = oci_parse (&oci_cmd_list, argc, argv, &a);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (first != argc)
    return oci_usage ("list", "takes no arguments");
  if (capsa_container_list (g->root, &arr, &err) < 0)
    return oci_fail (&err);
  if (a.quiet)
    {
      size_t i;
      json_t *one;
      json_array_foreach (arr, i, one) puts (json_string_value (json_object_get (one, "id")));
    }
  else if (strcmp (a.format, "json") == 0)
    {
      char *s = json_dumps (arr, JSON_COMPACT);
      puts (s ? s : "[]");
      free (s);
    }
  else
    print_table (arr);
  json_decref (arr);
  return 0;
}
