/* Container roots from images: see image_rootfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "fsops.h"
#include "image.h"
#include "idmap.h"
#include "image_rootfs.h"
#include "util.h"

static bool
valid_id (const char *id)
{
  size_t n = strlen (id);
  if (n == 0 || n > 128 || id[0] == '.' || id[0] == '-')
    return false;
  return strspn (id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* The image's diff ids, bottom layer first (owned strv), from its config checked by type. */
static int
image_layers (struct capsa_store *s, const char *image, const char *default_registry, char **id_out, char ***diffids,
              capsa_err **err)
{
  json_t *idx = NULL;
  struct capsa_image_config c;
  int r = -1;

  if (capsa_index_read (s, &idx, err) < 0)
    return -1;
  json_t *img = capsa_image_find (idx, image, default_registry, err);
  const char *id = img ? json_string_value (json_object_get (img, "id")) : NULL;
  if (img && capsa_image_config_load (s, id ? id : "", image, &c, err) == 0)
    {
      *id_out = xstrdup (id);
      *diffids = xmalloc0 (sizeof (char *));
      for (size_t i = 0; i < c.n_diff_ids; i++)
        strv_append (diffids, c.diff_ids[i]);
      capsa_image_config_free (&c);
      r = 0;
    }
  json_decref (idx);
  return r;
}

/* ---- idmapped lower dirs ------------------------------------------------------------------ */

/* A user namespace with the container's mappings (dir/uid_map, dir/gid_map), for
 * MOUNT_ATTR_IDMAP (idmap.h). */
static int
idmap_userns (const char *dir, capsa_err **err)
{
  cleanup_free char *uidp = xasprintf ("%s/uid_map", dir), *gidp = xasprintf ("%s/gid_map", dir);
  cleanup_free char *um = NULL, *gm = NULL;
  if (read_file_at (AT_FDCWD, uidp, &um, NULL, err) < 0 || read_file_at (AT_FDCWD, gidp, &gm, NULL, err) < 0)
    return -1;
  return idmap_userns_fd (um, gm, err);
}

