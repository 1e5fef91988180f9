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
 *   codes and usage messages to the front end (warnings go to a callback it gives, as
 *   capsa_cp_tar_*'s; capsa_ctr_isolation_print, the isolation report's text form, is the one
 *   printer left in src/engine).  Where a docker exit code is part of the result (125 capsa's own error, 126
 *   cannot invoke, 127 not found) the function says so.
 * - jansson's json_t is part of the engine's API: a container's record (container.json, run.json)
 *   is docker's inspect shape, held as json_t by struct ctr (below), and options that
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
 *   The private headers of src/engine declare what only the engine calls (ctr_build,
 *   ctr_net_up...: ctr_ names); everything a front end calls is here, named capsa_engine_* (the
 *   engine itself), capsa_ctr_* (one container, or containers) and capsa_volume_* (named
 *   volumes), and exported (CAPSA_PUBLIC).  A front end's command parses, makes one or a few of
 *   these calls, and prints.
 * - The types keep their short names (struct ctr, enum ctr_status, struct ctr_opts, CTR_*): they
 *   are the engine's vocabulary, used on nearly every line of src/engine and the CLI, and are no
 *   symbols (the boundary, capsa.map, is about symbols); a capsa_ prefix would only lengthen them.
 */
#ifndef CAPSA_ENGINE_H
#define CAPSA_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "capsa.h"
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
  /* The program capsa-monitor executes for a container's `__monitor` steps (the front end that
   * started it runs them: capsa_ctr_monitor_main); NULL: this program.  The Docker API service
   * names `capsa`, which starts in a fifth of its own time (no HTTP or TLS library to load). */
  const char *monitor_exe;
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
CAPSA_PUBLIC int capsa_engine_rootless_enter (struct capsa_engine *e, capsa_err **err);

/* A container's record, as loaded from the store (capsa_ctr_find, capsa_ctr_load). */
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
  bool brief;      /* meta is run.json's Brief, a few fields (capsa_ctr_load_listed) */
  int *port_fds;   /* ctr_net_up: the sockets reserving its published host ports (ctr_ports.c) */
  size_t nport_fds;
};

/* Free c (its port sockets closed). */
CAPSA_PUBLIC void capsa_ctr_free (struct ctr *c);
static inline void
ctr_freep (struct ctr **c)
{
  if (*c)
    capsa_ctr_free (*c);
}
#define cleanup_ctr __attribute__ ((cleanup (ctr_freep)))

/* The flags of run/create (the front end parses them, ctr_config.c turns them into an OCI config). */
struct ctr_userns; /* what --userns/--uidmap resolved to (src/engine/ctr_config.h) */
struct ctr_opts
{
  bool detach, interactive, tty, rm, read_only, privileged, init, entrypoint_set, publish_all;
  bool stdin_once; /* Config.StdinOnce: the first attach to end its input closes the container's stdin */
  const char *name, *hostname, *workdir, *user, *entrypoint, *cpuset_cpus, *restart, *stop_signal, *network;
  char **env, **volumes, **mounts, **tmpfs, **devices, **cap_add, **cap_drop, **security_opt, **ulimits, **sysctls,
      **labels, **publish;
  long long memory, memory_swap, shm_size, cpu_shares, pids_limit, blkio_weight, cpu_quota,
      cpu_period; /* 0: not given */
  double cpus;
  int stop_timeout; /* -1: not given */
  const char *image;
  char **cmd;                  /* after the image (may be empty) */
  const char *userns;          /* --userns */
  char **uidmap, **gidmap;     /* --uidmap, --gidmap */
  const struct ctr_userns *un; /* what --userns/--uidmap resolved to (set before ctr_build) */
  const char *detach_keys;     /* --detach-keys (run -it; NULL: ctrl-p,ctrl-q) */
  /* With entrypoint_set: the entrypoint as an argv (the Docker API's array), over entrypoint;
   * empty ([]): none, and the image's Cmd is still used (dockerd's rule; --entrypoint "", the
   * API's [""], drops both). */
  char **entrypoint_argv;
  /* --network-alias: more names its network's containers resolve it by (a user network only:
   * refused on the default bridge, as docker); NULL or empty: none */
  char **aliases;
  /* --pull always|missing|never: what the front end does before create when the image is missing
   * (the engine itself never pulls); NULL: missing */
  const char *pull;
  /* The bind sources of mounts are /proc/PID/fd/N links to files the caller holds open (capsa
   * build's RUN --mount): taken as they are, not canonicalised (realpath would turn them back into
   * a path, which the runtime would resolve again later) */
  bool bind_fd_sources;
  /* issue 18 item 9, the run flags of namespaces, cgroups, process and mounts (ctr_flags.c); NULL,
   * 0 or false: not given.  pid/ipc/uts/cgroupns: docker's modes (host, container:X, private...) */
  const char *pid_mode, *ipc_mode, *uts_mode, *cgroupns_mode;
  const char *cgroup_parent, *cpuset_mems; /* --cgroup-parent PATH (the cgroup is PATH/ID), --cpuset-mems */
  char **volumes_from;                     /* --volumes-from CTR[:ro|rw] */
  char **group_add;                        /* --group-add: group names (the image's /etc/group) or gids */
  char **annotations;                      /* --annotation KEY=VALUE: OCI annotations */
  /* --device-read-bps, --device-write-bps (DEV:RATE[kmg]), --device-read-iops, --device-write-iops (DEV:N) */
  char **device_read_bps, **device_write_bps, **device_read_iops, **device_write_iops;
  long long memory_reservation; /* --memory-reservation: the soft limit */
  bool oom_kill_disable;
  bool oom_score_adj_set; /* --oom-score-adj given: oom_score_adj (-1000..1000) */
  int oom_score_adj;
  bool env_host;        /* --env-host: the front end put its whole environment before env */
  const char *cidfile;  /* --cidfile: the front end writes the id there */
  const char *platform; /* --platform OS/ARCH[/VARIANT]: the image must be of it (checked at create) */
  /* logs (issue 18, item 8): --log-driver json-file|k8s-file|none|passthrough (NULL: json-file)
   * and --log-opt KEY=VALUE (max-size, max-file, labels, env; path for k8s-file) */
  const char *log_driver;
  char **log_opts;
  /* issue 18 item 5 (DNS): --dns (resolv.conf's nameservers, over the network's DNS server),
   * --dns-search, --dns-option, --add-host NAME:IP (IP host-gateway: the network's gateway);
   * NULL or empty: none.  --ip, --ip6 (a fixed address on a user network), --mac-address */
  char **dns, **dns_search, **dns_options, **extra_hosts;
  const char *ip, *ip6, *mac_address;
  /* healthchecks (issue 18.6, ctr_health.c) */
  const char *health_cmd; /* --health-cmd: a CMD-SHELL string */
  /* --health-interval... as given, Go's durations (30s, 1m30s); NULL: the image's, else docker's */
  const char *health_interval, *health_timeout, *health_start_period, *health_start_interval;
  int health_retries;            /* 0: the image's, else 3 */
  bool no_healthcheck;           /* --no-healthcheck: Test ["NONE"] */
  const char *health_on_failure; /* none (NULL), kill, restart, stop: what the monitor does */
  char **health_test;            /* the Docker API's Healthcheck.Test as given, over health_cmd (NULL: none) */
};

