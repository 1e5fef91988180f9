/* capsa's containers: the records the engine keeps for each container (the lowest layer of
 * src/engine: the networks, ctr_net.h, the spec builder, ctr_config.h, and the lifecycle,
 * ctr_life.h, are built on it; capsa/engine.h is the top).
 *
 * Layout under the store root (--root):
 *   ROOT/containers/ID/              made by rootmount (image, driver, merged/ or rootfs/)
 *   ROOT/containers/ID/container.json  what the container is (docker's inspect shape without State);
 *                                      written once by create, then only by rename
 *   ROOT/containers/ID/run.json      what happened to it: started/finished times, exit code,
 *                                    restart count, the monitor's pid (written atomically)
 *   ROOT/containers/ID/bundle/config.json   the OCI config made from the image and the flags
 *   ROOT/containers/ID/ctr.log (+ .1)      its output: "TIME STREAM LINE" (size-capped, rotated)
 *   ROOT/containers/ID/stop-requested      stop/kill was asked: no restart
 *   ROOT/oci/ID/                     the library's runtime state (container.h), state root ROOT/oci
 *   ROOT/names/NAME -> ID            names (a symlink made with symlink(2): atomic and unique)
 *   ROOT/volumes/NAME/_data          named volumes (volume.json beside _data)
 *
 * The live status is never stored: it is computed from the library's state (the init's pid and
 * start time), then run.json, so `capsa ps` tells the truth even after any process was killed.
 */
#ifndef CAPSA_CLI_CTR_H
#define CAPSA_CLI_CTR_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "capsa/engine.h"
#include "error.h"

#define CTR_ID_LEN 64

enum ctr_status
{
  CTR_CREATED,
  CTR_RUNNING,
  CTR_PAUSED,
  CTR_RESTARTING,
  CTR_EXITED,
  CTR_DEAD, /* half-created: its `capsa run`/`create` died before the record was complete */
};

struct ctr
{
  char *id;       /* full id, 64 hex */
  char *dir;      /* ROOT/containers/ID */
  char *oci_root; /* ROOT/oci */
  json_t *meta;   /* container.json (owned) */
  json_t *run;    /* run.json (owned, {} when missing) */
  enum ctr_status status;
  pid_t pid;       /* the init when running or paused */
  int exit_code;   /* when exited; -1 unknown */
  pid_t net_owner; /* ctr_net_up: whose life holds the network lease (0: this process) */
  bool partial;    /* no complete container.json: meta is only {Id, Name}, status CTR_DEAD */
  int *port_fds;   /* ctr_net_up: the sockets reserving its published host ports (ctr_ports.c) */
  size_t nport_fds;
};

/* Close the sockets reserving c's published host ports (c->port_fds, ctr_ports_reserve). */
void ctr_ports_release (struct ctr *c);
/* Free c (its port sockets closed). */
void ctr_free (struct ctr *c);
static inline void
ctr_freep (struct ctr **c)
{
  if (*c)
    ctr_free (*c);
}
#define cleanup_ctr __attribute__ ((cleanup (ctr_freep)))

char *ctr_oci_root (struct capsa_engine *e);
/* Find a container by full id, unique id prefix or name; the error says what to do.  A container
 * whose creation died half-way (a claimed name, a directory, a mounted root, but no complete
 * container.json) is found too, as CTR_DEAD, so that `rm` can remove it; one whose creation is
 * still in progress is EBUSY. */
int ctr_find (struct capsa_engine *e, const char *what, struct ctr **out, capsa_err **err);
/* Load container `id` (a full id) and compute its status. */
int ctr_load (struct capsa_engine *e, const char *id, struct ctr **out, capsa_err **err);
/* Recompute status, pid and exit code. */
void ctr_refresh (struct capsa_engine *e, struct ctr *c);
/* Every container's full id (NULL-terminated, owned), half-created ones included. */
char **ctr_list_ids (struct capsa_engine *e);
const char *ctr_status_name (enum ctr_status s);
const char *ctr_name (const struct ctr *c);