/* Mount layer `src` idmapped through usernsfd at `dst` (made). */
static int
idmap_layer (const char *src, const char *dst, int usernsfd, capsa_err **err)
{
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) usernsfd };
  if (mkdir (dst, 0755) < 0 && errno != EEXIST)
    return capsa_fail (err, errno, "mkdir `%s`", dst);
  cleanup_close int t = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (t < 0)
    return capsa_fail (err, errno, "open_tree `%s`", src);
  if (mount_setattr (t, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    return capsa_fail (err, errno,
                       "idmap the layer `%s` (mount_setattr MOUNT_ATTR_IDMAP: needs Linux 5.12+ and "
                       "a filesystem with idmapped mounts)",
                       src);
  if (move_mount (t, "", AT_FDCWD, dst, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return capsa_fail (err, errno, "attach the idmapped layer at `%s`", dst);
  return 0;
}

/* Detach and remove dir/idmapped/N: the overlay holds its own references to the layers. */
static void
idmap_cleanup (const char *dir, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *p = xasprintf ("%s/idmapped/%zu", dir, i);
      umount2 (p, MNT_DETACH | UMOUNT_NOFOLLOW);
      rmdir (p);
    }
  cleanup_free char *p = xasprintf ("%s/idmapped", dir);
  rmdir (p);
}

/* The host id of container id 0 in dir/FILE ("CONTAINER HOST SIZE" lines); 0 when none. */
static unsigned long
map_root (const char *dir, const char *file)
{
  cleanup_free char *p = xasprintf ("%s/%s", dir, file);
  long long h = capsa_store_map_root (AT_FDCWD, p);
  return h > 0 ? (unsigned long) h : 0;
}

static int mount_overlay_layers (struct capsa_store *s, const char *dir, char **layers, int usernsfd, capsa_err **err);

/* Overlay root in dir/merged; idmapped lower dirs when dir/uid_map is there. */
static int
mount_overlay (struct capsa_store *s, const char *dir, char **layers, capsa_err **err)
{
  cleanup_free char *uidp = xasprintf ("%s/uid_map", dir);
  if (access (uidp, F_OK) < 0)
    return mount_overlay_layers (s, dir, layers, -1, err);
  cleanup_close int usernsfd = idmap_userns (dir, err);
  if (usernsfd < 0)
    return -1;
  int r = mount_overlay_layers (s, dir, layers, usernsfd, err);
  idmap_cleanup (dir, strv_len (layers));
  return r;
}

static int
mount_overlay_layers (struct capsa_store *s, const char *dir, char **layers, int usernsfd, capsa_err **err)
{
  static const char *subs[] = { "upper", "work", "merged" };
  size_t n = strv_len (layers), cap = 64, used = 0;
  cleanup_free char *lower = xmalloc0 (cap);
  if (usernsfd >= 0)
    {
      cleanup_free char *p = xasprintf ("%s/idmapped", dir);
      if (mkdir (p, 0700) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", p);
    }
  for (size_t i = n; i-- > 0;)
    {
      if (!capsa_store_layer_is_overlay (s, layers[i]))
        return capsa_fail_as (err, ENOTSUP, "layer %s keeps OCI whiteouts (it was unpacked without privilege)",
                              layers[i]);
      cleanup_free char *p = capsa_store_layer_path (s, layers[i]);
      if (usernsfd >= 0)
        {
          cleanup_free char *m = xasprintf ("%s/idmapped/%zu", dir, i);
          if (idmap_layer (p, m, usernsfd, err) < 0)
            return -1;
          free (p);
          p = take_ptr (&m);
        }

      size_t need = used + strlen (p) + 2;
      if (need > cap)
        lower = xrealloc (lower, cap = need * 2);
      used += (size_t) sprintf (lower + used, "%s%s", used ? ":" : "", p);
    }
  if (n == 0)
    {
      /* overlayfs needs a lower dir: an empty one */
      free (lower);
      lower = xasprintf ("%s/empty", dir);
      if (mkdir (lower, 0755) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", lower);
    }
  for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
    {
      cleanup_free char *p = xasprintf ("%s/%s", dir, subs[i]);
      if (mkdir (p, 0755) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", p);
      /* the upper dir holds host ids: its top is the container's root */
      if (usernsfd >= 0 && i == 0
          && chown (p, (uid_t) map_root (dir, "uid_map"), (gid_t) map_root (dir, "gid_map")) < 0)
        return capsa_fail (err, errno, "chown `%s`", p);
    }
  cleanup_free char *opts = xasprintf ("lowerdir=%s,upperdir=%s/upper,workdir=%s/work", lower, dir, dir);
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  if ((long) strlen (opts) >= sysconf (_SC_PAGESIZE) - 1)
    return capsa_fail_as (err, E2BIG, "the image has too many layers (%zu) for overlayfs's mount options", n);
  if (mount ("overlay", merged, "overlay", 0, opts) < 0)
    return capsa_fail (err, errno, "mount overlayfs on `%s`", merged);
  return 0;
}

static int
copy_vfs (struct capsa_store *s, const char *dir, char **layers, capsa_err **err)
{
  cleanup_free char *root = xasprintf ("%s/rootfs", dir);
  if (mkdir (root, 0755) < 0 && errno != EEXIST)
    return capsa_fail (err, errno, "mkdir `%s`", root);
  cleanup_close int dst = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dst < 0)
    return capsa_fail (err, errno, "open `%s`", root);
  for (size_t i = 0; layers[i]; i++)
    {
      cleanup_free char *p = capsa_store_layer_path (s, layers[i]);
      cleanup_close int src = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (src < 0)
        return capsa_fail (err, errno, "open layer `%s`", p);
      if (fs_copy_layer (src, dst, err) < 0)
        return capsa_err_wrap (err, "copy layer %s", layers[i]);
    }
  return 0;
}

static int
make_root (struct capsa_store *s, const char *dir, char **layers, enum capsa_rootfs_driver driver, const char **used,
           capsa_err **err)
{
  if (driver != CAPSA_ROOTFS_VFS)
    {
      cleanup_err capsa_err *oerr = NULL;
      if (mount_overlay (s, dir, layers, &oerr) == 0)
        {
          *used = "overlay";
          return 0;
        }
      if (driver == CAPSA_ROOTFS_OVERLAY)
        {
          *err = take_ptr (&oerr);
          return -1;
        }
      /* fall back to a copy: clean what the overlay attempt made */
      static const char *subs[] = { "upper", "work", "merged", "empty" };
      for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
        {
          cleanup_free char *p = xasprintf ("%s/%s", dir, subs[i]);
          cleanup_err capsa_err *ignored = NULL;
          fs_rm_rf (p, &ignored);
        }
    }
  *used = "vfs";
  return copy_vfs (s, dir, layers, err);
}

static int rootfs_mount (struct capsa_store *s, const char *image, const char *id, const char *default_registry,
                         enum capsa_rootfs_driver driver, const char *uid_map, const char *gid_map, char **path_out,
                         capsa_err **err);

int
capsa_rootfs_mount (struct capsa_store *s, const char *image, const char *id, const char *default_registry,
                    enum capsa_rootfs_driver driver, char **path_out, capsa_err **err)
{
  return rootfs_mount (s, image, id, default_registry, driver, NULL, NULL, path_out, err);
}

int
capsa_rootfs_mount_idmapped (struct capsa_store *s, const char *image, const char *id, const char *default_registry,
                             const char *uid_map, const char *gid_map, char **path_out, capsa_err **err)
{
  return rootfs_mount (s, image, id, default_registry, CAPSA_ROOTFS_OVERLAY, uid_map, gid_map, path_out, err);
}

static int
rootfs_mount (struct capsa_store *s, const char *image, const char *id, const char *default_registry,
              enum capsa_rootfs_driver driver, const char *uid_map, const char *gid_map, char **path_out,
              capsa_err **err)
{

  cleanup_free char *image_id = NULL;
  cleanup_strv char **layers = NULL;
  const char *used = NULL;

  if (!valid_id (id))
    return capsa_fail_as (err, EINVAL, "invalid container id `%s` (letters, digits, `_`, `.` and `-`)", id);
  if (capsa_store_lock_gc (s, false, err) < 0)
    return -1;
  if (image_layers (s, image, default_registry, &image_id, &layers, err) < 0)
    return -1;
  cleanup_free char *dir = xasprintf ("%s/containers/%s", s->root, id);
  if (mkdir (dir, 0700) < 0)
    {
      if (errno == EEXIST)
        return capsa_fail_as (err, EEXIST, "container `%s` already has a root filesystem (`%s`)", id, dir);
      return capsa_fail (err, errno, "mkdir `%s`", dir);
    }
  /* Not fsynced (write_file_replace_at): these describe a container whose own records
   * (container.json, the bundle) are not fsynced either, and two fsyncs were ~1 ms of every
   * `capsa run`.  A crash loses the container's files together, and its mount with them. */
  cleanup_free char *imgfile = xasprintf ("%s/image", dir);
  cleanup_free char *uidfile = xasprintf ("%s/uid_map", dir), *gidfile = xasprintf ("%s/gid_map", dir);
  if (write_file_replace_at (AT_FDCWD, imgfile, image_id, strlen (image_id), 0644, err) < 0
      || (uid_map && write_file_replace_at (AT_FDCWD, uidfile, uid_map, strlen (uid_map), 0644, err) < 0)
      || (gid_map && write_file_replace_at (AT_FDCWD, gidfile, gid_map, strlen (gid_map), 0644, err) < 0)
      /* what the container writes (setuid files, devices) is for no other host user: private,
       * but passable for its root when it has one of its own (store.h) */
      || capsa_store_private_dir (AT_FDCWD, dir, uid_map != NULL, (gid_t) map_root (dir, "gid_map"), err) < 0
      || make_root (s, dir, layers, driver, &used, err) < 0)
    {
      cleanup_err capsa_err *ignored = NULL;
      fs_rm_rf (dir, &ignored);
      return capsa_err_wrap (err, "root filesystem of `%s` from image %s", id, image);
    }
  cleanup_free char *drvfile = xasprintf ("%s/driver", dir);
  cleanup_err capsa_err *ignored = NULL;
  write_file_replace_at (AT_FDCWD, drvfile, used, strlen (used), 0644, &ignored);
  *path_out = xasprintf ("%s/%s", dir, strcmp (used, "overlay") == 0 ? "merged" : "rootfs");
  capsa_store_unlock_gc (s);
  return 0;
}

int
capsa_rootfs_unmount (struct capsa_store *s, const char *id, capsa_err **err)
{
  struct stat st;
  if (!valid_id (id))
    return capsa_fail_as (err, EINVAL, "invalid container id `%s`", id);
  cleanup_free char *dir = xasprintf ("%s/containers/%s", s->root, id);
  if (stat (dir, &st) < 0)
    return capsa_fail_as (err, ENOENT, "container `%s` has no root filesystem here (`%s`)", id, dir);
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  if (umount2 (merged, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
    {
      if (errno != EBUSY || umount2 (merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0)
        return capsa_fail (err, errno, "unmount `%s`", merged);
    }
  if (fs_rm_rf (dir, err) < 0)
    return capsa_err_wrap (err, "remove the root filesystem of `%s`", id);
  return 0;
}

/* The driver container `id` was given ("overlay" or "vfs"; owned). */
static char *
root_driver (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/driver", dir);
  char *buf = NULL;
  if (read_file_at (AT_FDCWD, p, &buf, NULL, NULL) < 0)
    return NULL;
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

static bool
is_mounted (const char *dir, const char *sub)
{
  struct stat a, b;
  cleanup_free char *p = xasprintf ("%s/%s", dir, sub);
  return stat (dir, &a) == 0 && stat (p, &b) == 0 && a.st_dev != b.st_dev;
}

int
capsa_rootfs_release (struct capsa_store *s, const char *id, capsa_err **err)
{
  if (!valid_id (id))
    return capsa_fail_as (err, EINVAL, "invalid container id `%s`", id);
  cleanup_free char *dir = xasprintf ("%s/containers/%s", s->root, id);
  cleanup_free char *drv = root_driver (dir);
  if (drv == NULL || strcmp (drv, "overlay") != 0 || !is_mounted (dir, "merged"))
    return 0;
  cleanup_free char *merged = xasprintf ("%s/merged", dir);
  if (umount2 (merged, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL
      && (errno != EBUSY || umount2 (merged, MNT_DETACH | UMOUNT_NOFOLLOW) < 0))
    return capsa_fail (err, errno, "unmount `%s`", merged);
  return 0;
}

int
capsa_rootfs_remount (struct capsa_store *s, const char *id, capsa_err **err)
{
  if (!valid_id (id))
    return capsa_fail_as (err, EINVAL, "invalid container id `%s`", id);
  cleanup_free char *dir = xasprintf ("%s/containers/%s", s->root, id);
  cleanup_free char *drv = root_driver (dir);
  if (drv == NULL || strcmp (drv, "overlay") != 0 || is_mounted (dir, "merged"))
    return 0;
  cleanup_free char *imgp = xasprintf ("%s/image", dir);
  cleanup_free char *image = NULL;
  cleanup_free char *image_id = NULL;
  cleanup_strv char **layers = NULL;
  if (read_file_at (AT_FDCWD, imgp, &image, NULL, err) < 0)
    return -1;
  image[strcspn (image, "\n")] = '\0';
  if (capsa_store_lock_gc (s, false, err) < 0)
    return -1;
  int r = image_layers (s, image, "docker.io", &image_id, &layers, err);
  if (r == 0)
    r = mount_overlay (s, dir, layers, err);
  capsa_store_unlock_gc (s);
  return r < 0 ? capsa_err_wrap (err, "mount the root filesystem of `%s` again", id) : 0;
}