struct capsa_config; /* a parsed OCI config (capsa/runtime.h) */
struct capsa_port;   /* a published port (capsa/net.h) */

/* Create a container from o (its user namespace resolved from o->userns/uidmap/gidmap; o->un is
 * left NULL): the name (--name, or a free random one), the root filesystem mounted from the
 * image, the OCI bundle and container.json; id (CTR_ID_LEN + 1 bytes) gets its id.  On failure
 * nothing is left behind.  The container is not started (capsa_ctr_start, or a monitor).  typed
 * (may be NULL): the OCI config just written, parsed from memory for a run in this process
 * (capsa_ctr_run_foreground), so the runtime does not read the file back; NULL when it does not
 * parse (the runtime then reads the file and says why). */
CAPSA_PUBLIC int capsa_ctr_create (struct capsa_engine *e, struct ctr_opts *o, char *id, struct capsa_config **typed,
                                   capsa_err **err);

/* Start a created container, or a stopped one again (a new monitor).  With attach_fd, *attach_fd
 * gets a connection to its monitor's attach socket made before the container runs, so that none
 * of its output is missed (a stopped one is created, then attached, then started).  Refused for
 * a paused or half-created container. */
CAPSA_PUBLIC int capsa_ctr_start (struct capsa_engine *e, struct ctr *c, int *attach_fd, capsa_err **err);
/* After the host rebooted (`capsa start --all-restart`, the boot hook of
 * contrib/systemd/capsa-restart.service): whether c is one a boot brings back: started before,
 * exited now (nothing of it runs), with restart policy always, or unless-stopped and not stopped
 * by the user (`capsa stop`/`kill` left stop-requested); *policy: its policy's name (borrowed).
 * capsa_ctr_start of an exited container whose monitor died first clears what that run left
 * (its lease, netns file, root mount, the unrecorded exit as 255).  Start them all (those on
 * another container's network, --network container:X, after the others): report is
 * called for each, err NULL once started (else borrowed); returns how many failed. */
CAPSA_PUBLIC bool capsa_ctr_boot_restartable (const struct ctr *c, const char **policy);
typedef void capsa_ctr_boot_fn (void *data, struct ctr *c, const char *policy, capsa_err **err);
CAPSA_PUBLIC int capsa_ctr_start_all_restart (struct capsa_engine *e, capsa_ctr_boot_fn *report, void *data);
/* Stop a container: its stop signal (Config.StopSignal, SIGTERM), then SIGKILL after timeout
 * seconds (< 0: its Config.StopTimeout, 10); no restart policy brings it back (stop-requested).
 * Waits until its monitor is gone. */
CAPSA_PUBLIC int capsa_ctr_stop (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err);
/* Run container id (created) in this process, the foreground `capsa run`: its network up, its
 * output also logged (with a tty: what the terminal shows, as stdout), until it exits; then its network down and its
 * root unmounted (rm: the container removed).  stdin is /dev/null unless interactive.  Returns its exit code, or the
 * docker code of why it could not run (126, 127, 125) with *run_err saying why; -1 with *err when it could not be
 * started (its network; recorded in run.json, removed with rm).  With a code >= 0, *err may still tell that removing or
 * unmounting it failed afterwards. */
