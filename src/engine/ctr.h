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
 *   ROOT/containers/ID/ctr.log (+ .1 ...)  its output in the log driver's format (json-file, k8s-file:
 *                                      ctr_logcfg.h), size-capped, rotated by the monitor
 *   ROOT/containers/ID/stop-requested      stop/kill was asked: no restart
 *   ROOT/containers/ID/health.lock         held while a check's result goes into run.json's Health
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

/* Close the sockets reserving c's published host ports (c->port_fds, capsa_ctr_ports_reserve). */
void ctr_ports_release (struct ctr *c);
char *ctr_oci_root (struct capsa_engine *e);

/* run.json updates (read-modify-write under the container dir's run.lock). */
int ctr_run_update (const char *dir, json_t *changes, capsa_err **err);
/* Write DIR/container.json (mode 0600: its env holds secrets) and run.json's Brief, the few
 * fields of it that `ps` shows (ctr.c): every change of a container's record goes through here. */
int ctr_meta_write (const char *dir, json_t *meta, capsa_err **err);
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
/* This boot's id (/proc/sys/kernel/random/boot_id; "" when unreadable): run.json's BootId, recorded
 * with MonitorPid, tells a monitor of an earlier boot (its pid may be another process's now). */
const char *ctr_boot_id (void);
bool ctr_monitor_alive (const struct ctr *c);
/* Wait up to timeout_ms for c's monitor to leave, woken by its exit (a pidfd, not 20 ms naps);
 * true when it has gone (or there was none). */
bool ctr_monitor_wait_gone (const struct ctr *c, int timeout_ms);
/* Remove the shared /capsa parent cgroup of every hierarchy when no container is left in it. */
void ctr_cgroup_parent_tidy (void);
/* Unmount the root (overlay) of a stopped container / mount it again before a start. */
int ctr_root_release (struct capsa_engine *e, const char *id, capsa_err **err);

/* Volumes (ctr_volume.c): ROOT/volumes/NAME/_data, made when missing.  *path owned; *created
 * (may be NULL): this call made it (of concurrent creators exactly one).  capsa_volume_make
 * (capsa/engine.h) is the same with labels. */
int ctr_volume_ensure (struct capsa_engine *e, const char *name, char **path, bool *created, capsa_err **err);
/* Let the root of a user-namespaced container (host gid `gid`) through ROOT/volumes/NAME, which
 * is private (store.h): the directory's group becomes gid (refused while a container of another
 * group uses the volume). */
int ctr_volume_grant (struct capsa_engine *e, const char *name, gid_t gid, capsa_err **err);

/* Every key of filters among known (NULL-terminated): else docker's "invalid filter 'k'", naming
 * the known ones (list_filter.c; the container filters' check too). */
int ctr_filter_keys_check (json_t *filters, const char *const *known, capsa_err **err);

#endif
