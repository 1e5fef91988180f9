/* capsa — the image store's API: what the image commands call (capsa-image's pull, push, load,
 * save, import, login; capsa images, rmi, tag, history, inspect, mount...).
 *
 * Invariants:
 * - A store is one directory (capsa_store_default_root, or --root) opened once per command with
 *   capsa_store_open and closed with capsa_store_close (cleanup_store); struct capsa_store is
 *   opaque here.  Every function is safe against other processes using the same store at the
 *   same time (the store's locks); an image appears in the index only when complete.
 * - Images are named by full references ("registry/repo:tag", reference below), by
 *   "name@sha256:..." or by their id ("sha256:<64 hex>", or a unique prefix); short names are
 *   normalized with the default_registry argument (NULL: docker.io).
 * - Digests and ids are written into caller buffers of at least CAPSA_DIGEST_LEN + 1 bytes.
 * - json_t is part of this API (capsa/capsa.h): the index, configs and manifests are handed over
 *   as JSON; a json_t from an out-parameter is a new reference, one returned by value borrowed
 *   (capsa_image_find).
 * - Arrays of strings returned (char ***) are NULL-terminated and owned (cleanup_strv).
 */
#ifndef CAPSA_IMAGE_PUBLIC_H
#define CAPSA_IMAGE_PUBLIC_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

#define CAPSA_DIGEST_LEN 71 /* "sha256:" + 64 hex, without the NUL (as src/lib/base/digest.h) */
/* The "sha256:<64 hex>" digest of a buffer into out (CAPSA_DIGEST_LEN + 1 bytes); the image
 * library's (libcrypto). */
CAPSA_PUBLIC void capsa_sha256_buf (const void *buf, size_t len, char *out);
/* base64 (standard alphabet, padded; owned), and back (NULL when s is none; *len its size). */
CAPSA_PUBLIC char *capsa_base64_encode (const void *buf, size_t len);
CAPSA_PUBLIC char *capsa_base64_decode (const char *s, size_t *len);

/* base64 (standard alphabet, padded), the image library's: NULL when s is not valid base64; *len
 * gets the decoded size (NUL-terminated anyway). */
CAPSA_PUBLIC char *capsa_base64_decode (const char *s, size_t *len);

/* The host's platform as OCI names it: "amd64", "arm64"..., and the variant ("v7") or NULL. */
CAPSA_PUBLIC const char *capsa_host_arch (const char **variant);

/* The store (src/lib/image/store.h describes its layout, crash safety and locks). */
struct capsa_store;

/* /var/lib/capsa as root, else $XDG_DATA_HOME/capsa (~/.local/share/capsa).  Static buffer. */
CAPSA_PUBLIC const char *capsa_store_default_root (void);
/* Open (creating it when missing) the store at root. */
CAPSA_PUBLIC int capsa_store_open (const char *root, struct capsa_store **out, capsa_err **err);
CAPSA_PUBLIC void capsa_store_close (struct capsa_store *s);
static inline void
capsa_store_closep (struct capsa_store **s)
{
  if (*s)
    capsa_store_close (*s);
}
#define cleanup_store __attribute__ ((cleanup (capsa_store_closep)))

/* "ROOT/layers/HEX/diff", owned by the caller. */
CAPSA_PUBLIC char *capsa_store_layer_path (struct capsa_store *s, const char *diffid);

/* Image references, normalized the way Docker does it:
 *   busybox                       -> DEFAULT/library/busybox:latest  (library/ only for docker.io)
 *   me/app:1                      -> DEFAULT/me/app:1
 *   127.0.0.1:5000/rc/busybox     -> 127.0.0.1:5000/rc/busybox:latest
 *   repo@sha256:...               -> a digest reference (no tag)
 * The first component names a registry when it has a `.` or a `:` or is `localhost`. */
#define CAPSA_DEFAULT_REGISTRY "docker.io"

struct capsa_ref
{
  char *registry; /* "docker.io", "127.0.0.1:5000" */
  char *repo;     /* "library/busybox" */
  char *tag;      /* NULL with a digest and no tag */
  char *digest;   /* NULL unless @sha256:... */
};