CAPSA_PUBLIC int capsa_ctr_run_foreground (struct capsa_engine *e, const char *id, struct capsa_config *typed,
                                           bool interactive, bool tty, bool rm, capsa_err **run_err, capsa_err **err);
/* The same, but SIGINT, SIGTERM and SIGHUP to this process kill the container instead of being
 * forwarded to it, *interrupted getting the signal (0 when none came): a build's RUN. */
CAPSA_PUBLIC int capsa_ctr_run_stoppable (struct capsa_engine *e, const char *id, struct capsa_config *typed,
                                          int *interrupted, capsa_err **run_err, capsa_err **err);
/* Hand created container id to a monitor of its own (detached, outliving the caller): created
 * only (create_only: its init waits for capsa_ctr_start) or started.  On failure *code is the
 * docker code (125, 126, 127; 0 when unknown) and a container that never ran is removed (with rm,
 * any). */
CAPSA_PUBLIC int capsa_ctr_run_detached (struct capsa_engine *e, const char *id, bool create_only, bool rm, int *code,
                                         capsa_err **err);
/* After an attached run of a --rm container ended: wait (a few seconds at most) until its monitor
 * has removed it, so that it is gone when the caller returns, as docker's is. */
CAPSA_PUBLIC void capsa_ctr_wait_removed (struct capsa_engine *e, struct ctr *c);
/* Stop (as capsa_ctr_stop), then start again. */
CAPSA_PUBLIC int capsa_ctr_restart (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err);
/* Send sig to the container's init (refused unless it runs or is paused); SIGKILL and SIGTERM
 * count as a stop asked for (no restart).  what: the container as the caller named it, for the
 * message. */
CAPSA_PUBLIC int capsa_ctr_kill (struct capsa_engine *e, struct ctr *c, const char *what, int sig, capsa_err **err);
/* Freeze (pause) or thaw every process of a running / paused container. */
CAPSA_PUBLIC int capsa_ctr_pause (struct capsa_engine *e, struct ctr *c, const char *what, bool pause, capsa_err **err);
/* Change its resources (res: an OCI linux.resources object, borrowed): live when it runs, and kept
 * for its next start in any state (HostConfig and the bundle's config.json). */
CAPSA_PUBLIC int capsa_ctr_update (struct capsa_engine *e, struct ctr *c, json_t *res, capsa_err **err);
/* Give it name (a valid, free name: claimed first, the old one released after). */
CAPSA_PUBLIC int capsa_ctr_rename (struct capsa_engine *e, struct ctr *c, const char *name, capsa_err **err);
/* One sample of a running or paused container's resource use (ctr_stats.c), the numbers docker's
 * stats give: cpu_ns its CPU time, system_ns the host's (/proc/stat), online_cpus; mem_usage
 * less the inactive page cache (as the docker CLI shows it) and mem_limit (unlimited: the host's
 * memory); net_rx/net_tx summed over its namespace's interfaces but lo (networks: docker's
 * per-interface object, owned); blk_read/blk_write over every device (v1 blkio, v2 io.stat);
 * pids; raw: the runtime's data (runc's events --stats shape, owned).  ESRCH when it is not
 * running.  capsa_ctr_stats_clear frees raw and networks. */
struct capsa_ctr_stats
{
  long long read_ns; /* when (unix time) */
  unsigned long long cpu_ns, system_ns;
  int online_cpus;
  long long mem_usage, mem_limit, pids;
  unsigned long long net_rx, net_tx, blk_read, blk_write;
  json_t *raw, *networks;
};
CAPSA_PUBLIC int capsa_ctr_stats_sample (struct capsa_engine *e, struct ctr *c, struct capsa_ctr_stats *s,
                                         capsa_err **err);
CAPSA_PUBLIC void capsa_ctr_stats_clear (struct capsa_ctr_stats *s);
/* docker's CPU %: the container's CPU time over the host's between two samples, times the online
 * CPUs, times 100 (0 without prev, or when nothing moved). */
CAPSA_PUBLIC double capsa_ctr_stats_cpu_percent (const struct capsa_ctr_stats *prev, const struct capsa_ctr_stats *cur);
/* top with ps options, as docker's (ctr_top.c): the host's `ps` run with ps_args (split at spaces;
 * NULL or "": -ef), only the lines of the container's processes (by the PID column): *out (new
 * reference) docker's {Titles: [...], Processes: [[...], ...]}.  No PID column is an error
 * ("Couldn't find PID field in ps output"), as docker's.  The UID and USER columns name users as
 * the container's /etc/passwd does (opened inside its root), the number when it has none. */
CAPSA_PUBLIC int capsa_ctr_top_ps (struct capsa_engine *e, struct ctr *c, const char *what, const char *ps_args,
                                   json_t **out, capsa_err **err);
/* Remove every container that is not running (exited, created, dead) and passes filters (NULL:
 * none; capsa_prune_filters_check's label, label!, until, until being its *until).  report is called for
 * each: with err NULL and size the bytes its writable layer held once it is gone, or with the
 * error (borrowed: report may take it with take_ptr) when it could not be removed. */
