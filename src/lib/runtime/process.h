/* The container process, set up by its init after the rootfs is in place, in this order (spawn.c):
 * sysctls, rlimits and oom_score_adj (still privileged), [seccomp when loaded early], bounding
 * set, user and groups and umask, capabilities, no_new_privs, cwd, then the executable is looked
 * up in the process's own PATH, [seccomp when loaded late], exec. */
#ifndef CAPSA_PROCESS_H
#define CAPSA_PROCESS_H

#include "config.h"
#include "error.h"

/* Write linux.sysctl through a verified procfs (procfs.h).  own_ns: bits (1 << CFG_NS_*) of the
 * namespaces the init does not share with the runtime; a key whose namespace is not among them is
 * refused (the guard behind cfg_parse's check). */
int proc_apply_sysctls (const struct capsa_config *c, unsigned own_ns, capsa_err **err);
int proc_apply_limits (const struct cfg_process *p, capsa_err **err);
int proc_set_user (const struct cfg_process *p, capsa_err **err);
int proc_set_no_new_privs (const struct cfg_process *p, capsa_err **err);
int proc_set_cwd (const struct cfg_process *p, capsa_err **err);
/* Find args[0] like runc (Go's exec.LookPath) with the process's PATH; *out is owned. */
int proc_find_executable (const struct cfg_process *p, char **out, capsa_err **err);

#endif
