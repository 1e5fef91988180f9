/* Creating a container (capsa/engine.h): its id and name, its root filesystem mounted from the
 * image, the OCI bundle and the record (ctr.h's layout), all or nothing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctr.h"
#include "ctr_events.h"
#include "ctr_config.h"
#include "fault.h"
#include "image.h"
#include "image_rootfs.h"
#include "jsonutil.h"
#include "reference.h"
#include "util.h"

static void
random_name (char *buf, size_t len, const char *id, int attempt)
{
  static const char *adj[] = { "brave", "calm",   "eager", "fond",  "gentle", "happy",  "keen",  "lucid",
                               "merry", "nimble", "proud", "quiet", "sharp",  "tender", "vivid", "witty" };
  static const char *noun[] = { "ada",   "babbage",  "curie",   "dijkstra", "euler",   "fermi",   "gauss",  "hopper",
                                "knuth", "lovelace", "noether", "pascal",   "ritchie", "shannon", "turing", "wirth" };
  unsigned a = (unsigned) strtoul ((char[]){ id[0], id[1], 0 }, NULL, 16);
  unsigned b = (unsigned) strtoul ((char[]){ id[2], id[3], 0 }, NULL, 16);
  if (attempt == 0)
    snprintf (buf, len, "%s_%s", adj[a % 16], noun[b % 16]);
  else
    snprintf (buf, len, "%s_%s_%.6s", adj[a % 16], noun[b % 16], id + 4 + attempt);
}

/* The bundle's config.json and container.json. */
static int
write_record (struct capsa_engine *e, const char *id, const char *name, const char *rootfs, json_t *config,
              json_t *meta, capsa_err **err)
{
  cleanup_free char *nm = xasprintf ("/%s", name);
  json_object_set_new (meta, "Name", json_string (nm));
  cleanup_free char *dir = xasprintf ("%s/containers/%s", e->root, id);
  cleanup_free char *bundle = xasprintf ("%s/bundle", dir);
  cleanup_free char *drvp = xasprintf ("%s/driver", dir);
  cleanup_free char *drv = NULL;
  if (read_file_at (AT_FDCWD, drvp, &drv, NULL, NULL) == 0)
    json_object_set_new (meta, "Driver", json_string (drv));
  json_object_set_new (
      meta, "GraphDriver",
      json_pack ("{s:s, s:{s:s, s:s}}", "Name", drv ? drv : "overlay", "Data", "MergedDir", rootfs, "UpperDir", dir));
  /* 0711: a container root mapped to another host uid must be able to enter it (config.json
   * stays 0600) */
  if (mkdir (bundle, 0711) < 0)
    {
      capsa_fail (err, errno, "mkdir `%s`", bundle);
      return -1;
    }
  cleanup_free char *cs = json_dumps (config, JSON_INDENT (1));
  cleanup_free char *cp = xasprintf ("%s/config.json", bundle);
  if (write_file_replace_at (AT_FDCWD, cp, cs, strlen (cs), 0600, err) < 0 || ctr_meta_write (dir, meta, err) < 0)
    return -1;
  return 0;
}

/* Claim --name, or a random name (a few tries), for container id. */
static int
claim_name (struct capsa_engine *e, const struct ctr_opts *o, const char *id, char *name, size_t len, capsa_err **err)
{
  if (o->name)
    {
      snprintf (name, len, "%s", o->name);
      return ctr_name_reserve (e, name, id, err);
    }
  for (int attempt = 0;; attempt++)
    {
      cleanup_err capsa_err *ne = NULL;
      random_name (name, len, id, attempt);
      if (ctr_name_reserve (e, name, id, &ne) == 0)
        return 0;
      if (attempt == 7)
        {
          *err = take_ptr (&ne);
          return -1;
        }
    }
}

/* The image named `image` in the store (idx: its index): its id (*image_id, owned) and its config
 * (*imgcfg), checked by type before anything is made (a bad config leaves no container behind). */