typedef void capsa_ctr_pruned_fn (void *data, const char *id, long long size, capsa_err **err);
CAPSA_PUBLIC void capsa_ctr_prune (struct capsa_engine *e, json_t *filters, long long until,
                                   capsa_ctr_pruned_fn *report, void *data);

/* The monitor's heavy steps (`capsa __monitor start|stopped ID`, what capsa-monitor execs for
 * what needs the library; src/engine/ctr_monitor.c).  start: fds 0-2 are the container's stdio
 * (unless it has a pty), fd 3 the monitor's report socket, which gets the result (the error too);
 * create_only leaves the init blocked until `start`, restart keeps the last run's network.
 * stopped: after each exit the runtime state goes; after the last one (final) the network and the
 * root filesystem, or the whole container when it was run with --rm.  Both return the exit
 * status of the step: 0, or CAPSA_ENGINE_EXIT_ERROR. */
CAPSA_PUBLIC int capsa_ctr_monitor_start (struct capsa_engine *e, const char *id, bool create_only, bool restart);
CAPSA_PUBLIC int capsa_ctr_monitor_stopped (struct capsa_engine *e, const char *id, bool final);
/* The command line of those steps, argv = {"__monitor", "start"|"stopped", [--create|--restart|
 * --final,] ID}: what either front end runs when capsa-monitor executes it (the program that
 * started the monitor: `capsa`, or capsa-service).  The step's exit status, -1 for a command line
 * that is none of these. */
CAPSA_PUBLIC int capsa_ctr_monitor_main (struct capsa_engine *e, int argc, char **argv);

/* Healthchecks (ctr_health.c).  A duration in Go's syntax ("30s", "1m30s", "500ms", "0") in
 * nanoseconds; -1 when malformed or negative. */
CAPSA_PUBLIC long long capsa_duration_parse (const char *s);
/* Run running container c's healthcheck once now (an exec in it, killed when its Timeout passes),
 * as its monitor does at each interval: State.Health updated (run.json's Health), a
 * health_status event when the status changed.  *passed: this check passed; status (the new
 * State.Health.Status): healthy, unhealthy or starting.  An error when c has no healthcheck
 * (ENOENT) or is not running.  This process becomes a child subreaper (the check's process is
 * reaped here). */
CAPSA_PUBLIC int capsa_ctr_health_run (struct capsa_engine *e, struct ctr *c, bool *passed, char status[16],
                                       capsa_err **err);

/* Containers in the store (ctr.c). */
/* Find a container by full id, unique id prefix or name; the error says what to do.  A container
 * whose creation died half-way (a claimed name, a directory, a mounted root, but no complete
 * container.json) is found too, as CTR_DEAD, so that `rm` can remove it; one whose creation is
 * still in progress is EBUSY. */
CAPSA_PUBLIC int capsa_ctr_find (struct capsa_engine *e, const char *what, struct ctr **out, capsa_err **err);

/* Load container `id` (a full id) and compute its status. */
CAPSA_PUBLIC int capsa_ctr_load (struct capsa_engine *e, const char *id, struct ctr **out, capsa_err **err);
/* The same for listings (ps, the API's container list): a container its record says is running
 * (see ctr.c running_by_record) is taken as running without asking the runtime, its pid left 0.
 * With brief, meta holds only what a plain `ps` shows (Id, Name, Created, ImageName, Path, Args,
 * HostConfig.RestartPolicy), and c->brief says so. */
CAPSA_PUBLIC int capsa_ctr_load_listed (struct capsa_engine *e, const char *id, bool brief, struct ctr **out,
                                        capsa_err **err);
/* capsa_ctr_load_listed of each of ids (NULL-terminated), in order, the records read by a few
 * threads when there are many; an array of as many (NULL where one is gone), to free with
 * capsa_ctr_free_all. */
CAPSA_PUBLIC struct ctr **capsa_ctr_load_listed_all (struct capsa_engine *e, char **ids, bool brief);
CAPSA_PUBLIC void capsa_ctr_free_all (struct ctr **cs, size_t n);
/* Recompute status, pid and exit code. */
CAPSA_PUBLIC void capsa_ctr_refresh (struct capsa_engine *e, struct ctr *c);

/* Every container's full id (NULL-terminated, owned), half-created ones included. */
CAPSA_PUBLIC char **capsa_ctr_list_ids (struct capsa_engine *e);
/* Only those with a record directory: a claimed name whose creation died before it made one is
 * never running, so a list of the live ones (ps without -a) need not read every name's link. */
CAPSA_PUBLIC char **capsa_ctr_list_ids_with_dir (struct capsa_engine *e);
CAPSA_PUBLIC const char *capsa_ctr_status_name (enum ctr_status s);
/* How many containers the store has: in all, running, paused, and the rest (info, system df). */
struct capsa_ctr_counts
{
  int all, running, paused, stopped;
};
CAPSA_PUBLIC void capsa_ctr_count (struct capsa_engine *e, struct capsa_ctr_counts *n);
CAPSA_PUBLIC const char *capsa_ctr_name (const struct ctr *c);

