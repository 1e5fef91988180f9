/* ctr_logcfg.h: log drivers as docker (json-file, none) and podman (k8s-file, passthrough) have
 * them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "ctr_logcfg.h"
#include "util.h"

/* The drivers and the --log-opt keys each takes (docker's json-file keys that capsa honours;
 * path= is podman's k8s-file). */
static const struct
{
  const char *name;
  const char *keys[6];
} drivers[] = {
  { "json-file", { "max-size", "max-file", "labels", "env", NULL } },
  { "k8s-file", { "max-size", "max-file", "path", "labels", "env", NULL } },
  { "none", { NULL } },
  { "passthrough", { NULL } },
};

static int
driver_index (const char *name)
{
  for (size_t i = 0; i < ARRAY_SIZE (drivers); i++)
    if (strcmp (drivers[i].name, name) == 0)
      return (int) i;
  return -1;
}

static bool
key_known (int d, const char *key)
{
  for (const char *const *k = drivers[d].keys; *k; k++)
    if (strcmp (*k, key) == 0)
      return true;
  return false;
}

/* one KEY=VALUE of --log-opt, checked for driver d, into cfg */
static int
log_opt (int d, const char *kv, json_t *cfg, capsa_err **err)
{
  const char *eq = strchr (kv, '=');
  cleanup_free char *key = xstrdup (kv);
  if (eq)
    key[eq - kv] = '\0';
  int64_t n;
  if (eq == NULL || eq == kv)
    return capsa_fail_as (err, EINVAL, "--log-opt `%s`: expected KEY=VALUE", kv);
  if (!key_known (d, key))
    return capsa_fail_as (err, EINVAL, "unknown log opt '%s' for %s log driver", key, drivers[d].name);
  if (strcmp (key, "max-size") == 0 && parse_bytes (eq + 1) <= 0)
    return capsa_fail_as (err, EINVAL, "--log-opt max-size=%s: expected a size (10k, 5m, 1g)", eq + 1);
  if (strcmp (key, "max-file") == 0 && parse_i64 (eq + 1, 1, 1000, &n) < 0)
    return capsa_fail_as (err, EINVAL, "--log-opt max-file=%s: expected a number of files from 1 to 1000", eq + 1);
  if (strcmp (key, "path") == 0 && eq[1] != '/')
    return capsa_fail_as (err, EINVAL, "--log-opt path=%s: expected an absolute path", eq + 1);
  json_object_set_new (cfg, key, json_string (eq + 1));
  return 0;
}

int
ctr_log_config (const struct ctr_opts *o, json_t **out, capsa_err **err)
{
  const char *name = o->log_driver ? o->log_driver : "json-file";
  int d = driver_index (name);
  if (d < 0)
    return capsa_fail_as (
        err, EINVAL, "--log-driver `%s`: not a log driver capsa has (json-file, k8s-file, none, passthrough)", name);
  if (strcmp (name, "passthrough") == 0 && o->tty)
    return capsa_fail_as (err, EINVAL,
                          "--log-driver passthrough: not with a tty (-t), as podman: a tty's stdio "
                          "would be the caller's terminal (TIOCSTI)");
  cleanup_json json_t *cfg = json_object ();
  for (char **kv = o->log_opts; kv && *kv; kv++)
    {
      /* docker's --log-opt takes one KEY=VALUE; several joined by commas are taken too */
      cleanup_free char *copy = xstrdup (*kv);
      char *save = NULL;
      if (strchr (copy, '=') && strchr (copy, ',') && strncmp (copy, "labels=", 7) != 0
          && strncmp (copy, "env=", 4) != 0)
        {
          for (char *t = strtok_r (copy, ",", &save); t; t = strtok_r (NULL, ",", &save))
            if (log_opt (d, t, cfg, err) < 0)
              return -1;
        }
      else if (log_opt (d, *kv, cfg, err) < 0)
        return -1;
    }
  *out = json_pack ("{s:s, s:O}", "Type", name, "Config", cfg);
  return 0;
}

/* value of env var name in the container's Config.Env (borrowed), NULL when unset */
static const char *
env_value (json_t *env, const char *name)
{
  size_t i, n = strlen (name);
  json_t *v;
  json_array_foreach (env, i, v)
  {
    const char *s = json_string_value (v);
    if (s && strncmp (s, name, n) == 0 && s[n] == '=')
      return s + n + 1;
  }
  return NULL;
}

