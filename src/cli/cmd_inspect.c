/* capsa image inspect [--format TEMPLATE] IMAGE...: docker's JSON for each image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "capsa/template.h"

/* (also used by `capsa inspect` for the names that are images, cmd_system.c) */
json_t *
inspect_one (struct cli_global *g, struct capsa_store *s, json_t *img, capsa_err **err)
{
  return capsa_image_inspect_json (s, img, g->eng.default_registry, err);
}

static const struct capsa_opt inspect_opts[] = {
  { .name = "format",
    .letter = 'f',
    .kind = CAPSA_OPT_STRING,
    .arg = "TEMPLATE",
    .help = "a Go template for each: {{.Id}}, {{json .RootFS}}, {{range .RepoTags}}...{{end}}" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_image_inspect = {
  "image inspect", "[OPTIONS] IMAGE...", "Print images' details as JSON.", inspect_opts, 0, NULL
};

int
cmd_inspect (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  const char *format = NULL;
  json_t *idx = NULL;
  int status = 0, first = cli_parse (&cli_spec_image_inspect, argc, argv, &format);
  if (first <= 0)
    return -first;
  if (first >= argc)
    return cli_usage ("image inspect", "requires at least 1 argument (IMAGE)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  capsa_err *err = NULL;
  if (capsa_index_read (s, &idx, &err) < 0)
    return cli_fail (&err);
  json_t *all = json_array ();
  for (int i = first; i < argc; i++)
    {
      json_t *img = capsa_image_find (idx, argv[i], g->eng.default_registry, &err);
      json_t *one = img ? inspect_one (g, s, img, &err) : NULL;
      if (one == NULL)
        {
          status = cli_fail (&err);
          continue;
        }
      json_array_append_new (all, one);
    }
  if (format && capsa_template_print_each (format, all, &err) < 0)
    status = cli_fail (&err);
  else if (format == NULL)
    {
      char *out = json_dumps (all, JSON_INDENT (4));
      puts (out);
      free (out);
    }
  json_decref (all);
  json_decref (idx);
  return status;
}