/* Mount the root (overlay) of a stopped container again (before a start, or `cp` into it). */
CAPSA_PUBLIC int capsa_ctr_root_ensure (struct capsa_engine *e, const char *id, capsa_err **err);

/* Wait until the container is exited (timeout_ms < 0: forever); 0 when it is. */
CAPSA_PUBLIC int capsa_ctr_wait_exited (struct capsa_engine *e, struct ctr *c, int timeout_ms);

/* Named volumes (ctr_volume.c): ROOT/volumes/NAME/_data.  For `system df`: the volumes, and
 * those a container uses. */
CAPSA_PUBLIC void capsa_volume_counts (struct capsa_engine *e, int *total, int *active);

/* Make volume NAME (with labels) when missing: *path its _data (owned); *created (may be NULL):
 * this call made it (of concurrent creators exactly one). */
CAPSA_PUBLIC int capsa_volume_make (struct capsa_engine *e, const char *name, json_t *labels, char **path,
                                    bool *created, capsa_err **err);

/* volume.json of NAME (new reference; NULL when missing); every volume's name (owned strv);
 * {NAME: ID} of the volumes some container uses (new reference); the bytes NAME's data holds. */
CAPSA_PUBLIC json_t *capsa_volume_json (struct capsa_engine *e, const char *name);
CAPSA_PUBLIC char **capsa_volume_names (struct capsa_engine *e);
CAPSA_PUBLIC json_t *capsa_volume_used (struct capsa_engine *e);
CAPSA_PUBLIC long long capsa_volume_size (struct capsa_engine *e, const char *name);
/* Remove NAME (used: capsa_volume_used's; refused when in use unless force). */
CAPSA_PUBLIC int capsa_volume_remove (struct capsa_engine *e, const char *name, bool force, json_t *used,
                                      capsa_err **err);

/* Map a container exec error to docker's code: 127 not found, 126 cannot invoke, else 125. */
CAPSA_PUBLIC int capsa_ctr_exec_error_code (const capsa_err *err);
/* The share/ directory holding capabilities-default.json and seccomp-default.json. */
CAPSA_PUBLIC const char *capsa_engine_share_dir (const struct capsa_engine *e);
/* Random 64-hex id. */
CAPSA_PUBLIC void capsa_ctr_new_id (char out[CTR_ID_LEN + 1]);
/* Parse "10s", "5m", "1h", an RFC 3339 time or unix seconds into unix time (ns); -1 when invalid. */
CAPSA_PUBLIC long long capsa_ctr_parse_since (const char *s);
/* Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
CAPSA_PUBLIC bool capsa_ctr_valid_name (const char *s);

/* --platform's value: OS/ARCH[/VARIANT] (linux/amd64, linux/arm/v7), names of [a-z0-9_]. */
CAPSA_PUBLIC int capsa_platform_check (const char *platform, capsa_err **err);
/* Is the image of config blob cfg (its os, architecture, variant) of platform OS/ARCH[/VARIANT]?
 * (no VARIANT: any) */
CAPSA_PUBLIC bool capsa_platform_match (const char *platform, json_t *cfg);
/* -m and --cpus within docker's bounds (6 MiB at least; 0.01 to the CPUs there are); 0 is not given. */
#define CTR_MIN_MEMORY (6LL << 20)
CAPSA_PUBLIC int capsa_ctr_check_limits (long long memory, double cpus, capsa_err **err);
/* "user[:group]" (names looked up in the container's /etc/passwd and /etc/group) -> uid, gid. */
CAPSA_PUBLIC int capsa_ctr_resolve_user (const char *rootfs, const char *spec, unsigned *uid, unsigned *gid,
                                         json_t **extra_gids, capsa_err **err);

/* Remove a stopped container entirely: OCI state, root filesystem, name, anonymous volumes (vols). */
CAPSA_PUBLIC int capsa_ctr_remove (struct capsa_engine *e, struct ctr *c, bool force, bool vols, capsa_err **err);
/* Docker's container filters (ctr_filter.c; `ps --filter`, GET /containers/json): filters is
 * {"key": ["value", ...]} of id (a prefix), name (a part), label (K or K=V), status, exited (a
 * code), ancestor (an image name or id prefix), network, before and since (a container: made
 * before/after it; none such: nothing matches), volume (a volume name or a destination).  check:
 * an unknown key is an error ("invalid filter 'x'", as docker).  match: every key matches (a key's values: any);
 * summary (borrowed) is c's capsa_ctr_summary_json when the caller has it, NULL: made when a filter needs it. */
CAPSA_PUBLIC int capsa_ctr_filters_check (json_t *filters, capsa_err **err);
CAPSA_PUBLIC bool capsa_ctr_filter_match (struct capsa_engine *e, struct ctr *c, json_t *summary, json_t *filters);
/* Whether labels (an object) has every one of want's "K" (present) and "K=V" (equal): docker's
 * label filter, for containers, images, networks and volumes. */
CAPSA_PUBLIC bool capsa_labels_match (json_t *labels, json_t *want);

