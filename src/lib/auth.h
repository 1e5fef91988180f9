/* Saved registry credentials (the file format of docker's config.json: {"auths": {HOST:
 * {"auth": base64(user:password)}}}).  Lookup is in registry.h (capsa_auth_lookup). */
#ifndef CAPSA_AUTH_H
#define CAPSA_AUTH_H

#include "error.h"

/* Save user/password for registry in authfile (NULL: capsa_auth_file_default()), mode 0600. */
int auth_save (const char *authfile, const char *registry, const char *user, const char *password,
               capsa_err **err);

#endif
