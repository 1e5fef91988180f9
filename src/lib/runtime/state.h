/* Container state on disk.
 *
 * Layout under the runtime root (--root):  ROOT/ID/state.json  (written atomically)
 *                                          ROOT/ID/exec.fifo   (present between create and start)
 * create makes ROOT/ID (mkdir: one creator wins) and writes state.json before it creates anything
 * else, naming what it will make (the cgroup directories); only then it makes them.  So whenever it
 * is killed, the record lists all that may exist, `delete --force` removes it, and `state` says
 * "stopped" (a directory without state.json holds nothing else: it is a stopped shell too).
 * A command that changes a container takes an exclusive flock on ROOT/ID for its whole run;
 * readers (state, list) do not lock: state.json is replaced by rename, never rewritten in place.
 * The live status is computed, not stored: the pid is checked against its recorded start time
 * (so a reused pid is not mistaken for the container), the fifo tells created from running, and
 * the cgroup freezer tells running from paused.
 */
#ifndef CAPSA_STATE_H
#define CAPSA_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "capsa.h"
#include "cgroup.h"
#include "error.h"

enum capsa_status
{
  CAPSA_STATUS_CREATING = 0,
  CAPSA_STATUS_CREATED,
  CAPSA_STATUS_RUNNING,
  CAPSA_STATUS_STOPPED,
  CAPSA_STATUS_PAUSED,
};

struct capsa_state
{
  char *id;
  pid_t pid;          /* container init on the host, 0 before it exists */
  uint64_t pid_start; /* its start time (clock ticks since boot) */
  char *bundle;       /* absolute */
  char *rootfs;       /* absolute */
  char *created;      /* RFC 3339 */
  char *owner;
  bool pid_ns_private;      /* the container has its own pid namespace */
  bool creating;            /* create has not finished */
  pid_t creator_pid;        /* the process running create, and its start time: a record still */
  uint64_t creator_start;   /*   `creating` whose creator is gone was left by a killed create */
  bool late_hooks;          /* the config has poststart or poststop hooks (read the saved config then) */
  json_t *annotations;      /* owned, may be NULL */
  struct capsa_cgroup cg;   /* the container's cgroup directories (none: n == 0) */
  enum capsa_status status; /* computed by state_load */
};

CAPSA_PUBLIC const char *capsa_status_name (enum capsa_status s);

/* Check an id against runc's rule: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
int state_validate_id (const char *id, capsa_err **err);

/* Create ROOT (if missing) and ROOT/ID; fails with "container with id exists: ID".
 * Returns an fd to the new directory (O_DIRECTORY), locked exclusively. */
int state_create_dir (const char *root, const char *id, capsa_err **err);
/* Open and lock ROOT/ID; fails with "container `ID` does not exist". */
int state_open_dir (const char *root, const char *id, bool lock, capsa_err **err);
/* Remove ROOT/ID and everything in it. */
int state_remove_dir (const char *root, const char *id, capsa_err **err);

int state_write (int dirfd, const struct capsa_state *st, capsa_err **err);
/* Read state.json and compute the live status. */
int state_load (int dirfd, const char *id, struct capsa_state **out, capsa_err **err);
void state_free (struct capsa_state *st);
/* The state JSON as runc prints it (ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations). */
json_t *state_to_oci_json (const struct capsa_state *st);
/* The --pid-file of create, run and exec: the pid in decimal, replaced atomically. */
int state_write_pid_file (const char *path, pid_t pid, capsa_err **err);
/* Refresh st->status from /proc and the exec fifo. */
void state_refresh_status (int dirfd, struct capsa_state *st);

static inline void
state_freep (struct capsa_state **s)
{
  if (*s)
    state_free (*s);
}
#define cleanup_state __attribute__ ((cleanup (state_freep)))

#endif