CAPSA_PUBLIC int capsa_ref_parse (const char *s, const char *default_registry, struct capsa_ref *r, capsa_err **err);
CAPSA_PUBLIC void capsa_ref_free (struct capsa_ref *r);
#define cleanup_ref __attribute__ ((cleanup (capsa_ref_free)))
/* "registry/repo" */
CAPSA_PUBLIC char *capsa_ref_name (const struct capsa_ref *r);
/* "registry/repo:tag", or "registry/repo@digest" without a tag */
CAPSA_PUBLIC char *capsa_ref_string (const struct capsa_ref *r);
/* A stored full name shortened for display: the default registry (and docker.io's library/) is
 * left out, as `docker images` does. */
CAPSA_PUBLIC char *capsa_ref_familiar (const char *full, const char *default_registry);

/* Images in the store: the index (images.json), tags, lookup, configs and history, removal and
 * garbage collection.
 *
 * images.json is {"images": [IMAGE...]} where IMAGE is
 *   {"id": CONFIG DIGEST, "manifest": DIGEST, "mediaType": MANIFEST MEDIA TYPE,
 *    "names": ["registry/repo:tag", ...], "digests": ["registry/repo@sha256:...", ...],
 *    "created": CONFIG'S created, "added": RFC 3339, "size": BYTES UNPACKED}
 * An image is registered only once its manifest, config, layer blobs and unpacked layers are all
 * in the store.  A name belongs to one image: tagging moves it (the old image may be left
 * without names: "dangling", removed by `image prune`).
 */

/* Read the index (an empty one when the file does not exist yet). */
CAPSA_PUBLIC int capsa_index_read (struct capsa_store *s, json_t **out, capsa_err **err);

/* Find an image by name (normalized with default_registry), name@digest, full id or id prefix.
 * Returns a borrowed reference into idx, or NULL with err set ("no such image: x"). */
CAPSA_PUBLIC json_t *capsa_image_find (json_t *idx, const char *what, const char *default_registry, capsa_err **err);

/* Images made by commit and build record their "parent" (an image id) in the index.  An
 * untagged image that is another one's parent is an intermediate image (`images -a` shows it);
 * an untagged one that is not is dangling (docker's rule). */
CAPSA_PUBLIC bool capsa_image_is_parent (json_t *idx, const char *id);
CAPSA_PUBLIC bool capsa_image_intermediate (json_t *idx, json_t *img);
CAPSA_PUBLIC bool capsa_image_dangling (json_t *idx, json_t *img);

/* Add a full name to an existing image. */
CAPSA_PUBLIC int capsa_image_tag (struct capsa_store *s, const char *what, const char *new_name,
                                  const char *default_registry, capsa_err **err);

/* Remove a name, or an image by id.  An image with several names is only untagged when `what`
 * is one of its names; by id it needs `force`.  A removed image's untagged parents that no other
 * image or container uses go with it.  *untagged and *deleted (NULL-terminated, owned) list what
 * happened, as `docker rmi` prints it.  Unreferenced blobs and layers are collected. */
CAPSA_PUBLIC int capsa_image_remove (struct capsa_store *s, const char *what, bool force, const char *default_registry,
                                     char ***untagged, char ***deleted, capsa_err **err);

/* Remove dangling images (all images not used by a container with `all`), and then the parents
 * that leaves dangling (unused), then collect. */
CAPSA_PUBLIC int capsa_image_prune (struct capsa_store *s, bool all, char ***deleted, long long *reclaimed,
                                    capsa_err **err);
/* The same, removing only the images pick (the store's record of one) says may go: the prunes'
 * --filter (label, until). */
typedef bool capsa_image_pick_fn (json_t *img, void *data);
CAPSA_PUBLIC int capsa_image_prune_pick (struct capsa_store *s, bool all, capsa_image_pick_fn *pick, void *data,
                                         char ***deleted, long long *reclaimed, capsa_err **err);

/* Read and parse a JSON blob (no type checks: for the image commands that show it whole). */
CAPSA_PUBLIC int capsa_blob_json (struct capsa_store *s, const char *digest, json_t **out, capsa_err **err);