/* run.json updates (read-modify-write under the container dir's run.lock). */
int ctr_run_update (const char *dir, json_t *changes, capsa_err **err);
json_t *ctr_run_read (const char *dir);

/* Names: ROOT/names/NAME -> ID, claimed with symlink(2) (fails when NAME exists: atomic, an
 * O_EXCL claim) and never taken over: only its container (its failed creation, rm, rename) frees
 * it.  release unlinks NAME only while it still points to id. */
int ctr_name_reserve (struct capsa_engine *e, const char *name, const char *id, capsa_err **err);
void ctr_name_release (struct capsa_engine *e, const char *name, const char *id);
/* The creation lock ROOT/creating/ID: held (flock) by `run`/`create` from before the name claim
 * until the record is complete; returns the fd.  done: unlink it and close fd. */
int ctr_creating_lock (struct capsa_engine *e, const char *id, capsa_err **err);
void ctr_creating_done (struct capsa_engine *e, const char *id, int fd);

/* Is the container's monitor (run.json MonitorPid, checked against its start time) alive? */
bool ctr_monitor_alive (const struct ctr *c);
/* Remove the shared /capsa parent cgroup of every hierarchy when no container is left in it. */
void ctr_cgroup_parent_tidy (void);
/* Unmount the root (overlay) of a stopped container / mount it again before a start. */
int ctr_root_release (struct capsa_engine *e, const char *id, capsa_err **err);
int ctr_root_ensure (struct capsa_engine *e, const char *id, capsa_err **err);

/* Wait until the container is exited (timeout_ms < 0: forever); 0 when it is. */
int ctr_wait_exited (struct capsa_engine *e, struct ctr *c, int timeout_ms);

/* ctr_volume.c, for `system df`: the volumes, and those a container uses. */
void ctr_volume_counts (struct capsa_engine *e, int *total, int *active);
/* Volumes (ctr_volume.c): ROOT/volumes/NAME/_data, made when missing.  *path owned; *created
 * (may be NULL): this call made it (of concurrent creators exactly one).  make: with labels. */
int ctr_volume_ensure (struct capsa_engine *e, const char *name, char **path, bool *created, capsa_err **err);
int ctr_volume_make (struct capsa_engine *e, const char *name, json_t *labels, char **path, bool *created,
                     capsa_err **err);
/* volume.json of NAME (new reference; NULL when missing); every volume's name (owned strv);
 * {NAME: ID} of the volumes some container uses (new reference); the bytes NAME's data holds. */
json_t *ctr_volume_json (struct capsa_engine *e, const char *name);
char **ctr_volume_names (struct capsa_engine *e);
json_t *ctr_volume_used (struct capsa_engine *e);
long long ctr_volume_size (struct capsa_engine *e, const char *name);
/* Remove NAME (used: ctr_volume_used's; refused when in use unless force). */
int ctr_volume_remove (struct capsa_engine *e, const char *name, bool force, json_t *used, capsa_err **err);
/* Let the root of a user-namespaced container (host gid `gid`) through ROOT/volumes/NAME, which
 * is private (store.h): the directory's group becomes gid (refused while a container of another
 * group uses the volume). */
int ctr_volume_grant (struct capsa_engine *e, const char *name, gid_t gid, capsa_err **err);
/* Map a container exec error to docker's code: 127 not found, 126 cannot invoke, else 125. */
int ctr_exec_error_code (const capsa_err *err);
/* The share/ directory holding capabilities-default.json and seccomp-default.json. */
const char *ctr_share_dir (const struct capsa_engine *e);
/* Random 64-hex id. */
void ctr_new_id (char out[CTR_ID_LEN + 1]);
/* Parse "10s", "5m", "1h", an RFC 3339 time or unix seconds into unix time (ns); -1 when invalid. */
long long ctr_parse_since (const char *s);
/* Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool ctr_valid_name (const char *s);

#endif
