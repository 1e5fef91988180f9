/* Registry configuration and saved credentials: see registry.h and auth.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "auth.h"
#include "digest.h"
#include "reference.h"
#include "registry.h"
#include "jsonutil.h"
#include "util.h"


static const char *
config_home (char *buf, size_t len)
{
  const char *xdg = getenv ("XDG_CONFIG_HOME");
  const char *home = getenv ("HOME");
  if (xdg && *xdg)
    snprintf (buf, len, "%s", xdg);
  else
    snprintf (buf, len, "%s/.config", home && *home ? home : "/root");
  return buf;
}

/* Load a JSON file; 1 when it does not exist. */
static int
load_json (const char *path, json_t **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  json_error_t je;
  cleanup_err capsa_err *e = NULL;

  if (read_file_at (AT_FDCWD, path, &buf, &len, &e) < 0)
    {
      if (e->errnum == ENOENT)
        return 1;
      return capsa_fail (err, e->errnum, "read `%s`", path);
    }
  *out = json_loadb (buf, len, 0, &je);
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
  if (path == NULL && getenv ("CAPSA_REGISTRIES_CONF"))
    {
      path = getenv ("CAPSA_REGISTRIES_CONF");
      explicit_path = true;
    }
  if (path == NULL)
    {
      if (geteuid () == 0)
        path = "/etc/capsa/registries.json";
      else
        {
          snprintf (buf, sizeof buf, "%s/capsa/registries.json", config_home (home, sizeof home));
          path = buf;
        }
    }
  int r = load_json (path, &conf, err);
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
      return capsa_fail_as (err, EINVAL, "registries config `%s`: insecure-registries[%zu] must be a string", path,
                            i);
    strv_append (insecure, json_string_value (v));
  }
  return 0;
}

const char *
capsa_auth_file_default (void)
{
  static char buf[PATH_MAX + 32];
  char home[PATH_MAX];
  if (getenv ("CAPSA_AUTH_FILE") && *getenv ("CAPSA_AUTH_FILE"))
    return getenv ("CAPSA_AUTH_FILE");
  snprintf (buf, sizeof buf, "%s/capsa/auth.json", config_home (home, sizeof home));
  return buf;
}

/* "https://index.docker.io/v1/" -> "docker.io"; "host:5000/" -> "host:5000". */
static char *
normalize_key (const char *key)
{
  const char *p = key;
  if (strncmp (p, "https://", 8) == 0)
    p += 8;
  else if (strncmp (p, "http://", 7) == 0)
    p += 7;
  char *r = xstrdup (p);
  r[strcspn (r, "/")] = '\0';
  if (strcmp (r, "index.docker.io") == 0 || strcmp (r, "registry-1.docker.io") == 0)
    {
      free (r);
      r = xstrdup ("docker.io");
    }
  return r;
}

static int
lookup_in (const char *path, const char *registry, char **user, char **password, capsa_err **err)
{
  cleanup_json json_t *conf = NULL;
  cleanup_free char *want = normalize_key (registry);
  const char *key;
  json_t *v;

  int r = load_json (path, &conf, err);
  if (r != 0)
    return r;
  json_object_foreach (json_object_get (conf, "auths"), key, v)
  {
    cleanup_free char *k = normalize_key (key);
    if (strcmp (k, want) != 0)
      continue;
    const char *auth = json_string_value (json_object_get (v, "auth"));
    if (auth == NULL || *auth == '\0')
      {
        /* docker's credential helpers ("credsStore") are not supported */
        continue;
      }
    cleanup_free char *dec = capsa_base64_decode (auth, NULL);
    char *colon = dec ? strchr (dec, ':') : NULL;
    if (colon == NULL)
      return capsa_fail_as (err, EINVAL, "`%s`: the \"auth\" of `%s` is not base64 of user:password", path, key);
    *colon = '\0';
    *user = xstrdup (dec);
    *password = xstrdup (colon + 1);
    return 0;
  }
  return 1;
}

int
capsa_auth_lookup (const char *authfile, const char *registry, char **user, char **password, capsa_err **err)
{
  char buf[PATH_MAX];
  const char *dc = getenv ("DOCKER_CONFIG"), *home = getenv ("HOME");

  int r = lookup_in (authfile ? authfile : capsa_auth_file_default (), registry, user, password, err);
  if (r != 1)
    return r;
  if (dc && *dc)
    snprintf (buf, sizeof buf, "%s/config.json", dc);
  else
    snprintf (buf, sizeof buf, "%s/.docker/config.json", home && *home ? home : "/root");
  return lookup_in (buf, registry, user, password, err);
}

static int
save_auths (const char *path, json_t *conf, capsa_err **err)
{
  cleanup_free char *dir = xstrdup (path);
  char *slash = strrchr (dir, '/');
  if (slash && slash != dir)
    {
      *slash = '\0';
      if (mkdir_p (dir, 0700, err) < 0)
        return -1;
    }
  cleanup_free char *buf = json_dumps (conf, JSON_INDENT (1) | JSON_SORT_KEYS);
  if (write_file_atomic_at (AT_FDCWD, path, buf, strlen (buf), 0600, err) < 0)
    return capsa_err_wrap (err, "save credentials");
  return 0;
}

int
auth_save (const char *authfile, const char *registry, const char *user, const char *password, capsa_err **err)
{
  const char *path = authfile ? authfile : capsa_auth_file_default ();
  cleanup_json json_t *conf = NULL;
  cleanup_free char *key = normalize_key (registry);

  int r = load_json (path, &conf, err);
  if (r < 0)
    return -1;
  if (r == 1)
    conf = json_object ();
  if (!json_is_object (json_object_get (conf, "auths")))
    json_object_set_new (conf, "auths", json_object ());
  cleanup_free char *pair = xasprintf ("%s:%s", user, password);
  cleanup_free char *enc = capsa_base64_encode (pair, strlen (pair));
  json_object_set_new (json_object_get (conf, "auths"), key, json_pack ("{s:s}", "auth", enc));
  return save_auths (path, conf, err);
}

int
capsa_logout (const char *registry, const struct capsa_registry_opts *o, capsa_err **err)
{
  const char *path = o->authfile ? o->authfile : capsa_auth_file_default ();
  cleanup_json json_t *conf = NULL;
  cleanup_free char *want = normalize_key (registry);
  const char *key;
  json_t *v;
  void *tmp;
  bool found = false;

  int r = load_json (path, &conf, err);
  if (r != 0)
    return r;
  json_t *auths = json_object_get (conf, "auths");
  json_object_foreach_safe (auths, tmp, key, v)
  {
    cleanup_free char *k = normalize_key (key);
    if (strcmp (k, want) == 0)
      {
        json_object_del (auths, key);
        found = true;
      }
  }
  if (!found)
    return 1;
  return save_auths (path, conf, err);
}
