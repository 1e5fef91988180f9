/* linux.seccomp: a libseccomp filter built by the runtime before the clone, loaded by the child.
 *
 * seccomp_plan_make() takes the typed linux.seccomp (config.c checked its shape: types, ranges,
 * errnoRet, at most 6 conditions), resolves what only libseccomp knows (actions, architectures,
 * flags, operators) and builds the filter in memory; every mistake is an error naming its JSON
 * path.  Syscall names libseccomp does not know for these architectures are skipped, as runc
 * does (profiles list syscalls of other architectures and kernels).  libseccomp's implicit
 * no_new_privs is turned off: process.noNewPrivileges alone decides it.
 *
 * When the child loads it (seccomp_plan_load), as late as possible:
 *   - with noNewPrivileges and no listener: right before execve, after the exec fifo;
 *   - otherwise before the capabilities are dropped (loading needs CAP_SYS_ADMIN without
 *     no_new_privs), so the filter must allow what follows: setuid, capset, execve...
 * With SCMP_ACT_NOTIFY rules the child sends the listener fd to the runtime, which passes it on to
 * listenerPath with the container's state (seccomp_send_listener).
 */
#ifndef CAPSA_SECCOMP_FILTER_H
#define CAPSA_SECCOMP_FILTER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

struct seccomp_plan
{
  void *ctx;                 /* scmp_filter_ctx, kept only for a filter with a listener */
  void *bpf;                 /* the compiled program (struct sock_filter[]), malloc'd */
  size_t bpf_len;            /* in bytes */
  unsigned flags;            /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;               /* some action is SCMP_ACT_NOTIFY */
  const char *listener_path; /* borrowed from the config */
  const char *listener_metadata;
};

/* true when the config asks for a filter */
static inline bool
seccomp_plan_active (const struct seccomp_plan *p)
{
  return p->ctx != NULL || p->bpf != NULL;
}

/* cache_dir (may be NULL): compiled programs are kept there, one file per profile holding the
 * exact profile text and the program, so the same profile is compiled once (libseccomp takes
 * ~10 ms for Docker's profile) and a hash collision can never load another profile's filter.
 * Filters with a listener are always built with libseccomp (its notify fd). */
int seccomp_plan_make (const struct cfg_seccomp *seccomp, const char *cache_dir, struct seccomp_plan *plan,
                       capsa_err **err);
void seccomp_plan_free (struct seccomp_plan *plan);
/* In the child.  *notify_fd gets the listener fd (or -1). */
int seccomp_plan_load (const struct seccomp_plan *plan, int *notify_fd, capsa_err **err);
/* In the runtime: connect to listenerPath and send the fd with the container process state
 * (runtime-spec "containerProcessState"). */
int seccomp_send_listener (const struct seccomp_plan *plan, int fd, pid_t pid, json_t *state, capsa_err **err);

#endif