/* Docker's filters of the other lists (list_filter.c), for the command line and the service.
 * Each _check refuses a key the list does not know ("invalid filter 'x'") and a bad value
 * (dangling=maybe); each _match says whether one item passes (every key; a key's values: any).
 * images: reference (globs on the familiar name, with or without its tag: busybox:*), dangling,
 * label, before, since (an image: created before/after it; _times finds them, -1: none, ENOENT
 * "No such image").  summary: capsa_image_summary_json (its RepoTags and RepoDigests keep only
 * the names the reference filter matches). */
CAPSA_PUBLIC int capsa_image_filters_check (json_t *filters, capsa_err **err);
CAPSA_PUBLIC int capsa_image_filter_times (json_t *idx, json_t *filters, const char *default_registry,
                                           long long *before, long long *since, capsa_err **err);
CAPSA_PUBLIC bool capsa_image_filter_match (json_t *summary, bool dangling, json_t *filters, long long before,
                                            long long since);
/* the reference filter alone, on one familiar name (true: no such filter) */
CAPSA_PUBLIC bool capsa_image_ref_match (json_t *filters, const char *familiar);
/* networks: name (part of it), id (a prefix), label, driver, type=custom|builtin, dangling (a
 * custom network without containers), scope; net: docker's network object (its Containers). */
CAPSA_PUBLIC int capsa_network_filters_check (json_t *filters, capsa_err **err);
CAPSA_PUBLIC bool capsa_network_filter_match (json_t *net, json_t *filters);
/* docker's /version object (Version, ApiVersion: api_version, Os, Arch, KernelVersion,
 * Components...) and /info object (Containers, ContainersRunning, Images, Driver, DockerRootDir,
 * ServerVersion, KernelVersion, NCPU, MemTotal, SecurityOptions...): new references */
CAPSA_PUBLIC json_t *capsa_engine_version_json (const char *api_version);
CAPSA_PUBLIC json_t *capsa_engine_info_json (struct capsa_engine *e);
/* docker's network object (Name, Id, Created, Scope, Driver, EnableIPv6, IPAM, Internal,
 * Containers (with details, else empty), Options, Labels...) of capsa's network state n (the JSON
 * of capsa_network_inspect); every network so, host and none last (new references) */
CAPSA_PUBLIC json_t *capsa_network_docker_json (json_t *n, bool details);
CAPSA_PUBLIC json_t *capsa_networks_docker_json (struct capsa_engine *e, bool details);
/* host, none and the default network: docker's predefined networks */
CAPSA_PUBLIC bool capsa_network_builtin (const char *name);
/* volumes: name (part of it), label, driver, dangling (used by no container: used is
 * capsa_volume_used) */
CAPSA_PUBLIC int capsa_volume_filters_check (json_t *filters, capsa_err **err);
CAPSA_PUBLIC bool capsa_volume_filter_match (json_t *vol, json_t *used, json_t *filters);
/* prunes: label, label! (those without it are pruned), until (made before: a duration such as
 * 10m or 1h30m before now, a unix time or an RFC 3339 time; *until: unix seconds, -1: none);
 * image prune also dangling.  created: the item's creation time (unix seconds). */
CAPSA_PUBLIC int capsa_prune_filters_check (json_t *filters, bool image, long long *until, capsa_err **err);
CAPSA_PUBLIC bool capsa_prune_filter_match (json_t *labels, long long created, json_t *filters, long long until);
/* image prune (capsa_image_prune; all: unused named images too) of the images filters let go */
struct capsa_store;
CAPSA_PUBLIC int capsa_image_prune_filtered (struct capsa_store *s, bool all, json_t *filters, long long until,
                                             const char *default_registry, char ***deleted, long long *reclaimed,
                                             capsa_err **err);

/* Connect to the monitor's attach socket (capsa/attach.h; ctr_start.c): *fd gets the
 * connection; fails when no monitor listens (the container is not running detached). */
CAPSA_PUBLIC int capsa_ctr_attach_connect (struct ctr *c, int *fd, capsa_err **err);

/* Networks of containers (ctr_net.c, ctr_ports.c, ctr_slirp.c).  Whether a network mode is a
 * bridge network ("bridge" or a named network; not none, host, container:..., slirp4netns, "").  */
CAPSA_PUBLIC bool capsa_ctr_net_is_bridge (const char *network_mode);
/* Published ports: bind every host port of ports (a host port 0 gets the kernel's free one,
 * written back), the sockets going to c->port_fds; the error says who has a port already taken
 * (a container, or another program); capsa_ctr_free closes them. */
CAPSA_PUBLIC int capsa_ctr_ports_reserve (struct capsa_engine *e, struct ctr *c, struct capsa_port *ports, size_t n,
                                          capsa_err **err);
/* run.json's Ports while the container runs (borrowed), else NULL; ps's "0.0.0.0:8080->80/tcp, ..." */
CAPSA_PUBLIC json_t *capsa_ctr_ports_live (const struct ctr *c);
CAPSA_PUBLIC char *capsa_ctr_ports_text (const struct ctr *c);
/* `network connect -p` (ctr_monitor.c): hold hands the sockets reserving the new ports
 * (c->port_fds, from capsa_ctr_ports_reserve; closed here either way) to the container's monitor,
 * which holds them until release (`network disconnect`) or the container's end.  A foreground
 * run has no monitor: its ports were only checked. */
