/* --format for the list commands (ps, images, network ls, volume ls...): the rows as docker's
 * CLI makes them (its field names, its strings), `json`, templates and tables (cli.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/template.h"
#include "capsa/util.h"
#include "cli.h"

/* docker's headers for the fields of its tables (formatter's *HeaderContext) */
const char *const cli_ps_headers[] = { "ID",           "CONTAINER ID",  "Image",      "IMAGE",    "Command", "COMMAND",
                                       "CreatedAt",    "CREATED AT",    "RunningFor", "CREATED",  "Ports",   "PORTS",
                                       "State",        "STATE",         "Status",     "STATUS",   "Size",    "SIZE",
                                       "Names",        "NAMES",         "Labels",     "LABELS",   "Mounts",  "MOUNTS",
                                       "LocalVolumes", "LOCAL VOLUMES", "Networks",   "NETWORKS", NULL };
const char *const cli_images_headers[] = {
  "ID",           "IMAGE ID",     "Repository", "REPOSITORY",  "Tag",        "TAG",         "Digest",     "DIGEST",
  "CreatedSince", "CREATED",      "CreatedAt",  "CREATED AT",  "Size",       "SIZE",        "Containers", "CONTAINERS",
  "VirtualSize",  "VIRTUAL SIZE", "SharedSize", "SHARED SIZE", "UniqueSize", "UNIQUE SIZE", NULL
};
const char *const cli_network_headers[] = { "ID",     "NETWORK ID", "Name",      "NAME",       "Driver",   "DRIVER",
                                            "Scope",  "SCOPE",      "IPv6",      "IPV6",       "Internal", "INTERNAL",
                                            "Labels", "LABELS",     "CreatedAt", "CREATED AT", NULL };
const char *const cli_volume_headers[] = { "Name",  "VOLUME NAME", "Driver",     "DRIVER", "Scope",
                                           "SCOPE", "Mountpoint",  "MOUNTPOINT", "Labels", "LABELS",
                                           "Links", "LINKS",       "Size",       "SIZE",   NULL };
const char *const cli_stats_headers[] = { "Container",    "CONTAINER", "Name",  "NAME",     "ID",
                                          "CONTAINER ID", "CPUPerc",   "CPU %", "MemUsage", "MEM USAGE / LIMIT",
                                          "MemPerc",      "MEM %",     "NetIO", "NET I/O",  "BlockIO",
                                          "BLOCK I/O",    "PIDs",      "PIDS",  NULL };

void
cli_docker_time (const char *rfc3339, char *buf, size_t len)
{
  struct tm tm = { 0 }, local;
  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    {
      snprintf (buf, len, "%s", rfc3339 ? rfc3339 : "");
      return;
    }
  time_t t = timegm (&tm);
  localtime_r (&t, &local);
  char zone[32];
  strftime (zone, sizeof zone, "%z %Z", &local);
  snprintf (buf, len, "%04d-%02d-%02d %02d:%02d:%02d %s", local.tm_year + 1900, local.tm_mon + 1, local.tm_mday,
            local.tm_hour, local.tm_min, local.tm_sec, zone); /* (strftime's %Y: "1" for the year 1) */
}

int
cli_print_rows (const char *fmt, json_t *rows, const char *const *headers)
{
  capsa_err *err = NULL;
  if (strcmp (fmt, "json") == 0)
    fmt = "{{json .}}";
  if (capsa_template_print_list (stdout, fmt, rows, headers, &err) < 0)
    return cli_fail (&err);
  return 0;
}

int
cli_cmp_json_strings (const void *a, const void *b, void *unused)
{
  (void) unused;
  return strcmp (json_string_value (*(json_t *const *) a) ?: "", json_string_value (*(json_t *const *) b) ?: "");
}

