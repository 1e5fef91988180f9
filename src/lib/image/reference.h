/* Image references, normalized the way Docker does it:
 *   busybox                       -> DEFAULT/library/busybox:latest  (library/ only for docker.io)
 *   me/app:1                      -> DEFAULT/me/app:1
 *   127.0.0.1:5000/rc/busybox     -> 127.0.0.1:5000/rc/busybox:latest
 *   repo@sha256:...               -> a digest reference (no tag)
 * The first component names a registry when it has a `.` or a `:` or is `localhost`. */
#ifndef CAPSA_REFERENCE_H
#define CAPSA_REFERENCE_H

#include "error.h"

#define CAPSA_DEFAULT_REGISTRY "docker.io"

struct capsa_ref
{
  char *registry; /* "docker.io", "127.0.0.1:5000" */
  char *repo;     /* "library/busybox" */
  char *tag;      /* NULL with a digest and no tag */
  char *digest;   /* NULL unless @sha256:... */
};

CAPSA_PUBLIC int capsa_ref_parse (const char *s, const char *default_registry, struct capsa_ref *r,
                                  capsa_err **err);
CAPSA_PUBLIC void capsa_ref_free (struct capsa_ref *r);
#define cleanup_ref __attribute__ ((cleanup (capsa_ref_free)))
/* "registry/repo" */
CAPSA_PUBLIC char *capsa_ref_name (const struct capsa_ref *r);
/* "registry/repo:tag", or "registry/repo@digest" without a tag */
CAPSA_PUBLIC char *capsa_ref_string (const struct capsa_ref *r);
/* A stored full name shortened for display: the default registry (and docker.io's library/) is
 * left out, as `docker images` does. */
CAPSA_PUBLIC char *capsa_ref_familiar (const char *full, const char *default_registry);

#endif