/* --log-opt labels=A,B and env=X,Y: the container's labels and variables of those names */
static json_t *
log_attrs (const struct ctr *c, json_t *cfg)
{
  json_t *conf = json_object_get (c->meta, "Config"), *out = json_object ();
  const char *lists[2] = { json_string_value (json_object_get (cfg, "labels")),
                           json_string_value (json_object_get (cfg, "env")) };
  for (int k = 0; k < 2; k++)
    {
      cleanup_free char *copy = lists[k] ? xstrdup (lists[k]) : NULL;
      char *save = NULL;
      for (char *t = copy ? strtok_r (copy, ",", &save) : NULL; t; t = strtok_r (NULL, ",", &save))
        {
          const char *v = k == 0 ? json_string_value (json_object_get (json_object_get (conf, "Labels"), t))
                                 : env_value (json_object_get (conf, "Env"), t);
          if (v)
            json_object_set_new (out, t, json_string (v));
        }
    }
  return out;
}

void
ctr_log_settings (const struct ctr *c, struct ctr_log_set *s)
{
  json_t *lc = json_object_get (json_object_get (c->meta, "HostConfig"), "LogConfig");
  json_t *cfg = json_object_get (lc, "Config");
  const char *type = json_string_value (json_object_get (lc, "Type"));
  const char *size = json_string_value (json_object_get (cfg, "max-size"));
  const char *files = json_string_value (json_object_get (cfg, "max-file"));
  const char *path = json_string_value (json_object_get (cfg, "path"));
  *s = (struct ctr_log_set){ .format = 'k' };
  if (type)
    s->format = strcmp (type, "json-file") == 0     ? 'j'
                : strcmp (type, "none") == 0        ? 'n'
                : strcmp (type, "passthrough") == 0 ? 'p'
                                                    : 'k';
  s->max = size ? parse_bytes (size) : 0;
  s->files = files ? atoi (files) : 0;
  s->path = path ? xstrdup (path) : xasprintf ("%s/ctr.log", c->dir);
  cleanup_json json_t *attrs = s->format == 'j' ? log_attrs (c, cfg) : NULL;
  if (attrs && json_object_size (attrs) > 0)
    s->attrs = json_dumps (attrs, JSON_COMPACT | JSON_SORT_KEYS);
}

void
ctr_log_set_free (struct ctr_log_set *s)
{
  free (s->path);
  free (s->attrs);
  s->path = s->attrs = NULL;
}

int
capsa_ctr_log_readable (const struct ctr *c, capsa_err **err)
{
  struct ctr_log_set s;
  ctr_log_settings (c, &s);
  char f = s.format;
  ctr_log_set_free (&s);
  if (f == 'n' || f == 'p')
    return capsa_fail_as (err, ENOTSUP, "configured logging driver does not support reading");
  return 0;
}

/* Go's url.QueryEscape of s, to f */
static void
query_escape (FILE *f, const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr ("-_.~", *p))
      fputc (*p, f);
    else if (*p == ' ')
      fputc ('+', f);
    else
      fprintf (f, "%%%02X", *p);
}

static int
key_cmp (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
capsa_ctr_log_details (const struct ctr *c)
{
  json_t *lc = json_object_get (json_object_get (c->meta, "HostConfig"), "LogConfig");
  cleanup_json json_t *attrs = log_attrs (c, json_object_get (lc, "Config"));
  size_t n = 0, len = 0;
  const char *key, **keys = xmalloc0 ((json_object_size (attrs) + 1) * sizeof *keys);
  json_t *v;
  char *out = NULL;
  FILE *f = open_memstream (&out, &len);
  if (f == NULL)
    abort ();
  json_object_foreach (attrs, key, v) keys[n++] = key;
  /* docker's: sorted by key, KEY=VALUE (both query-escaped) joined with commas */
  qsort (keys, n, sizeof *keys, key_cmp);
  for (size_t i = 0; i < n; i++)
    {
      fputs (i ? "," : "", f);
      query_escape (f, keys[i]);
      fputc ('=', f);
      query_escape (f, json_string_value (json_object_get (attrs, keys[i])));
    }
  fclose (f);
  free (keys);
  return out;
}
