/* `capsa inspect --isolation`: how isolated a running container is, read live from the kernel
 * (/proc/PID/ns, uid_map/gid_map, /proc/PID/status, /proc/PID/cgroup and the cgroup files,
 * /proc/PID/mountinfo), with the bundle's config.json only for what the kernel cannot tell
 * (which paths were meant to be masked, which mounts are host binds, which devices were given). */
#ifndef CAPSA_CLI_CTR_ISOLATION_H
#define CAPSA_CLI_CTR_ISOLATION_H

#include <jansson.h>

#include "ctr.h"

/* The report for container c (running or paused) as a JSON object (owned); an error when the
 * container is not running. */
int ctr_isolation (struct capsa_engine *e, struct ctr *c, json_t **out, capsa_err **err);
/* Print a report made by ctr_isolation as readable tables on stdout. */
void ctr_isolation_print (json_t *rep);

#endif