/* Docker's JSON for an image of the index (src/lib/image/image_json.c), as its Engine API gives it
 * (v1.41) and `capsa image inspect`, `capsa history` and capsa-service print it; names in their
 * familiar form (capsa_ref_familiar with default_registry).  Each returns a new reference.
 *   inspect: ImageInspect (Id, RepoTags, RepoDigests, Created, Config, RootFS, Size...), plus
 *            capsa's Manifest and ManifestMediaType; NULL with err set when the config is unreadable.
 *   summary: ImageSummary, one row of GET /images/json (Created in unix seconds; a dangling image
 *            has RepoTags ["<none>:<none>"] and RepoDigests ["<none>@<none>"], as dockerd's).
 *   history: the list of GET /images/{name}/history, newest step first (Id "<missing>" but for
 *            the top; Size of each step's unpacked layer). */
CAPSA_PUBLIC json_t *capsa_image_inspect_json (struct capsa_store *s, json_t *img, const char *default_registry,
                                               capsa_err **err);
CAPSA_PUBLIC json_t *capsa_image_summary_json (struct capsa_store *s, json_t *img, const char *default_registry);
CAPSA_PUBLIC json_t *capsa_image_history_json (struct capsa_store *s, json_t *img, const char *default_registry,
                                               capsa_err **err);
/* An RFC 3339 time ("2024-05-01T10:00:00.123Z") in unix seconds; 0 when malformed or NULL. */
CAPSA_PUBLIC long long capsa_time_unix (const char *rfc3339);

/* The OCI distribution (v2) client on libcurl: pull, push, login.
 *
 * Transport: https, except for registries marked insecure (the list in the options, plus
 * localhost and 127.0.0.0/8 as docker does), which are tried over https without certificate
 * checks and then over plain http.
 * Authentication: anonymous first; on a 401 the WWW-Authenticate challenge decides: Basic sends
 * the saved credentials, Bearer fetches a token from the realm (with the credentials when there
 * are some) for the repository's scope.  Credentials come from the capsa auth file written by
 * `capsa login`, then from docker's config.json "auths".
 * Every blob is checked against its sha256 while it streams in, and is stored only when it
 * matches; transient failures (connection errors, 5xx, 429) are retried, resuming with a Range
 * request where the registry allows it.  Layers download in parallel (curl multi).
 */
enum capsa_progress_state
{
  CAPSA_PROGRESS_WAITING,
  CAPSA_PROGRESS_DOWNLOADING,
  CAPSA_PROGRESS_RETRYING,
  CAPSA_PROGRESS_VERIFIED,
  CAPSA_PROGRESS_EXISTS, /* already in the store (pull) or in the registry (push) */
  CAPSA_PROGRESS_EXTRACTING,
  CAPSA_PROGRESS_DONE,
  CAPSA_PROGRESS_UPLOADING,
  CAPSA_PROGRESS_MOUNTED, /* push: mounted from another repository of the registry */
};

struct capsa_progress
{
  const char *digest;
  unsigned index, count; /* this layer, and how many there are */
  uint64_t done, total;
  enum capsa_progress_state state;
};

/* docker's words for a layer's state in a pull's or a push's progress ("Downloading", "Pull
 * complete", "Layer already exists"...); NULL for a state docker does not show. */
CAPSA_PUBLIC const char *capsa_progress_word (enum capsa_progress_state st, bool push);

struct capsa_registry_opts
{
  const char *default_registry; /* for short names; NULL: docker.io */
  char *const *insecure;        /* NULL-terminated "host[:port]" list, may be NULL */
  const char *authfile;         /* capsa's credentials file; NULL: capsa_auth_file_default() */
  unsigned parallel;            /* downloads at once; 0: 3 */
  unsigned retries;             /* attempts per request after the first; 0: 3 */
  void (*progress) (void *data, const struct capsa_progress *p);
  void *progress_data;
  const char *compression; /* push: "gzip" (NULL: the default) or "zstd", for uncompressed layers */
  /* credentials for this call (docker's X-Registry-Auth), used instead of the saved ones when
   * user is set */
  const char *user, *password;
  /* pull: "OS/ARCH[/VARIANT]", the entry to take from an index; NULL: this host's platform */
  const char *platform;
};