/* "a=1,b=2" from an object of labels (docker's Labels column; keys sorted) */
char *
cli_labels_text (json_t *labels)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return capsa_xstrdup ("");
  const char *k;
  json_t *v;
  bool first = true;
  cleanup_json json_t *keys = json_array ();
  json_object_foreach (labels, k, v) json_array_append_new (keys, json_string (k));
  json_array_sort (keys, cli_cmp_json_strings, NULL);
  size_t i;
  json_array_foreach (keys, i, v)
  {
    const char *key = json_string_value (v);
    fprintf (f, "%s%s=%s", first ? "" : ",", key, json_string_value (json_object_get (labels, key)) ?: "");
    first = false;
  }
  fclose (f);
  return capsa_xstrdup (buf);
}

/* docker's Ellipsis: at most n characters, the last one "…" when cut */
static char *
ellipsis (const char *s, size_t n, bool notrunc)
{
  size_t chars = 0, cut = 0;
  for (size_t i = 0; s[i]; i++)
    if (((unsigned char) s[i] & 0xC0) != 0x80 && chars++ == n - 1)
      cut = i;
  if (notrunc || chars <= n)
    return capsa_xstrdup (s);
  return capsa_xasprintf ("%.*s…", (int) cut, s);
}

/* The Mounts and LocalVolumes columns: the mounts' names (or sources), the local volumes */
static char *
mounts_text (json_t *mounts, bool notrunc, int *local)
{
  cleanup_json json_t *names = json_array ();
  size_t i;
  json_t *m;
  *local = 0;
  json_array_foreach (mounts, i, m)
  {
    const char *name = jstr (m, "Name") ?: jstr (m, "Source") ?: "";
    cleanup_free char *cut = ellipsis (name, 15, notrunc);
    json_array_append_new (names, json_string (cut));
    *local += jstr (m, "Driver") && strcmp (jstr (m, "Driver"), "local") == 0;
  }
  return cli_join_strings (names, ",");
}

char *
cli_join_strings (json_t *arr, const char *sep)
{
  cleanup_free char *buf = NULL;
  size_t len = 0, i;
  json_t *v;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return capsa_xstrdup ("");
  json_array_foreach (arr, i, v) fprintf (f, "%s%s", i ? sep : "", json_string_value (v) ?: "");
  fclose (f);
  return capsa_xstrdup (buf);
}

/* ps's row as docker's CLI makes it (its ContainerContext): what --format sees */
json_t *
cli_ps_row (struct ctr *c, json_t *summary, bool notrunc)
{
  char st[128], created[64], since[64];
  capsa_ctr_status_text (c, st, sizeof st);
  const char *at = jstr (c->meta, "Created");
  cli_docker_time (at, created, sizeof created);
  cli_human_since (at, since, sizeof since);
  cleanup_free char *cmd = capsa_ctr_command_text (c->meta), *cut = ellipsis (cmd, 20, notrunc);
  cleanup_json json_t *qcmd = json_string (cut), *nets = json_array ();
  cleanup_free char *quoted = json_dumps (qcmd, JSON_ENCODE_ANY);
  cleanup_free char *ports = capsa_ctr_ports_text (c);
  cleanup_free char *labels = cli_labels_text (json_object_get (summary, "Labels"));
  int local;
  cleanup_free char *mounts = mounts_text (json_object_get (summary, "Mounts"), notrunc, &local);
  char nlocal[16];
  snprintf (nlocal, sizeof nlocal, "%d", local);
  const char *k;
  json_t *v;
  json_object_foreach (json_object_get (json_object_get (summary, "NetworkSettings"), "Networks"), k, v)
      json_array_append_new (nets, json_string (k));
  json_array_sort (nets, cli_cmp_json_strings, NULL);
  cleanup_free char *netlist = cli_join_strings (nets, ",");
  return json_pack ("{s:s, s:s, s:s#, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Command", quoted,
                    "CreatedAt", created, "ID", c->id, notrunc ? 64 : 12, "Image", jstr (c->meta, "ImageName") ?: "",
                    "Labels", labels, "LocalVolumes", nlocal, "Mounts", mounts, "Names", capsa_ctr_name (c), "Networks",
                    netlist, "Ports", ports, "RunningFor", since, "Size", "0B", "State",
                    capsa_ctr_status_name (c->status), "Status", st);
}
