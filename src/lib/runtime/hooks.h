/* OCI hooks (config.json "hooks"): each kind is a list of {path, args, env, timeout}, run in order
 * with the container's state JSON on stdin.  Who runs which, and when (runtime-spec):
 *
 *   prestart, createRuntime  the runtime, in its own namespaces, once the container's namespaces
 *                            and mounts exist and before pivot_root (create);
 *   createContainer          the container's init, in the container's namespaces, before pivot_root
 *                            (the path is resolved in the runtime's mount namespace: still visible);
 *   startContainer           the init, after start released it and before the process's execve;
 *   poststart                the runtime, once the process has started (start, run);
 *   poststop                 the runtime, once the container is deleted (delete).
 *
 * The hooks are config->hooks (parsed and checked by config.c).
 * A failing hook (exit status != 0, killed, or past its timeout) fails the operation with a message
 * naming the kind, the index, the path and the hook's own stderr; poststart and poststop failures
 * are only warnings (logged), as the spec says.
 */
#ifndef CAPSA_HOOKS_H
#define CAPSA_HOOKS_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

/* Run the config's hooks of one kind, in order; the first failure stops them and fails. */
int hooks_run (const struct capsa_config *config, enum cfg_hook_kind kind, json_t *state, capsa_err **err);
/* Run every hook of one kind; a failure is logged as a warning and the hooks after it
 * still run (poststart, poststop: the runtime-spec's "the remaining hooks and lifecycle continue";
 * runc 1.1.5 stops at the first failure, and fails start for poststart: capsa follows the spec,
 * which is what the engines' hook users, e.g. podman's hooks.d, expect of a cleanup hook). */
void hooks_run_warn (const struct capsa_config *config, enum cfg_hook_kind kind, json_t *state);
/* true when the config has at least one hook of this kind. */
static inline bool
hooks_any (const struct capsa_config *config, enum cfg_hook_kind kind)
{
  return config->hooks[kind].n > 0;
}
/* The state a hook reads on stdin: {ociVersion, id, status, pid, bundle, annotations}. */
json_t *hooks_state (const char *id, const char *status, pid_t pid, const char *bundle, json_t *annotations);

#endif