CAPSA_PUBLIC int capsa_ctr_net_hold_ports (struct ctr *c, const char *network, capsa_err **err);
CAPSA_PUBLIC void capsa_ctr_net_release_ports (struct ctr *c, const char *network);
/* Where the engine's networks are (ROOT/network and capsa's nftables table; *dir owned, what
 * env's state_dir points to). */
struct capsa_netenv;
/* `capsa __dns NETWORK` (hidden; src/engine/ctr_dns.c): the DNS server of a user network, which
 * the engine starts with fd 3 its report pipe (capsa_net_dns_serve in capsa/net.h), until the
 * network has no container left.  resolv_conf: where the host's resolvers are (NULL:
 * /etc/resolv.conf; the front end's CAPSA_DNS_RESOLV_CONF, for tests). */
CAPSA_PUBLIC int capsa_engine_dns_main (struct capsa_engine *e, const char *network, const char *resolv_conf,
                                        capsa_err **err);
CAPSA_PUBLIC struct capsa_netenv capsa_engine_netenv (const struct capsa_engine *e, char **dir);
/* `network connect` (ctr_connect.c): attach running container ct to a->network (a's ip, ip6,
 * ports and aliases as asked; the rest filled from ct), its new published ports reserved and held by its
 * monitor.  `network disconnect`: detach it, its ports there released. */
struct capsa_attach;
CAPSA_PUBLIC int capsa_ctr_net_connect (struct capsa_engine *e, struct ctr *ct, struct capsa_attach *a,
                                        capsa_err **err);
CAPSA_PUBLIC int capsa_ctr_net_disconnect (struct capsa_engine *e, struct ctr *ct, const char *network,
                                           capsa_err **err);
/* `capsa system prune`: kill every slirp4netns whose container is gone or has no owner left; how
 * many were. */
CAPSA_PUBLIC int capsa_ctr_slirp_prune (struct capsa_engine *e);

/* `capsa inspect --isolation` (ctr_isolation.c): how isolated a running container is, read live
 * from the kernel (/proc/PID/ns, uid_map/gid_map, /proc/PID/status, /proc/PID/cgroup and the
 * cgroup files, /proc/PID/mountinfo), with the bundle's config.json only for what the kernel
 * cannot tell (which paths were meant to be masked, which mounts are host binds, which devices
 * were given).  The report for container c (running or paused) as a JSON object (owned); an
 * error when the container is not running. */
CAPSA_PUBLIC int capsa_ctr_isolation (struct capsa_engine *e, struct ctr *c, json_t **out, capsa_err **err);
/* Print a report made by capsa_ctr_isolation as readable tables on stdout. */
CAPSA_PUBLIC void capsa_ctr_isolation_print (json_t *rep);

/* An O_PATH fd of the container's root as it sees "/" (cp_tar.c): a running one's through
 * /proc/PID/root (its volumes and tmpfs mounts too), a stopped one's root filesystem mounted
 * again.  Resolve paths in it with capsa_rootpath_open (capsa/util.h). */
CAPSA_PUBLIC int capsa_ctr_open_root (struct capsa_engine *e, struct ctr *c, capsa_err **err);

/* capsa cp with `-` (cp_tar.c): a tar stream of a path, and a tar stream extracted into a
 * directory.  What was left out of a copy (a device node...) is said to warn: msg is borrowed. */
typedef void capsa_cp_tar_warn_fn (const char *msg);
/* Write `name` (the tree at O_PATH fd `srcfd`, symlinks as symlinks) as a tar stream to `out`. */
CAPSA_PUBLIC int capsa_cp_tar_write (int out, int srcfd, const char *name, capsa_cp_tar_warn_fn *warn, capsa_err **err);
/* Extract the tar stream `in` into the directory `dstdir`; members named absolutely or with `..`
   are refused, and no symlink is followed on the way to a member. */
CAPSA_PUBLIC int capsa_cp_tar_extract (int in, int dstdir, capsa_cp_tar_warn_fn *warn, capsa_err **err);

/* Containers as docker shows them (ctr_view.c).  Inspect: GET /containers/{id}/json's object
 * (the record with State, NetworkSettings, LogPath filled in; new reference).  Summary: an entry
 * of GET /containers/json (Id, Names ["/name"], Image, ImageID, Command, Created (unix), Ports
 * [{IP, PrivatePort, PublicPort, Type}], Labels, State, Status, HostConfig, NetworkSettings,
 * Mounts; new reference).  Status text: "Up 3 minutes", "Exited (0) 2 seconds ago", "Created".
 * Command text: Path and Args joined (owned). */
CAPSA_PUBLIC json_t *capsa_ctr_inspect_json (struct capsa_engine *e, struct ctr *c);
CAPSA_PUBLIC json_t *capsa_ctr_summary_json (struct capsa_engine *e, struct ctr *c);
CAPSA_PUBLIC void capsa_ctr_status_text (const struct ctr *c, char *buf, size_t len);
CAPSA_PUBLIC char *capsa_ctr_command_text (json_t *meta);

