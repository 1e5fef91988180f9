/* A container's changes to its image (`docker diff`, GET /containers/{id}/changes): the entries of
 * its overlay's upper directory, each Added (1), Modified (0: it is in a layer of the image too)
 * or Deleted (2: an overlay whiteout, a 0/0 character device), sorted by path as docker does. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/util.h"
#include "fsops.h"
#include "image.h"
#include "imgspec.h"
#include "jsonutil.h"
#include "util.h"

struct walk
{
  int *lowers; /* the image's layers, O_PATH */
  size_t n;
  json_t *out;
};

/* Whether rel is in a layer: resolved inside the layer as the container would see it (a layer's
 * symlink on the way, absolute or full of "..", never leads out to the host's files) */
static bool
in_lower (const struct walk *w, const char *rel)
{
  for (size_t i = 0; i < w->n; i++)
    {
      cleanup_close int fd = capsa_rootpath_open (w->lowers[i], rel, O_PATH | O_NOFOLLOW, NULL);
      if (fd >= 0)
        return true;
    }
  return false;
}

static int
visit (int child, const char *entry, const char *rel, void *arg, capsa_err **err)
{
  struct walk *w = arg;
  struct stat st;
  (void) entry;
  if (fstat (child, &st) < 0)
    return capsa_fail (err, errno, "changes: stat `%s`", rel);
  bool whiteout = S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0);
  int kind = whiteout ? 2 : in_lower (w, rel) ? 0 : 1;
  json_array_append_new (w->out, json_pack ("{s:s, s:i}", "Path", rel, "Kind", kind));
  if (S_ISDIR (st.st_mode))
    return fs_each_entry (child, rel, rel, visit, w, err);
  return 0;
}

static int
by_path (const void *a, const void *b, void *arg)
{
  (void) arg;
  return strcmp (jstr (*(json_t *const *) a, "Path"), jstr (*(json_t *const *) b, "Path"));
}

/* the image's layers opened (w->lowers) */
static int
open_lowers (struct capsa_engine *e, struct ctr *c, struct walk *w, capsa_err **err)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_image_config struct capsa_image_config ic = { 0 };
  const char *image = jstr (c->meta, "Image");
  if (capsa_store_open (e->root, &s, err) < 0 || capsa_image_config_load (s, image, image, &ic, err) < 0)
    return -1;
  w->lowers = xmalloc0 ((ic.n_diff_ids + 1) * sizeof *w->lowers);
  for (size_t i = 0; i < ic.n_diff_ids; i++)
    {
      cleanup_free char *p = capsa_store_layer_path (s, ic.diff_ids[i]);
      int fd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0)
        w->lowers[w->n++] = fd;
    }
  return 0;
}

int
capsa_ctr_changes (struct capsa_engine *e, struct ctr *c, json_t **out, capsa_err **err)
{
  cleanup_free char *upper = xasprintf ("%s/upper", c->dir); /* (image_rootfs.c's overlay layout) */
  struct walk w = { .out = json_array () };
  cleanup_close int ufd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int r = -1;
  if (ufd < 0)
    capsa_fail_as (err, EOPNOTSUPP, "changes of %s: its root is no overlay (a vfs copy): nothing to compare",
                   capsa_ctr_name (c));
  else if (open_lowers (e, c, &w, err) == 0)
    r = fs_each_entry (ufd, "", "", visit, &w, err);
  for (size_t i = 0; i < w.n; i++)
    close (w.lowers[i]);
  free (w.lowers);
  if (r < 0)
    {
      json_decref (w.out);
      return -1;
    }
  json_array_sort (w.out, by_path, NULL);
  *out = w.out;
  return 0;
}
