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
#ifndef CAPSA_REGISTRY_H
#define CAPSA_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "store.h"

enum capsa_progress_state
{
  CAPSA_PROGRESS_WAITING,
  CAPSA_PROGRESS_DOWNLOADING,
  CAPSA_PROGRESS_RETRYING,
  CAPSA_PROGRESS_VERIFIED,
  CAPSA_PROGRESS_EXISTS,    /* already in the store (pull) or in the registry (push) */
  CAPSA_PROGRESS_EXTRACTING,
  CAPSA_PROGRESS_DONE,
  CAPSA_PROGRESS_UPLOADING,
  CAPSA_PROGRESS_MOUNTED,   /* push: mounted from another repository of the registry */
};

struct capsa_progress
{
  const char *digest;
  unsigned index, count; /* this layer, and how many there are */
  uint64_t done, total;
  enum capsa_progress_state state;
};

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

#endif
