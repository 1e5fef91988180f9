/* capsa's container engine (src/engine): containers as docker keeps them — records in the store,
 * the OCI config built from an image and options, networks, user namespaces, the rootless pause
 * process, the monitor of detached containers — shared by the front ends (the `capsa` command
 * line, and the Docker API service).
 *
 * Invariants:
 *
 * - Every engine call takes the context `struct capsa_engine *e`, filled by the front end before
 *   the first call (the store root at least) and by capsa_engine_rootless_enter (the rootless
 *   fields); the engine reads it and never changes it afterwards.  Its strings are borrowed from
 *   the front end, except rundir and default_registry, which the context owns (freed with the
 *   process: a front end makes one context and keeps it).
 * - The engine never prints and never exits: it reports failures through `capsa_err **err`
 *   (error.h: a negative return, a message saying what, where and why) and leaves printing, exit
 *   codes and usage messages to the front end (warnings go to a callback it gives, as cp_tar.h's;
 *   ctr_isolation_print, the isolation report's text form, is the one printer left in
 *   src/engine).  Where a docker exit code is part of the result (125 capsa's own error, 126
 *   cannot invoke, 127 not found) the function says so.
 * - jansson's json_t is part of the engine's API: a container's record (container.json, run.json)
 *   is docker's inspect shape, held as json_t by struct ctr (src/engine/ctr.h), and options that
 *   are docker's JSON (resources of an update) are passed as json_t.  The usual jansson rules
 *   hold: a function documents whether it borrows, steals or returns a new reference.
 * - The front end is single-threaded when it calls capsa_engine_rootless_enter (setns into a user
 *   namespace requires it); the other calls make no threads of their own.
 *
 * - The engine is layered; each layer calls only those below it (no file calls back up):
 *     ctr.h          records in the store (ctr.c), volumes (ctr_volume.c)
 *     ctr_net.h      the netns file (ctr_netns.c) < ports (ctr_ports.c) < slirp4netns (ctr_slirp.c)
 *                    < bridges and the dispatch by network mode (ctr_net.c)
 *     ctr_config.h   the spec builder (ctr_config.c: a list of steps), user namespaces (ctr_userns.c)
 *     ctr_life.h     removal (ctr_remove.c), the monitor (ctr_monitor.c)
 *     engine.h       creating (ctr_create.c), starting, stopping, running, pruning (ctr_start.c),
 *                    kill, pause, update, rename, restart (ctr_ops.c), the rootless namespace
 *                    (rootless.c)
 *   The records, options and lower calls (struct ctr, struct ctr_opts, ctr_find...) are still
 *   declared in those private headers, which the CLI includes too; the calls below are the
 *   engine's public entry points, named capsa_engine_* (the engine itself) and capsa_ctr_* (one
 *   container).  A front end's command parses, makes one or a few of these calls, and prints.
 */
#ifndef CAPSA_ENGINE_H
#define CAPSA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* The exit code of capsa's own errors (docker's 125). */
#define CAPSA_ENGINE_EXIT_ERROR 125

/* A range of ids (one line of /etc/subuid or /etc/subgid). */
struct capsa_idrange
{
  unsigned long start, count;
};

/* The engine's context: where the store is, and who runs it. */
struct capsa_engine
{
  const char *root;       /* the store (ROOT/containers, ROOT/oci...): never NULL */
  char *default_registry; /* what an image name without one refers to (docker.io) */
  bool debug;
  /* Find a program installed with capsa (capsa-monitor, capsa-init): *out owned.  Set by the
   * front end, which knows where it is installed. */
  int (*libexec_path) (const char *name, char **out, capsa_err **err);
  /* What the engine honours of the environment: the front end reads it (the engine calls no
   * getenv; the Docker API service gives its own) and sets these, NULL when unset. */
  const char *xdg_runtime_dir; /* XDG_RUNTIME_DIR: where rootless runtime state goes */
  const char *share_dir;       /* CAPSA_SHARE_DIR: the default profiles, over the installed ones */
  const char *log_max_size;    /* CAPSA_LOG_MAX_SIZE: a foreground run's ctr.log (bytes, k, m, g) */
  const char *rootless_ctx;    /* CAPSA_ENGINE_ROOTLESS_ENV: a capsa started inside the namespace */
  /* rootless (set by capsa_engine_rootless_enter): when not root, once the shared user
   * namespace is joined; all zero as root */
  bool rootless;
  char *rundir;                        /* $XDG_RUNTIME_DIR/capsa or /tmp/capsa-UID */
  unsigned host_uid, host_gid;         /* the user outside */
  struct capsa_idrange subuid, subgid; /* its first /etc/subuid and /etc/subgid ranges */
};

/* What a capsa started inside the rootless namespace (by capsa-monitor, or capsa-image) needs to
 * know of the user outside, "UID:GID:RUNDIR": capsa_engine_rootless_enter puts it in the
 * environment for them, the front end gives it back in rootless_ctx. */
#define CAPSA_ENGINE_ROOTLESS_ENV "_CAPSA_ROOTLESS"

/* When not root: make the runtime directory, find or start the pause process and join its user
 * and mount namespaces (src/engine/rootless.h; the process must still be single-threaded).  Sets
 * e->rootless, e->rundir, e->host_uid/gid and e->subuid/subgid.  Nothing to do as root. */
int capsa_engine_rootless_enter (struct capsa_engine *e, capsa_err **err);

struct ctr;          /* a container's record (src/engine/ctr.h) */
struct ctr_opts;     /* what `run`/`create` were asked (src/engine/ctr_config.h) */
struct json_t;       /* jansson's json_t */
struct capsa_config; /* a parsed OCI config (capsa/runtime.h) */

