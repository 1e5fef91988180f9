/* Saved registry credentials: see registry.h and auth.h (the registries config is registries.c). */
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
#include "hostenv.h"
#include "reference.h"
#include "registry.h"
#include "jsonutil.h"
#include "util.h"

const char *
capsa_auth_file_default (void)
{
  static char buf[PATH_MAX + 32];
  char home[PATH_MAX];
  const char *env = capsa_host_env ()->auth_file;
  if (env && *env)
    return env;
  snprintf (buf, sizeof buf, "%s/capsa/auth.json", registries_config_home (home, sizeof home));
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

  int r = registries_load_json (path, &conf, err);
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
  const char *dc = capsa_host_env ()->docker_config, *home = capsa_host_env ()->home;

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

  int r = registries_load_json (path, &conf, err);
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

  int r = registries_load_json (path, &conf, err);
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
