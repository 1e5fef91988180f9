/* capsa images [--all] [--quiet] [--digests] [--no-trunc] [--filter K=V] [--format json|raw|TEMPLATE]
 * [REPOSITORY[:TAG]] (intermediate images, untagged parents of others, only with --all, as docker's) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "cli.h"
#include "capsa/template.h"

/* An `images` row with docker's field names (what its --format templates use). */
static json_t *
image_row (struct cli_global *g, json_t *img, const char *name, bool no_trunc)
{
  char size[32], since[64];
  const char *id = json_string_value (json_object_get (img, "id"));
  cleanup_free char *fam = name ? cli_familiar (g, name) : capsa_xstrdup ("<none>:<none>");
  char *colon = strrchr (fam, ':');
  if (colon && strchr (colon, '/'))
    colon = NULL;
  if (colon)
    *colon = '\0';
  cli_human_size ((long long) json_integer_value (json_object_get (img, "size")), size, sizeof size);
  cli_human_since (json_string_value (json_object_get (img, "created")), since, sizeof since);
  json_t *d = json_array_get (json_object_get (img, "digests"), 0);
  const char *at = d ? strchr (json_string_value (d), '@') : NULL;
  char created[64];
  cli_docker_time (json_string_value (json_object_get (img, "created")), created, sizeof created);
  /* docker's keys, in the order its {{json .}} prints them */
  return json_pack ("{s:s, s:s, s:s, s:s, s:s#, s:s, s:s, s:s, s:s, s:s, s:s}", "Containers", "N/A", "CreatedAt",
                    created, "CreatedSince", since, "Digest", at ? at + 1 : "<none>", "ID", no_trunc ? id : id + 7,
                    no_trunc ? 71 : 12, "Repository", fam, "SharedSize", "N/A", "Size", size, "Tag",
                    colon ? colon + 1 : "<none>", "UniqueSize", "N/A", "VirtualSize", size);
}

/* the row printed, or kept in rows (for --format TEMPLATE) */
static void
print_row (struct cli_global *g, json_t *img, const char *name, bool digests, bool no_trunc, json_t *rows)
{
  json_t *r = image_row (g, img, name, no_trunc);
  const char *f[7];
  const char *keys[] = { "Repository", "Tag", "Digest", "ID", "CreatedSince", "Size" };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    f[i] = json_string_value (json_object_get (r, keys[i]));
  if (rows)
    {
      json_array_append_new (rows, r);
      return;
    }
  printf ("%-40s %-16s ", f[0], f[1]);
  if (digests)
    printf ("%-72s ", f[2]);
  printf ("%-14s %-16s %s\n", f[3], f[4], f[5]);
  json_decref (r);
}

static bool
matches (struct cli_global *g, const char *name, const char *filter)
{
  if (filter == NULL)
    return true;
  cleanup_free char *fam = cli_familiar (g, name);
  size_t n = strlen (filter);
  /* "busybox" matches every tag of busybox; "busybox:1" only that one */
  return strcmp (fam, filter) == 0 || strcmp (name, filter) == 0
         || ((strncmp (fam, filter, n) == 0 || strncmp (name, filter, n) == 0) && (fam[n] == ':' || name[n] == ':')
             && strchr (filter, ':') == NULL);
}

struct images_flags
{
  bool all, quiet, digests, no_trunc;
  const char *format;
  char **filters;
};

static int
format_ok (const char *v, capsa_err **err)
{
  if (!capsa_template_is (v) && strcmp (v, "json") != 0 && strcmp (v, "raw") != 0)
    return capsa_fail_as (err, EINVAL, "--format: `json`, `raw`, `table` or a Go template ({{.Repository}}:{{.Tag}})");
  return 0;
}

