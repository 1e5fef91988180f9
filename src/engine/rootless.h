/* Rootless capsa: an ordinary user's commands run as "root" of one user namespace (the user as
 * 0, its /etc/subuid and /etc/subgid ranges as 1..N, written by the setuid newuidmap/newgidmap)
 * with one mount namespace, both held by a small pause process (podman's design).  Every command
 * of that user joins the same two namespaces, so layers are unpacked with their real owners
 * (shifted into the subuid range on the host), overlay roots mounted by one command are seen by
 * the next, and containers, which stay in that user namespace, get the same mapping.
 *
 * RUNDIR ($XDG_RUNTIME_DIR/capsa, else /tmp/capsa-UID; 0700, owned by the user) holds
 *   pause.pid   "PID START" of the pause process
 *   pause.lock  held while a command looks for, starts or joins the pause process, and by the
 *               pause process while it decides to exit
 *   oci/        the runtime state of the containers (the library's state root)
 * The pause process exits by itself once no other process is left in its user namespace (no
 * container, no monitor, no command), so nothing outlives the last container. */
#ifndef CAPSA_CLI_ROOTLESS_H
#define CAPSA_CLI_ROOTLESS_H

#include <stdbool.h>
#include <sys/types.h>

#include "capsa/engine.h"

/* The ranges of `user` (by name, or by uid when uid != -1) in file; *out malloc'd (NULL, 0 when
 * none or the file is missing).  -1 with errno when the file cannot be read. */
int rootless_subid_ranges (const char *file, const char *user, uid_t uid, struct capsa_idrange **out, size_t *n);

/* The runtime directory for this uid (made 0700 when missing; refused when someone else owns
 * it).  *out owned. */
int rootless_rundir (const char *xdg, char **out, capsa_err **err);
/* Whether a rootless container can have a cgroup of its own: a pure cgroup v2 host whose
 * subtree next to this process's cgroup (where the library puts a relative cgroupsPath) is
 * writable, i.e. delegated to the user.  Not on hybrid or v1 hosts: there the controllers are v1
 * and only root may create cgroups in them. */
bool rootless_cgroup_writable (void);

#endif
