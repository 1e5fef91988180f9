/* capsa's container lifecycle: the public API behind `capsa-oci` (and later `capsa`).
 *
 * create: parse (or take, see capsa_create_opts.config) and check the bundle's config, record the container under ROOT/ID, start its
 *   init in its namespaces and leave it blocked before execve on ROOT/ID/exec.fifo; write the
 *   pid file.  Nothing is left behind when it fails.
 * start: release the init (a byte through the fifo) and remove the fifo.
 * run: create + start in one process, then (unless detached) proxy the terminal, forward
 *   signals, wait, delete, and report the exit status.
 */
#ifndef CAPSA_CONTAINER_H
#define CAPSA_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "capsa.h"
#include "config.h"
#include "error.h"

struct capsa_create_opts
{
  const char *root;           /* runtime state root (--root) */
  const char *id;
  const char *bundle;         /* NULL: the current directory */
  /* The bundle's config already parsed (the caller has just built it): used instead of reading
   * BUNDLE/config.json, whose root.path it must share (a relative one is taken from the bundle).
   * NULL: create reads and parses the file.  Borrowed for the call; create may add its own mounts
   * to it (the notify socket's), so give it to one create only. */
  struct capsa_config *config;
  const char *pid_file;       /* may be NULL */
  const char *console_socket; /* may be NULL */
  bool no_pivot;
  bool no_new_keyring;
  int preserve_fds;
  bool detach;                /* run only */
  bool no_cgroups;            /* --cgroup-manager disabled: no cgroup at all */
  long long *oom_kills;       /* run in the foreground: set to the cgroup's oom_kill count once the
                                 process has exited, before the cgroup goes (-1: unknown); may be NULL */
};

CAPSA_PUBLIC int capsa_container_create (const struct capsa_create_opts *o, capsa_err **err);
CAPSA_PUBLIC int capsa_container_start (const char *root, const char *id, capsa_err **err);
/* Returns the exit status the runtime should exit with (the process's code, 128+signal). */
CAPSA_PUBLIC int capsa_container_run (const struct capsa_create_opts *o, int *exit_status, capsa_err **err);
CAPSA_PUBLIC int capsa_container_kill (const char *root, const char *id, int sig, bool all, capsa_err **err);
CAPSA_PUBLIC int capsa_container_delete (const char *root, const char *id, bool force, capsa_err **err);
/* runc's state JSON; *out owned by the caller. */
CAPSA_PUBLIC int capsa_container_state (const char *root, const char *id, json_t **out, capsa_err **err);
/* Array of state objects of every container under root (a missing root is an empty list). */
CAPSA_PUBLIC int capsa_container_list (const char *root, json_t **out, capsa_err **err);

/* Freeze (pause) or thaw (resume) every process of the container. */
CAPSA_PUBLIC int capsa_container_pause (const char *root, const char *id, bool pause, capsa_err **err);
/* Apply a LinuxResources object to a created, running or paused container. */
CAPSA_PUBLIC int capsa_container_update (const char *root, const char *id, json_t *resources, capsa_err **err);
/* Host pids of the container's processes (*pids malloc'd; empty when it has stopped). */
CAPSA_PUBLIC int capsa_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, capsa_err **err);
/* runc's stats data for the container, and its oom-kill count so far (-1 when unknown). */
CAPSA_PUBLIC int capsa_container_stats (const char *root, const char *id, json_t **data, long long *oom_kills,
                                        bool *running, capsa_err **err);

/* "KILL", "SIGKILL", "9" -> SIGKILL; -1 when unknown. */
CAPSA_PUBLIC int capsa_signal_parse (const char *s);

#endif