static int
find_image (struct capsa_engine *e, struct capsa_store *s, json_t *idx, const char *image, char **image_id,
            json_t **imgcfg, capsa_err **err)
{
  json_t *img = capsa_image_find (idx, image, e->default_registry, NULL);
  if (img == NULL)
    {
      struct capsa_ref ref = { 0 };
      /* not an id nor a stored name: a malformed name says so (docker: "invalid reference format") */
      if (capsa_ref_parse (image, e->default_registry, &ref, err) < 0)
        return capsa_err_wrap (err, "invalid reference format");
      capsa_ref_free (&ref);
      return capsa_fail_as (err, ENOENT,
                            "image '%s' not found locally; pull it with `capsa pull %s` (or make one "
                            "with `capsa import`/`capsa load`)",
                            image, image);
    }
  *image_id = xstrdup (json_string_value (json_object_get (img, "id")));
  struct capsa_image_config ic;
  if (capsa_image_config_load (s, *image_id, image, &ic, err) < 0)
    return -1;
  *imgcfg = json_incref (ic.raw);
  capsa_image_config_free (&ic);
  return 0;
}

/* Mount the container's root filesystem from the image (*rootfs: where, owned). */
static int
mount_root (struct capsa_engine *e, struct capsa_store *s, const struct ctr_opts *o, const char *image_id,
            const char *id, char **rootfs, capsa_err **err)
{
  if (o->un && (o->un->new_ns || (o->un->path && o->un->uidmap)) && !e->rootless)
    {
      /* the shared layers seen through idmapped mounts: the container's root owns its image */
      cleanup_free char *um = ctr_userns_map_text (o->un->uidmap), *gm = ctr_userns_map_text (o->un->gidmap);
      return capsa_rootfs_mount_idmapped (s, image_id, id, e->default_registry, um, gm, rootfs, err);
    }
  return capsa_rootfs_mount (s, image_id, id, e->default_registry, CAPSA_ROOTFS_AUTO, rootfs, err);
}

/* Make the container: root filesystem, bundle, record; on failure, undo what was made. */
static int
prepare (struct capsa_engine *e, const struct ctr_opts *o, char *id, struct capsa_config **typed, capsa_err **err)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL, *imgcfg = NULL, *config = NULL, *meta = NULL;
  cleanup_free char *rootfs = NULL, *image_id = NULL;
  char name[96];
  bool named = false, mounted = false;

  capsa_ctr_new_id (id);
  if (capsa_store_open (e->root, &s, err) < 0 || capsa_index_read (s, &idx, err) < 0)
    return -1;
  /* held until the record is complete: ps/rm/prune tell this creation from a dead one by it */
  int lock = ctr_creating_lock (e, id, err);
  if (lock < 0)
    return -1;
  int r = find_image (e, s, idx, o->image, &image_id, &imgcfg, err);
  if (r == 0 && (r = claim_name (e, o, id, name, sizeof name, err)) == 0)
    {
      named = true;
      capsa_fault_point ("cli:claimed");
      r = mount_root (e, s, o, image_id, id, &rootfs, err);
    }
  if (r == 0)
    {
      mounted = true;
      capsa_fault_point ("cli:mounted");
      r = ctr_build (e, o, id, rootfs, image_id, imgcfg, &config, &meta, err);
    }
  if (r == 0)
    r = write_record (e, id, name, rootfs, config, meta, err);
  if (r == 0 && typed)
    cfg_parse_json (config, "config.json", typed, NULL); /* (NULL when it does not parse: the runtime
                                                          * then reads the file and says why) */
  if (r < 0)
    {
      cleanup_err capsa_err *ue = NULL;
      if (mounted)
        capsa_rootfs_unmount (s, id, &ue);
      if (named)
        ctr_name_release (e, name, id);
    }
  ctr_creating_done (e, id, lock);
  return r < 0 ? -1 : 0;
}

int
capsa_ctr_create (struct capsa_engine *e, struct ctr_opts *o, char *id, struct capsa_config **typed, capsa_err **err)
{
  struct ctr_userns un = { .lockfd = -1 };
  if (ctr_userns_resolve (e, o, &un, err) < 0)
    {
      ctr_userns_free (&un);
      return -1;
    }
  o->un = &un;
  int r = prepare (e, o, id, typed, err);
  ctr_userns_free (&un); /* (the auto range is recorded now: its lock can go) */
  o->un = NULL;
  if (r == 0)
    ctr_event_by_id (e, id, "create", NULL, NULL);
  return r;
}
