/* capsa history [--no-trunc] [--quiet] [--format json] IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

#include <time.h>

#include "capsa/json.h"

struct history_flags
{
  bool no_trunc, quiet;
  const char *format;
};

static int
format_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "json") != 0)
    return capsa_fail_as (err, EINVAL, "--format: only `json` is supported");
  return 0;
}

static const struct capsa_opt history_opts[] = {
  CAPSA_O_BOOL (0, "no-trunc", struct history_flags, no_trunc, "full commands"),
  CAPSA_O_BOOL ('q', "quiet", struct history_flags, quiet, "only the image id"),
  CAPSA_O_STR (0, "format", struct history_flags, format, "json", "the config's history array", .check = format_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_history = { "history",
                                           "[OPTIONS] IMAGE",
                                           "Newest step first: when it was made, by what, and the size of its layer.",
                                           history_opts,
                                           0,
                                           NULL };

static void
print_table (json_t *steps, bool no_trunc)
{
  json_t *h;
  size_t i;
  printf ("%-14s %-16s %-48s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
  json_array_foreach (steps, i, h)
  {
    char since[64] = "N/A", size[32], d[48];
    long long created = json_integer_value (json_object_get (h, "Created"));
    if (created > 0)
      {
        capsa_human_duration ((long) difftime (time (NULL), (time_t) created), d, sizeof d);
        snprintf (since, sizeof since, "%s ago", d);
      }
    cli_human_size (json_integer_value (json_object_get (h, "Size")), size, sizeof size);
    const char *id = json_string_value (json_object_get (h, "Id"));
    cleanup_free char *by = capsa_xstrdup (json_string_value (json_object_get (h, "CreatedBy")));
    if (!no_trunc && strlen (by) > 45)
      strcpy (by + 42, "...");
    printf ("%-14.12s %-16s %-48s %-10s %s\n", strncmp (id, "sha256:", 7) == 0 ? id + 7 : id, since, by, size,
            json_string_value (json_object_get (h, "Comment")));
  }
}

int
cmd_history (struct cli_global *g, int argc, char **argv)
{
  struct history_flags f = { 0 };
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  cleanup_json json_t *idx = NULL, *config = NULL, *steps = NULL;
  int first = cli_parse (&cli_spec_history, argc, argv, &f);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("history", "requires exactly 1 argument (IMAGE)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_index_read (s, &idx, &err) < 0)
    return cli_fail (&err);
  json_t *img = capsa_image_find (idx, argv[first], g->eng.default_registry, &err);
  const char *id = img ? json_string_value (json_object_get (img, "id")) : NULL;
  if (img == NULL || capsa_blob_json (s, id, &config, &err) < 0)
    return cli_fail (&err);
  if (f.quiet)
    printf ("%.12s\n", id + 7);
  else if (f.format)
    {
      json_t *history = json_object_get (config, "history");
      cleanup_free char *out = history ? json_dumps (history, JSON_INDENT (1)) : capsa_xstrdup ("[]");
      puts (out);
    }
  else if ((steps = capsa_image_history_json (s, img, g->eng.default_registry, &err)) == NULL)
    return cli_fail (&err);
  else
    print_table (steps, f.no_trunc);
  return 0;
}