#define F struct images_flags
static const struct capsa_opt images_opts[] = {
  CAPSA_O_BOOL ('q', "quiet", F, quiet, "only image ids"),
  CAPSA_O_BOOL (0, "digests", F, digests, "show the registry digests"),
  CAPSA_O_BOOL (0, "no-trunc", F, no_trunc, "full image ids"),
  CAPSA_O_STR (0, "format", F, format, "json|raw|TEMPLATE",
               "json: a row a line with docker's fields; raw: one JSON array of the store's\n"
               "image records; a Go template for each row ({{.Repository}}:{{.Tag}} {{.ID}})\n"
               "or `table TEMPLATE` (a header line, aligned columns)",
               .check = format_ok),
  CAPSA_O_BOOL ('a', "all", F, all, "intermediate images too (untagged parents of others)"),
  CAPSA_O_LIST ('f', "filter", F, filters, "KEY=VALUE",
                "reference (globs: busybox:*), dangling=true|false, label (K or K=V),\n"
                "before=IMAGE, since=IMAGE (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef F
const struct cli_spec cli_spec_images = {
  "images", "[OPTIONS] [REPOSITORY[:TAG]]", "List the images in the store.", images_opts, 0, NULL
};

/* What one listing needs: the options, the filters (img_filters: those of the image itself, all
 * but reference) and the rows of --format. */
struct images_ctx
{
  struct cli_global *g;
  struct images_flags *f;
  struct capsa_store *s;
  json_t *idx, *filters, *img_filters, *rows;
  const char *arg; /* REPOSITORY[:TAG] */
  long long before, since;
};

/* (c's filters are its own) */
static void
images_ctx_clear (struct images_ctx *c)
{
  json_decref (c->filters);
  json_decref (c->img_filters);
}

static bool
image_passes (struct images_ctx *c, json_t *img)
{
  if (json_object_size (c->img_filters) == 0)
    return true;
  cleanup_json json_t *sum = capsa_image_summary_json (c->s, img, c->g->eng.default_registry);
  return capsa_image_filter_match (sum, capsa_image_dangling (c->idx, img), c->img_filters, c->before, c->since);
}

static void
print_id (struct images_ctx *c, const char *id)
{
  printf ("%.*s\n", c->f->no_trunc ? 71 : 12, c->f->no_trunc ? id : id + 7);
}

/* img's rows: one per name the argument and the reference filter match; an untagged one
 * without them (intermediate images only with --all) */
static void
list_image (struct images_ctx *c, json_t *img)
{
  json_t *names = json_object_get (img, "names"), *n;
  const char *id = json_string_value (json_object_get (img, "id"));
  bool quiet = c->f->quiet && !c->rows, printed = false;
  size_t j;
  if (!image_passes (c, img))
    return;
  if (json_array_size (names) == 0)
    {
      if (c->arg || json_object_get (c->filters, "reference")
          || !(c->f->all || !capsa_image_intermediate (c->idx, img) || json_object_get (c->filters, "dangling")))
        return;
      if (quiet)
        print_id (c, id);
      else
        print_row (c->g, img, NULL, c->f->digests, c->f->no_trunc, c->rows);
      return;
    }
  json_array_foreach (names, j, n)
  {
    cleanup_free char *fam = cli_familiar (c->g, json_string_value (n));
    if (!matches (c->g, json_string_value (n), c->arg) || !capsa_image_ref_match (c->filters, fam))
      continue;
    if (quiet && !printed)
      print_id (c, id);
    else if (!quiet)
      print_row (c->g, img, json_string_value (n), c->f->digests, c->f->no_trunc, c->rows);
    printed = true;
  }
}

static int
images_filters (struct images_ctx *c, char **args, capsa_err **err)
{
  if (cli_filters (args, &c->filters, err) < 0 || capsa_image_filters_check (c->filters, err) < 0
      || capsa_image_filter_times (c->idx, c->filters, c->g->eng.default_registry, &c->before, &c->since, err) < 0)
    return -1;
  c->img_filters = json_deep_copy (c->filters);
  json_object_del (c->img_filters, "reference");
  return 0;
}

int
cmd_images (struct cli_global *g, int argc, char **argv)
{
  struct images_flags f = { 0 };
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  cleanup_json json_t *idx = NULL;
  json_t *img;
  size_t i;
  int first = cli_parse (&cli_spec_images, argc, argv, &f);
  cleanup_strv char **filter_args = f.filters;
  if (first <= 0)
    return -first;
  const char *tmpl = f.format && strcmp (f.format, "raw") != 0 && strcmp (f.format, "table") != 0 ? f.format : NULL;
  if (argc - first > 1)
    return cli_usage ("images", "at most 1 argument (REPOSITORY[:TAG])");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_index_read (s, &idx, &err) < 0)
    return cli_fail (&err);
  json_t *images = json_object_get (idx, "images");
  if (f.format && strcmp (f.format, "raw") == 0)
    {
      cleanup_free char *out = json_dumps (images, JSON_INDENT (1));
      puts (out);
      return 0;
    }
  __attribute__ ((cleanup (images_ctx_clear))) struct images_ctx c = {
    .g = g, .f = &f, .s = s, .idx = idx, .arg = first < argc ? argv[first] : NULL
  };
  cleanup_json json_t *rows = tmpl ? json_array () : NULL;
  int r = images_filters (&c, filter_args, &err);
  c.rows = rows;
  if (r < 0)
    return cli_fail (&err);
  cli_sort_newest_first (images, "created");
  if (!f.quiet && !tmpl)
    printf ("%-40s %-16s %s%-14s %-16s %s\n", "REPOSITORY", "TAG", f.digests ? "DIGEST" : "",
            f.digests ? "                                                                  IMAGE ID" : "IMAGE ID",
            "CREATED", "SIZE");
  json_array_foreach (images, i, img) list_image (&c, img);
  return rows ? cli_print_rows (tmpl, rows, cli_images_headers) : 0;
}
