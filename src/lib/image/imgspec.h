/* Image documents as they come from registries, archives and the store: manifests, indexes and
 * image configs, checked by type once, when they are read, so that no later reader meets a number
 * where it expects a string.
 *
 * Every failure names the document and the field: "image config of X: config.Env[2] is a number,
 * not a string".  A field that may be absent may also be JSON null (docker writes "Cmd": null).
 * Pure parsing: no store, no I/O (tests/fuzz/fuzz_image.c fuzzes both parsers).
 */
#ifndef CAPSA_IMGSPEC_H
#define CAPSA_IMGSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CAPSA_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define CAPSA_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define CAPSA_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define CAPSA_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define CAPSA_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define CAPSA_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define CAPSA_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define CAPSA_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define CAPSA_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define CAPSA_MT_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* A manifest or an index larger than this is refused (docker and containerd use 4 MiB too). */
#define CAPSA_MANIFEST_MAX (4u << 20)
/* An image config larger than this is refused: real ones are kilobytes. */
#define CAPSA_IMAGE_CONFIG_MAX (8u << 20)

/* A content descriptor.  Strings are borrowed from the document (struct capsa_manifest.raw). */
struct capsa_descriptor
{
  const char *media_type; /* never NULL for layers and the config; may be NULL in an index */
  const char *digest;     /* a valid "sha256:<hex>" */
  int64_t size;           /* >= 0 */
  /* the platform of an index entry, NULL when not given */
  const char *os, *architecture, *variant;
};

/* An image manifest or an index (OCI or Docker v2 schema 2).
 * Invariants after a successful parse: schema_version == 2; media_type is one of the four known
 * types; for a manifest, config.media_type is an image config type and every layer's media type
 * is one capsa can unpack; for an index, every entry has a valid digest and size. */
struct capsa_manifest
{
  json_t *raw;            /* owned: the whole document */
  const char *media_type; /* the document's, else the transport's (Content-Type) */
  bool is_index;
  struct capsa_descriptor config;
  struct capsa_descriptor *layers; /* owned array, n_layers entries (manifests only) */
  size_t n_layers;
  struct capsa_descriptor *manifests; /* owned array (indexes only) */
  size_t n_manifests;
};

/* Parse buf (len bytes) as a manifest or index.  content_type: what the transport said (a
 * registry's Content-Type), or NULL; when the document names its media type too, the two must
 * agree.  what names the document in errors ("manifest registry/repo:tag"). */
CAPSA_PUBLIC int capsa_manifest_parse (const char *buf, size_t len, const char *content_type, const char *what,
                                       struct capsa_manifest *out, capsa_err **err);
CAPSA_PUBLIC void capsa_manifest_free (struct capsa_manifest *m);
#define cleanup_manifest __attribute__ ((cleanup (capsa_manifest_free)))

/* From an index, the entry for this host's platform (linux and capsa_host_arch(), the variant
 * when both have one).  Borrowed from m; NULL with err set. */
CAPSA_PUBLIC const struct capsa_descriptor *capsa_manifest_pick_platform (const struct capsa_manifest *m,
                                                                          const char *what, capsa_err **err);
/* The same for platform "OS/ARCH[/VARIANT]" (pull --platform; NULL: this host's). */
CAPSA_PUBLIC const struct capsa_descriptor *
capsa_manifest_pick_for (const struct capsa_manifest *m, const char *platform, const char *what, capsa_err **err);

/* An image config.  Invariants after a successful parse: every field capsa reads (created,
 * architecture, os, config.{User, Env, Entrypoint, Cmd, WorkingDir, ExposedPorts, Volumes, Labels,
 * StopSignal, Healthcheck...}, rootfs, history) has its type; rootfs.type is "layers" and every
 * rootfs.diff_ids entry is a valid digest. */
struct capsa_image_config
{
  json_t *raw;           /* owned: the whole document, for the readers of config.* */
  const char *created;   /* borrowed, NULL when absent */
  const char **diff_ids; /* owned array of borrowed strings, n_diff_ids entries */
  size_t n_diff_ids;
};

CAPSA_PUBLIC int capsa_image_config_parse (const char *buf, size_t len, const char *what,
                                           struct capsa_image_config *out, capsa_err **err);
/* The same checks on a document already parsed (cfg is borrowed). */
CAPSA_PUBLIC int capsa_image_config_check (json_t *cfg, const char *what, capsa_err **err);
CAPSA_PUBLIC void capsa_image_config_free (struct capsa_image_config *c);
#define cleanup_image_config __attribute__ ((cleanup (capsa_image_config_free)))

/* Whether a layer media type is one capsa can unpack (plain, gzip or zstd tar). */
CAPSA_PUBLIC bool capsa_layer_media_type_ok (const char *mt);
/* The host's platform as OCI names it: "amd64", "arm64"..., and the variant ("v7") or NULL. */
CAPSA_PUBLIC const char *capsa_host_arch (const char **variant);

#endif