/* Pull `ref` into the store and register it.  name_out (optional, owned) gets the full name
 * ("registry/repo:tag"), id_out the image id, digest_out the manifest digest the registry gave. */
CAPSA_PUBLIC int capsa_pull (struct capsa_store *s, const char *ref, const struct capsa_registry_opts *o,
                             char **name_out, char *id_out, char *digest_out, capsa_err **err);

/* Push image `image` (name or id) as `dest` (a reference; NULL: the image's own name `image`).
 * digest_out gets the manifest digest. */
CAPSA_PUBLIC int capsa_push (struct capsa_store *s, const char *image, const char *dest,
                             const struct capsa_registry_opts *o, char *digest_out, capsa_err **err);

/* Check user/password against `registry` (GET /v2/ with the challenge's scheme), then save them
 * to the auth file. */
CAPSA_PUBLIC int capsa_login (const char *registry, const char *user, const char *password,
                              const struct capsa_registry_opts *o, capsa_err **err);
/* The check alone, nothing saved (the Docker API's POST /auth: the client keeps them). */
CAPSA_PUBLIC int capsa_login_check (const char *registry, const char *user, const char *password,
                                    const struct capsa_registry_opts *o, capsa_err **err);
/* Remove the saved credentials of `registry`; 1 when there were none. */
CAPSA_PUBLIC int capsa_logout (const char *registry, const struct capsa_registry_opts *o, capsa_err **err);

/* The registries config: JSON {"default-registry": HOST, "insecure-registries": [HOST...]}.
 * path NULL: $CAPSA_REGISTRIES_CONF, else /etc/capsa/registries.json (root) or
 * $XDG_CONFIG_HOME/capsa/registries.json; a missing default file is no error.  *default_registry
 * (owned) is always set; hosts are appended to *insecure. */
CAPSA_PUBLIC int capsa_registries_conf_load (const char *path, char **default_registry, char ***insecure,
                                             capsa_err **err);

/* $CAPSA_AUTH_FILE, else $XDG_CONFIG_HOME/capsa/auth.json (~/.config/capsa/auth.json).  Static. */
CAPSA_PUBLIC const char *capsa_auth_file_default (void);
/* Credentials for a registry host: 0 and *user and *password (owned) when found, 1 when there are
 * none.  The capsa auth file first, then $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
CAPSA_PUBLIC int capsa_auth_lookup (const char *authfile, const char *registry, char **user, char **password,
                                    capsa_err **err);

/* Image archives: `capsa load` and `capsa save`.
 *
 * Formats: docker-archive (manifest.json + config + layer tars, as `docker save` writes it),
 * OCI archive (a tar of an OCI image layout) and OCI layout directory (oci-layout, index.json,
 * blobs/sha256/...).  Load recognizes the format by itself; an archive is first extracted into
 * the store's tmp/ with the same checks as a layer (nothing can land outside), and every path it
 * names is resolved inside that directory (a symlinked layer.tar cannot point at a host file).
 * Every blob is checked against its digest as it is copied into the store.
 */
enum capsa_archive_format
{
  CAPSA_ARCHIVE_DOCKER,
  CAPSA_ARCHIVE_OCI,     /* a tar of an OCI layout */
  CAPSA_ARCHIVE_OCI_DIR, /* an OCI layout directory (created or added to) */
};

/* Load every image of `path` (a file, a directory, or "-" for stdin).  *loaded gets what was
 * loaded, as docker prints it: "Loaded image: NAME" or "Loaded image ID: sha256:...". */
CAPSA_PUBLIC int capsa_image_load (struct capsa_store *s, const char *path, const char *default_registry,
                                   char ***loaded, capsa_err **err);

/* Save images (names or ids) to `path` ("-" for stdout, not for a directory). */
CAPSA_PUBLIC int capsa_image_save (struct capsa_store *s, char *const *images, const char *default_registry,
                                   enum capsa_archive_format format, const char *path, capsa_err **err);

/* Images made without a registry: `capsa import` of a rootfs tarball (plain, gzip, zstd, xz...)
 * or a directory (debootstrap's, or scripts/mkimage-busybox.sh's).  The result is a one-layer
 * image whose layer blob is the plain tar (so its digest is its diff id). */
