/* Image references: see reference.h. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "digest.h"
#include "reference.h"
#include "util.h"

static bool
valid_repo (const char *s)
{
  /* path components of [a-z0-9] separated by [._-], joined by / */
  bool at_start = true;
  if (*s == '\0' || strlen (s) > 255)
    return false;
  for (const char *p = s; *p; p++)
    {
      bool alnum = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9');
      if (alnum)
        at_start = false;
      else if (*p == '.' || *p == '_' || *p == '-')
        {
          if (at_start)
            return false;
        }
      else if (*p == '/')
        {
          if (at_start || p[1] == '\0')
            return false;
          at_start = true;
        }
      else
        return false;
    }
  return !at_start;
}

static bool
valid_tag (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || n > 128 || s[0] == '.' || s[0] == '-')
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '_' && *p != '.' && *p != '-')
      return false;
  return true;
}

static bool
valid_host (const char *s)
{
  if (*s == '\0')
    return false;
  for (const char *p = s; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '.' && *p != '-' && *p != ':' && *p != '[' && *p != ']')
      return false;
  return true;
}

int
capsa_ref_parse (const char *s, const char *default_registry, struct capsa_ref *r, capsa_err **err)
{
  cleanup_free char *copy = xstrdup (s);
  char *name = copy, *at, *slash, *colon;

  memset (r, 0, sizeof *r);
  if (default_registry == NULL || *default_registry == '\0')
    default_registry = CAPSA_DEFAULT_REGISTRY;
  if (*s == '\0')
    return capsa_fail_as (err, EINVAL, "invalid reference ``: empty image name");
  at = strchr (name, '@');
  if (at)
    {
      *at = '\0';
      if (!capsa_digest_valid (at + 1))
        return capsa_fail_as (err, EINVAL, "invalid reference `%s`: bad digest `%s` (sha256:<64 hex digits>)", s,
                              at + 1);
      r->digest = xstrdup (at + 1);
    }
  slash = strchr (name, '/');
  if (slash
      && (memchr (name, '.', (size_t) (slash - name)) || memchr (name, ':', (size_t) (slash - name))
          || strncmp (name, "localhost/", 10) == 0))
    {
      *slash = '\0';
      if (!valid_host (name))
        return capsa_fail_as (err, EINVAL, "invalid reference `%s`: bad registry `%s`", s, name);
      r->registry = xstrdup (name);
      name = slash + 1;
    }
  else
    r->registry = xstrdup (default_registry);
  slash = strrchr (name, '/');
  colon = strrchr (slash ? slash : name, ':');
  if (colon)
    {
      *colon = '\0';
      if (!valid_tag (colon + 1))
        {
          capsa_ref_free (r);
          return capsa_fail_as (err, EINVAL, "invalid reference `%s`: bad tag `%s`", s, colon + 1);
        }
      r->tag = xstrdup (colon + 1);
    }
  if (!valid_repo (name))
    {
      bool upper = false;
      for (const char *p = name; *p; p++)
        upper |= isupper ((unsigned char) *p) != 0;
      capsa_ref_free (r);
      return capsa_fail_as (err, EINVAL, "invalid reference `%s`: %s", s,
                            upper ? "repository name must be lowercase"
                                  : "repository names are lowercase letters, digits and . _ - separated by /");
    }
  if (strcmp (r->registry, "docker.io") == 0 && strchr (name, '/') == NULL)
    r->repo = xasprintf ("library/%s", name);
  else
    r->repo = xstrdup (name);
  if (r->tag == NULL && r->digest == NULL)
    r->tag = xstrdup ("latest");
  return 0;
}

void
capsa_ref_free (struct capsa_ref *r)
{
  free (r->registry);
  free (r->repo);
  free (r->tag);
  free (r->digest);
  memset (r, 0, sizeof *r);
}

char *
capsa_ref_name (const struct capsa_ref *r)
{
  return xasprintf ("%s/%s", r->registry, r->repo);
}

char *
capsa_ref_string (const struct capsa_ref *r)
{
  if (r->tag)
    return xasprintf ("%s/%s:%s", r->registry, r->repo, r->tag);
  return xasprintf ("%s/%s@%s", r->registry, r->repo, r->digest);
}

char *
capsa_ref_familiar (const char *full, const char *default_registry)
{
  if (default_registry == NULL || *default_registry == '\0')
    default_registry = CAPSA_DEFAULT_REGISTRY;
  size_t n = strlen (default_registry);
  if (strncmp (full, default_registry, n) == 0 && full[n] == '/')
    {
      const char *rest = full + n + 1;
      if (strcmp (default_registry, "docker.io") == 0 && strncmp (rest, "library/", 8) == 0
          && strchr (rest + 8, '/') == NULL)
        rest += 8;
      return xstrdup (rest);
    }
  return xstrdup (full);
}
