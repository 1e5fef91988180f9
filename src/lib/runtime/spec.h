/* The default config.json (`capsa-oci spec`) and the runtime's features document. */
#ifndef CAPSA_SPEC_H
#define CAPSA_SPEC_H

#include <stdbool.h>

#include <jansson.h>

#include "capsa.h"

/* A new reference to the default config; rootless: a user namespace mapping the caller's uid and
 * gid to root, no network namespace change, sysfs bound from the host, no cgroup limits. */
CAPSA_PUBLIC json_t *capsa_spec_default (bool rootless);
/* The runtime-spec features.md document. */
CAPSA_PUBLIC json_t *capsa_features (void);

#endif
