/* The spec builder (ctr_config.c) and the user namespaces of containers (ctr_userns.c): what
 * `run`/`create` were asked, turned into an OCI config and a record.  Over ctr.h and ctr_net.h. */
#ifndef CAPSA_ENGINE_CTR_CONFIG_H
#define CAPSA_ENGINE_CTR_CONFIG_H

#include "ctr.h"

/* The container's user namespace (ctr_userns.c), from --userns and --uidmap/--gidmap. */
struct ctr_userns
{
  bool new_ns;  /* one of its own, with uidmap/gidmap (OCI arrays, host ids as the
                 * library sees them: the shared namespace's ids when rootless) */
  bool keep_id; /* --userns keep-id: the process runs as keep_uid:keep_gid unless -u */
  unsigned keep_uid, keep_gid;
  char *path; /* ns:PATH: join it */
  json_t *uidmap, *gidmap;
  int lockfd; /* auto: ROOT/userns.lock, held until the record is written; -1 */
};
int ctr_userns_resolve (struct capsa_engine *e, const struct ctr_opts *o, struct ctr_userns *u, capsa_err **err);
void ctr_userns_free (struct ctr_userns *u);
/* Add the namespace and mappings to the OCI config, UsernsMode and IDMappings to the record. */
void ctr_userns_apply (const struct ctr_opts *o, const struct ctr_userns *u, json_t *config, json_t *meta);
/* "C H S" lines (/proc/PID/uid_map's form) of an OCI mappings array (owned). */
char *ctr_userns_map_text (json_t *maps);

/* Build the OCI config (*config) and the container record (*meta) for container `id` whose root
 * filesystem is `rootfs`, from the image's config (imgcfg: the config blob) and the flags.
 * Named and anonymous volumes are created as needed. */
int ctr_build (struct capsa_engine *e, const struct ctr_opts *o, const char *id, const char *rootfs,
               const char *image_id, json_t *imgcfg, json_t **config, json_t **meta, capsa_err **err);
/* The run flags of ctr_flags.c (namespaces, cgroup parent, more resources, the process's groups,
 * OOM score and working directory, annotations, --volumes-from, --platform), over the config and
 * record ctr_build made so far (its mounts and root included).  Borrowed, all of it. */
struct ctr_flags_in
{
  struct capsa_engine *e;
  const struct ctr_opts *o;
  const char *id, *rootfs;
  json_t *imgcfg;        /* the image's config blob (architecture, os) */
  json_t *config, *meta; /* the OCI config and the record, changed */
};
int ctr_flags_apply (const struct ctr_flags_in *in, capsa_err **err);

/* The network mode of a container run without --network (depends on rootless or not). */
const char *ctr_default_network (struct capsa_engine *e);

#endif
