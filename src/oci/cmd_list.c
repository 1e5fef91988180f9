/* capsa-oci list [--format table|json] [--quiet] */
#include <getopt.h>
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

int
cmd_list (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "format", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  json_t *arr = NULL;
  const char *format = "table";
  bool quiet = false;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        format = optarg;
        if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
          return oci_usage ("list", "--format: unknown format `%s` (table or json)", format);
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        printf ("Usage: capsa-oci list [--format table|json] [--quiet]\n");
        return 0;
      default:
        return oci_usage ("list", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind != argc)
    return oci_usage ("list", "takes no arguments");
  if (capsa_container_list (g->root, &arr, &err) < 0)
    return oci_fail (&err);
  if (quiet)
    {
      size_t i;
      json_t *one;
      json_array_foreach (arr, i, one) puts (json_string_value (json_object_get (one, "id")));
    }
  else if (strcmp (format, "json") == 0)
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