struct capsa_import_opts
{
  const char *name;     /* full "registry/repo:tag", or NULL for an untagged image */
  char *const *changes; /* Dockerfile-like instructions: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL */
  const char *message;  /* history comment, may be NULL */
};

/* source: a file, a directory, or "-" for stdin. */
CAPSA_PUBLIC int capsa_image_import (struct capsa_store *s, const char *source, const struct capsa_import_opts *o,
                                     char *id_out, capsa_err **err);

/* Apply one Dockerfile-like instruction to an image config's "config" object. */
CAPSA_PUBLIC int capsa_config_change (json_t *config, const char *change, capsa_err **err);

/* Write a tar of directory `dir` (relative names, links not followed) to fd; out_name (may be
 * NULL) names fd in errors ("write layer to `OUT_NAME`: no space left on device"). */
CAPSA_PUBLIC int capsa_tar_directory (const char *dir, int fd, const char *out_name, capsa_err **err);

/* Make a one-layer image around a layer blob already in the store (plain tar, digest = diffid
 * when `diffid` is NULL): writes the config and manifest, registers the image. */
CAPSA_PUBLIC int capsa_image_from_layer (struct capsa_store *s, const char *layer_digest, const char *media_type,
                                         const char *diffid, const struct capsa_import_opts *o, const char *created_by,
                                         char *id_out, capsa_err **err);

/* A container's root filesystem made from an image, under ROOT/containers/ID/:
 *   overlay: merged/ = overlayfs of the image's unpacked layers (read-only lower dirs, shared by
 *            every container) with this container's own upper/ and work/;
 *   vfs:     rootfs/ = a private copy of the layers merged in order (the fallback where overlayfs
 *            cannot be mounted, or a layer kept OCI whiteouts because it was unpacked unprivileged).
 * ROOT/containers/ID/image records the image id (rmi and prune leave such images alone) and
 * ROOT/containers/ID/driver the driver used. */
enum capsa_rootfs_driver
{
  CAPSA_ROOTFS_AUTO, /* overlay when it works, else vfs */
  CAPSA_ROOTFS_OVERLAY,
  CAPSA_ROOTFS_VFS,
};

/* Give container `id` a root from image `image` (name or id).  *path_out (owned) gets the root's
 * path.  On failure nothing is left behind. */
CAPSA_PUBLIC int capsa_rootfs_mount (struct capsa_store *s, const char *image, const char *id,
                                     const char *default_registry, enum capsa_rootfs_driver driver, char **path_out,
                                     capsa_err **err);
/* The same for a container in a user namespace of its own: uid_map and gid_map are its mappings
 * in /proc/PID/uid_map's form ("CONTAINER HOST SIZE" lines).  The image's layers become the
 * overlay's lower dirs through idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), so the shared
 * layers stay as they are on disk and look owned by the container's own ids; the upper dir holds
 * host ids (what the container writes).  The mappings are kept (ROOT/containers/ID/uid_map,
 * gid_map) for a later capsa_rootfs_remount.  Overlay only: a kernel or filesystem that cannot
 * idmap is an error that says so. */
CAPSA_PUBLIC int capsa_rootfs_mount_idmapped (struct capsa_store *s, const char *image, const char *id,
                                              const char *default_registry, const char *uid_map, const char *gid_map,
                                              char **path_out, capsa_err **err);
/* Unmount (overlay) and remove everything of container `id`.  A missing id is an error. */
CAPSA_PUBLIC int capsa_rootfs_unmount (struct capsa_store *s, const char *id, capsa_err **err);

/* Unmount (overlay) the root of container `id` but keep its upper dir: a stopped container.
 * Nothing to do for vfs or when it is not mounted. */
CAPSA_PUBLIC int capsa_rootfs_release (struct capsa_store *s, const char *id, capsa_err **err);
/* Mount the overlay root of container `id` again after capsa_rootfs_release (nothing to do when it
 * is mounted or vfs). */
CAPSA_PUBLIC int capsa_rootfs_remount (struct capsa_store *s, const char *id, capsa_err **err);

#endif
