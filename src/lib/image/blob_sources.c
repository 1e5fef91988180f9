/* Where blobs are known to be in registries: see blob_sources.h. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "blob_sources.h"
#include "cleanup.h"
#include "jsonutil.h"
#include "util.h"

#define SOURCES_FILE "blob-sources.json"

/* The record, {} when there is none yet or it is unreadable (it is only a hint). */
static json_t *
sources_read (struct capsa_store *s)
{
  cleanup_free char *buf = NULL;
  cleanup_err capsa_err *e = NULL;
  size_t len;
  json_t *j = read_file_at (s->rootfd, SOURCES_FILE, &buf, &len, &e) == 0 ? json_loadb (buf, len, 0, NULL) : NULL;
  if (json_is_object (j))
    return j;
  json_decref (j);
  return json_object ();
}

/* Put `where` first in the list of `digest`, keeping at most BLOB_SOURCES_MAX. */
static void
sources_put (json_t *all, const char *digest, const char *where)
{
  json_t *list = json_object_get (all, digest);
  if (!json_is_array (list))
    {
      list = json_array ();
      json_object_set_new (all, digest, list);
    }
  json_strarray_remove (list, where);
  json_array_insert_new (list, 0, json_string (where));
  while (json_array_size (list) > BLOB_SOURCES_MAX)
    json_array_remove (list, json_array_size (list) - 1);
}

int
blob_sources_add (struct capsa_store *s, const char *registry, const char *repo, const char *const *digests, size_t n,
                  capsa_err **err)
{
  if (n == 0)
    return 0;
  cleanup_close int lock = capsa_store_lock_index (s, err);
  if (lock < 0)
    return -1;
  cleanup_json json_t *all = sources_read (s);
  cleanup_free char *where = xasprintf ("%s/%s", registry, repo);
  for (size_t i = 0; i < n; i++)
    if (digests[i])
      sources_put (all, digests[i], where);
  cleanup_free char *buf = json_dumps (all, JSON_COMPACT | JSON_SORT_KEYS);
  if (buf == NULL)
    return capsa_fail_as (err, ENOMEM, "serialize the blob sources");
  if (write_file_atomic_at (s->rootfd, SOURCES_FILE, buf, strlen (buf), 0600, err) < 0)
    return capsa_err_wrap (err, "record where blobs are in `%s/%s`", s->root, SOURCES_FILE);
  return 0;
}

char *
blob_sources_find (struct capsa_store *s, const char *digest, const char *registry, const char *not_repo)
{
  cleanup_json json_t *all = sources_read (s);
  size_t plen = strlen (registry), i;
  json_t *v;
  json_array_foreach (json_object_get (all, digest), i, v)
  {
    const char *w = json_string_value (v);
    if (w && strncmp (w, registry, plen) == 0 && w[plen] == '/' && strcmp (w + plen + 1, not_repo) != 0)
      return xstrdup (w + plen + 1);
  }
  return NULL;
}