/* Create a container from o (its user namespace resolved from o->userns/uidmap/gidmap; o->un is
 * left NULL): the name (--name, or a free random one), the root filesystem mounted from the
 * image, the OCI bundle and container.json; id (CTR_ID_LEN + 1 bytes) gets its id.  On failure
 * nothing is left behind.  The container is not started (capsa_ctr_start, or a monitor).  typed
 * (may be NULL): the OCI config just written, parsed from memory for a run in this process
 * (capsa_ctr_run_foreground), so the runtime does not read the file back; NULL when it does not
 * parse (the runtime then reads the file and says why). */
int capsa_ctr_create (struct capsa_engine *e, struct ctr_opts *o, char *id, struct capsa_config **typed,
                      capsa_err **err);

/* Start a created container, or a stopped one again (a new monitor).  With attach_fd, *attach_fd
 * gets a connection to its monitor's attach socket made before the container runs, so that none
 * of its output is missed (a stopped one is created, then attached, then started).  Refused for
 * a paused or half-created container. */
int capsa_ctr_start (struct capsa_engine *e, struct ctr *c, int *attach_fd, capsa_err **err);
/* Stop a container: its stop signal (Config.StopSignal, SIGTERM), then SIGKILL after timeout
 * seconds (< 0: its Config.StopTimeout, 10); no restart policy brings it back (stop-requested).
 * Waits until its monitor is gone. */
int capsa_ctr_stop (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err);
/* Run container id (created) in this process, the foreground `capsa run`: its network up, its
 * output also logged (with a tty: what the terminal shows, as stdout), until it exits; then its network down and its
 * root unmounted (rm: the container removed).  stdin is /dev/null unless interactive.  Returns its exit code, or the
 * docker code of why it could not run (126, 127, 125) with *run_err saying why; -1 with *err when it could not be
 * started (its network; recorded in run.json, removed with rm).  With a code >= 0, *err may still tell that removing or
 * unmounting it failed afterwards. */
int capsa_ctr_run_foreground (struct capsa_engine *e, const char *id, struct capsa_config *typed, bool interactive,
                              bool tty, bool rm, capsa_err **run_err, capsa_err **err);
/* Hand created container id to a monitor of its own (detached, outliving the caller): created
 * only (create_only: its init waits for capsa_ctr_start) or started.  On failure *code is the
 * docker code (125, 126, 127; 0 when unknown) and a container that never ran is removed (with rm,
 * any). */
int capsa_ctr_run_detached (struct capsa_engine *e, const char *id, bool create_only, bool rm, int *code,
                            capsa_err **err);
/* After an attached run of a --rm container ended: wait (a few seconds at most) until its monitor
 * has removed it, so that it is gone when the caller returns, as docker's is. */
void capsa_ctr_wait_removed (struct capsa_engine *e, struct ctr *c);
/* Stop (as capsa_ctr_stop), then start again. */
int capsa_ctr_restart (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err);
/* Send sig to the container's init (refused unless it runs or is paused); SIGKILL and SIGTERM
 * count as a stop asked for (no restart).  what: the container as the caller named it, for the
 * message. */
int capsa_ctr_kill (struct capsa_engine *e, struct ctr *c, const char *what, int sig, capsa_err **err);
/* Freeze (pause) or thaw every process of a running / paused container. */
int capsa_ctr_pause (struct capsa_engine *e, struct ctr *c, const char *what, bool pause, capsa_err **err);
/* Change its resources (res: an OCI linux.resources object, borrowed): live when it runs, and kept
 * for its next start in any state (HostConfig and the bundle's config.json). */
int capsa_ctr_update (struct capsa_engine *e, struct ctr *c, struct json_t *res, capsa_err **err);
/* Give it name (a valid, free name: claimed first, the old one released after). */
int capsa_ctr_rename (struct capsa_engine *e, struct ctr *c, const char *name, capsa_err **err);
/* The processes of a running or paused container, as `top` shows them: *procs (new reference) an
 * array of {Pid, PPid, Uid (host), User (its name in the container's /etc/passwd, when there is
 * one), Cmd}. */
int capsa_ctr_top (struct capsa_engine *e, struct ctr *c, const char *what, struct json_t **procs, capsa_err **err);
/* Remove every container that is not running (exited, created, dead).  report is called for
 * each: with err NULL and size the bytes its writable layer held once it is gone, or with the
 * error (borrowed: report may take it with take_ptr) when it could not be removed. */
typedef void capsa_ctr_pruned_fn (void *data, const char *id, long long size, capsa_err **err);
void capsa_ctr_prune (struct capsa_engine *e, capsa_ctr_pruned_fn *report, void *data);

/* The monitor's heavy steps (`capsa __monitor start|stopped ID`, what capsa-monitor execs for
 * what needs the library; src/engine/ctr_monitor.c).  start: fds 0-2 are the container's stdio
 * (unless it has a pty), fd 3 the monitor's report socket, which gets the result (the error too);
 * create_only leaves the init blocked until `start`, restart keeps the last run's network.
 * stopped: after each exit the runtime state goes; after the last one (final) the network and the
 * root filesystem, or the whole container when it was run with --rm.  Both return the exit
 * status of the step: 0, or CAPSA_ENGINE_EXIT_ERROR. */
int capsa_ctr_monitor_start (struct capsa_engine *e, const char *id, bool create_only, bool restart);
int capsa_ctr_monitor_stopped (struct capsa_engine *e, const char *id, bool final);

#endif
