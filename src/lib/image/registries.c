/* The registries config (capsa_registries_conf_load, registry.h) and the small file helpers the
 * credentials code (auth.c) shares with it.  In the core library: every command needs the default
 * registry to name images, but only the image commands need the registry client (libcurl). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "hostenv.h"
#include "reference.h"
#include "registry.h"
#include "jsonutil.h"
#include "util.h"

const char *
registries_config_home (char *buf, size_t len)
{
  const char *xdg = capsa_host_env ()->xdg_config_home;
  const char *home = capsa_host_env ()->home;
  if (xdg && *xdg)
    snprintf (buf, len, "%s", xdg);
  else
    snprintf (buf, len, "%s/.config", home && *home ? home : "/root");
  return buf;
}

int
registries_load_json (const char *path, json_t **out, capsa_err **err)
{
  json_error_t je;
  int r = json_read_file_at (AT_FDCWD, path, path, out, &je, err);
  if (r != 0)
    return r;
  if (*out == NULL || !json_is_object (*out))
    return capsa_fail_as (err, EINVAL, "`%s`: invalid JSON: %s (line %d)", path, *out ? "not an object" : je.text,
                          je.line);
  return 0;
}

int
capsa_registries_conf_load (const char *path, char **default_registry, char ***insecure, capsa_err **err)
{
  char buf[PATH_MAX + 32], home[PATH_MAX];
  cleanup_json json_t *conf = NULL;
  bool explicit_path = path != NULL;

  *default_registry = xstrdup (CAPSA_DEFAULT_REGISTRY);
  if (path == NULL && capsa_host_env ()->registries_conf)
    {
      path = capsa_host_env ()->registries_conf;
      explicit_path = true;
    }
  if (path == NULL)
    {
      if (geteuid () == 0)
        path = "/etc/capsa/registries.json";
      else
        {
          snprintf (buf, sizeof buf, "%s/capsa/registries.json", registries_config_home (home, sizeof home));
          path = buf;
        }
    }
  int r = registries_load_json (path, &conf, err);
  if (r < 0)
    return -1;
  if (r == 1)
    return explicit_path ? capsa_fail (err, ENOENT, "registries config `%s`", path) : 0;
  json_t *d = json_object_get (conf, "default-registry");
  if (d && !json_is_string (d))
    return capsa_fail_as (err, EINVAL, "registries config `%s`: \"default-registry\" must be a string", path);
  if (d)
    {
      free (*default_registry);
      *default_registry = xstrdup (json_string_value (d));
    }
  json_t *list = json_object_get (conf, "insecure-registries"), *v;
  size_t i;
  if (list && !json_is_array (list))
    return capsa_fail_as (err, EINVAL, "registries config `%s`: \"insecure-registries\" must be a list", path);
  json_array_foreach (list, i, v)
  {
    if (!json_is_string (v))
      return capsa_fail_as (err, EINVAL, "registries config `%s`: insecure-registries[%zu] must be a string", path, i);
    strv_append (insecure, json_string_value (v));
  }
  return 0;
}