/* A container's logged output (ctr_logs.c): each record that passes q goes to fn (stream 1 stdout,
 * 2 stderr; ts its RFC 3339 time with nanoseconds; text without its newline, partial when the
 * line was cut: no newline is due after it), in order.  tail: only the last N records (-1: all);
 * since_ns/until_ns (0: none) bound their times; follow: then what comes, until the container has
 * exited and its log is drained; while nothing comes, fn is called every 100 ms with stream 0
 * and text NULL.  fn returns non-zero to stop (the value is returned); 0 otherwise. */
struct capsa_log_query
{
  long long since_ns, until_ns;
  long tail;
  bool follow, no_stdout, no_stderr;
};
typedef int capsa_log_fn (void *data, int stream, const char *ts, const char *text, size_t len, bool partial);
CAPSA_PUBLIC int capsa_ctr_logs (struct capsa_engine *e, struct ctr *c, const struct capsa_log_query *q,
                                 capsa_log_fn *fn, void *data);
/* Whether c's log driver keeps what `logs` reads (json-file, k8s-file): none and passthrough are
 * ENOTSUP, "configured logging driver does not support reading" as docker says. */
CAPSA_PUBLIC int capsa_ctr_log_readable (const struct ctr *c, capsa_err **err);
/* `logs --details`: the log's attributes (--log-opt labels= and env= of c's labels and variables),
 * docker's "k=v,k2=v2" (sorted, query-escaped; "" when none); owned. */
CAPSA_PUBLIC char *capsa_ctr_log_details (const struct ctr *c);
/* docker's events (ctr_events.c): ROOT/events.log, one JSON line per event in docker's shape
 * ({status, id, from (containers), Type, Action, Actor {ID, Attributes}, scope, time, timeNano}),
 * written where the engine does the thing, so that what `capsa`, capsa-service and the monitors
 * do all appears; renamed to events.log.1 past 1 MiB.  Writing never fails the operation.
 * Append one event: type container, network, volume or image; attributes borrowed (may be NULL). */
CAPSA_PUBLIC void capsa_engine_event (struct capsa_engine *e, const char *type, const char *action, const char *id,
                                      json_t *attributes);
/* A container's event: its image, name and labels as attributes, and key=value when key. */
CAPSA_PUBLIC void capsa_ctr_event (struct capsa_engine *e, const struct ctr *c, const char *action, const char *key,
                                   const char *value);
/* An exec's: action exec_create or exec_start ("exec_start: CMD ARGS", as docker's), exec_die
 * (with exit_code); exec_id (a capsa_ctr_new_id) as execID. */
CAPSA_PUBLIC void capsa_ctr_exec_event (struct capsa_engine *e, const struct ctr *c, const char *action,
                                        char *const *args, const char *exec_id, int exit_code);
/* A network's (create, destroy, connect, disconnect: with container_id); its Actor.ID is the
 * network's name. */
CAPSA_PUBLIC void capsa_engine_net_event (struct capsa_engine *e, const char *action, const char *network,
                                          const char *container_id);
/* capsa_network_create and capsa_network_remove (capsa/net.h) of the engine's networks, with
 * their events. */
struct capsa_net_create_opts;
CAPSA_PUBLIC int capsa_engine_network_create (struct capsa_engine *e, const struct capsa_net_create_opts *o,
                                              capsa_err **err);
CAPSA_PUBLIC int capsa_engine_network_remove (struct capsa_engine *e, const char *name, bool force, capsa_err **err);
/* Whether event ev passes docker's filters ({"key": ["v", ...]}, or {"key": {"v": true}}): event,
 * type, container, network, volume, image, label (K or K=V), scope.  NULL or {}: every one. */
CAPSA_PUBLIC bool capsa_engine_event_match (json_t *ev, json_t *filters);
/* Reading the log: the events from since_ns on (< 0: only those to come), to until_ns (< 0: no
 * end), that pass filters (borrowed); with follow, those that come are waited for (inotify on
 * ROOT), until until_ns passes.  next: 1 with *ev (new reference), 0 when none came within
 * timeout_ms, -1 at the end (until passed; or, without follow, the log read). */
struct capsa_events;
CAPSA_PUBLIC int capsa_engine_events_open (struct capsa_engine *e, long long since_ns, long long until_ns, bool follow,
                                           json_t *filters, struct capsa_events **out, capsa_err **err);
CAPSA_PUBLIC int capsa_engine_events_next (struct capsa_events *it, int timeout_ms, json_t **ev);
CAPSA_PUBLIC void capsa_engine_events_close (struct capsa_events *it);
/* The same as a loop: fn gets each event (borrowed), and NULL each second none comes while
 * following; a non-zero return stops.  0, or -1 when the log cannot be read. */
typedef int capsa_event_fn (void *data, json_t *ev);
CAPSA_PUBLIC int capsa_engine_events_read (struct capsa_engine *e, long long since_ns, long long until_ns, bool follow,
                                           json_t *filters, capsa_event_fn *fn, void *data, capsa_err **err);

/* A container's changes to its image (ctr_changes.c; `docker diff`): *out (new reference) an
 * array of {Path, Kind} sorted by path, Kind 0 modified (in the image too), 1 added, 2 deleted;
 * EOPNOTSUPP for a root that is a copy (vfs), not an overlay. */
CAPSA_PUBLIC int capsa_ctr_changes (struct capsa_engine *e, struct ctr *c, json_t **out, capsa_err **err);

#endif
