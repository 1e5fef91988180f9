/* Namespaces: which to create, which to join, id maps and time offsets.
 *
 * The plan (ns_plan) is computed before any fork, so the child only executes it:
 *   - no namespace joined by path: everything but time and cgroup is created by clone() itself
 *     (the cgroup namespace is unshared after the runtime moved the child into its cgroup);
 *   - otherwise the child joins (user first, mount last) and then unshares the rest;
 *   - a new time namespace (clone() cannot create one) or a pid namespace entered by setns/unshare
 *     takes effect only for children, so the child forks once more and that grandchild is init.
 */
#ifndef CAPSA_NAMESPACES_H
#define CAPSA_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

struct ns_plan
{
  int clone_flags;   /* CLONE_NEW* given to clone() */
  int unshare_flags; /* CLONE_NEW* the child unshares after joining (may include CLONE_NEWUSER) */
  bool join_any;     /* some namespace is joined by path */
  bool need_fork;    /* the child forks again: the grandchild is the init */
  bool new_user;     /* a new user namespace is created (parent writes the maps) */
};

void ns_plan_make (const struct capsa_config *c, struct ns_plan *plan);

/* Open every namespace path of the config (O_RDONLY|O_CLOEXEC) into fds[CFG_NS_COUNT] (-1 where
 * none), checking each is a namespace file of the right type, before any fork. */
int ns_open_paths (const struct capsa_config *c, int fds[CFG_NS_COUNT], capsa_err **err);
/* In the child: setns() every opened namespace, user first and mount last. */
int ns_join_all (const int fds[CFG_NS_COUNT], capsa_err **err);

/* In the parent: write /proc/PID/{setgroups,uid_map,gid_map} for a new user namespace. */
int ns_write_id_maps (pid_t pid, const struct capsa_config *c, capsa_err **err);
/* In the child, after unshare(CLONE_NEWTIME) and before any child exists. */
int ns_write_time_offsets (const struct capsa_config *c, capsa_err **err);

#endif
