/* capsa history [--no-trunc] [--quiet] [--format json] IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

#include <fcntl.h>

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

int
cmd_history (struct cli_global *g, int argc, char **argv)
{
  struct history_flags f = { 0 };
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  json_t *idx = NULL, *config = NULL, *h;
  int first = cli_parse (&cli_spec_history, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool no_trunc = f.no_trunc, quiet = f.quiet, json = f.format != NULL;
  if (argc - first != 1)
    return cli_usage ("history", "requires exactly 1 argument (IMAGE)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_index_read (s, &idx, &err) < 0)
    return cli_fail (&err);
  json_t *img = capsa_image_find (idx, argv[first], g->eng.default_registry, &err);
  if (img == NULL || capsa_blob_json (s, json_string_value (json_object_get (img, "id")), &config, &err) < 0)
    {
      json_decref (idx);
      return cli_fail (&err);
    }
  const char *id = json_string_value (json_object_get (img, "id"));
  json_t *history = json_object_get (config, "history");
  json_t *diffids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  if (quiet)
    printf ("%.12s\n", id + 7);
  else if (json)
    {
      char *out = json_dumps (history ? history : json_array (), JSON_INDENT (1));
      puts (out);
      free (out);
    }
  else
    {
      printf ("%-14s %-16s %-48s %-10s %s\n", "IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT");
      /* each non-empty history entry has a layer, in order */
      size_t nlayers = 0, n = json_array_size (history);
      for (size_t i = 0; i < n; i++)
        if (!json_is_true (json_object_get (json_array_get (history, i), "empty_layer")))
          nlayers++;
      for (size_t i = n; i-- > 0;)
        {
          char since[64], size[32] = "0B";
          h = json_array_get (history, i);
          bool empty = json_is_true (json_object_get (h, "empty_layer"));
          if (!empty)
            {
              nlayers--;
              const char *diffid = json_string_value (json_array_get (diffids, nlayers));
              if (diffid)
                {
                  cleanup_free char *path = capsa_store_layer_path (s, diffid);
                  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                  cli_human_size (fd >= 0 ? capsa_fs_tree_size (fd) : 0, size, sizeof size);
                }
            }
          cli_human_since (json_string_value (json_object_get (h, "created")), since, sizeof since);
          const char *by = json_string_value (json_object_get (h, "created_by")) ?: "";
          const char *comment = json_string_value (json_object_get (h, "comment")) ?: "";
          cleanup_free char *by_short = capsa_xstrdup (by);
          if (!no_trunc && strlen (by_short) > 45)
            strcpy (by_short + 42, "...");
          printf ("%-14.12s %-16s %-48s %-10s %s\n", i == n - 1 ? id + 7 : "<missing>", since, by_short, size, comment);
        }
    }
  json_decref (config);
  json_decref (idx);
  return 0;
}
