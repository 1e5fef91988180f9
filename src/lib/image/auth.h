/* Saved registry credentials (the file format of docker's config.json: {"auths": {HOST:
 * {"auth": base64(user:password)}}}).  Lookup is in registry.h (capsa_auth_lookup). */
#ifndef CAPSA_AUTH_H
#define CAPSA_AUTH_H

#include <jansson.h>
#include <stddef.h>

#include "error.h"

/* $XDG_CONFIG_HOME, else ~/.config, written into buf (registries.c). */
const char *registries_config_home (char *buf, size_t len);
/* Load a JSON object from path: 0 and *out (owned), 1 when the file does not exist (registries.c). */
int registries_load_json (const char *path, json_t **out, capsa_err **err);

/* Save user/password for registry in authfile (NULL: capsa_auth_file_default()), mode 0600. */
int auth_save (const char *authfile, const char *registry, const char *user, const char *password, capsa_err **err);

#endif
