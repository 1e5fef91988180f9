/* capsa's containers: the records the CLI keeps for each container, the monitor, the config builder.
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
  char *id;        /* full id, 64 hex */
  char *dir;       /* ROOT/containers/ID */
  char *oci_root;  /* ROOT/oci */
  json_t *meta;    /* container.json (owned) */
  json_t *run;     /* run.json (owned, {} when missing) */
  enum ctr_status status;
  pid_t pid;       /* the init when running or paused */
  int exit_code;   /* when exited; -1 unknown */
  pid_t net_owner; /* ctr_net_up: whose life holds the network lease (0: this process) */
  bool partial;    /* no complete container.json: meta is only {Id, Name}, status CTR_DEAD */
  int *port_fds;   /* ctr_net_up: the sockets reserving its published host ports (ctr_ports.c) */
  size_t nport_fds;
};

void ctr_free (struct ctr *c);
static inline void ctr_freep (struct ctr **c) { if (*c) ctr_free (*c); }
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
/* Remove a stopped container entirely: OCI state, root filesystem, name, anonymous volumes (vols). */
int ctr_remove (struct capsa_engine *e, struct ctr *c, bool force, bool vols, capsa_err **err);
/* Unmount the root (overlay) of a stopped container / mount it again before a start. */
int ctr_root_release (struct capsa_engine *e, const char *id, capsa_err **err);
int ctr_root_ensure (struct capsa_engine *e, const char *id, capsa_err **err);

/* The monitor (ctr_monitor.c).  mode: "create" (init left blocked until `start`) or "run".
 * Forks a detached monitor process, waits until the container exists (or failed: *err, and
 * *exit_code 125/126/127).  Returns 0 when the container was created/started. */
int ctr_monitor_spawn (struct capsa_engine *e, const char *id, bool create_only, int *exit_code, capsa_err **err);
/* Connect to the monitor's attach socket (src/monitor/attach_proto.h; ctr_start.c): *fd gets
 * the connection; fails when no monitor listens (the container is not running detached). */
int ctr_attach_connect (struct ctr *c, int *fd, capsa_err **err);
/* Wait until the container is exited (timeout_ms < 0: forever); 0 when it is. */
int ctr_wait_exited (struct capsa_engine *e, struct ctr *c, int timeout_ms);

/* The flags of run/create (cmd_run.c parses them, ctr_config.c turns them into an OCI config). */
struct ctr_opts
{
  bool detach, interactive, tty, rm, read_only, privileged, init, entrypoint_set, publish_all;
  const char *name, *hostname, *workdir, *user, *entrypoint, *cpuset_cpus, *restart, *stop_signal, *network;
  char **env, **volumes, **mounts, **tmpfs, **devices, **cap_add, **cap_drop, **security_opt, **ulimits,
      **sysctls, **labels, **publish;
  long long memory, memory_swap, shm_size, cpu_shares, pids_limit, blkio_weight, cpu_quota, cpu_period; /* 0: not given */
  double cpus;
  int stop_timeout; /* -1: not given */
  const char *image;
  char **cmd; /* after the image (may be empty) */
  const char *userns;           /* --userns */
  char **uidmap, **gidmap;      /* --uidmap, --gidmap */
  const struct ctr_userns *un;  /* what --userns/--uidmap resolved to (set before ctr_build) */
  const char *detach_keys;      /* --detach-keys (run -it; NULL: ctrl-p,ctrl-q) */
};

/* -m and --cpus within docker's bounds (6 MiB at least; 0.01 to the CPUs there are); 0 is not given. */
#define CTR_MIN_MEMORY (6LL << 20)
int ctr_check_limits (long long memory, double cpus, capsa_err **err);

/* The container's user namespace (ctr_userns.c), from --userns and --uidmap/--gidmap. */
struct ctr_userns
{
  bool new_ns;            /* one of its own, with uidmap/gidmap (OCI arrays, host ids as the
                           * library sees them: the shared namespace's ids when rootless) */
  bool keep_id;           /* --userns keep-id: the process runs as keep_uid:keep_gid unless -u */
  unsigned keep_uid, keep_gid;
  char *path;             /* ns:PATH: join it */
  json_t *uidmap, *gidmap;
  int lockfd;             /* auto: ROOT/userns.lock, held until the record is written; -1 */
};
int ctr_userns_resolve (struct capsa_engine *e, const struct ctr_opts *o, struct ctr_userns *u, capsa_err **err);
void ctr_userns_free (struct ctr_userns *u);
/* Add the namespace and mappings to the OCI config, UsernsMode and IDMappings to the record. */
void ctr_userns_apply (const struct ctr_opts *o, const struct ctr_userns *u, json_t *config, json_t *meta);
/* "C H S" lines (/proc/PID/uid_map's form) of an OCI mappings array (owned). */
char *ctr_userns_map_text (json_t *maps);

/* Build the OCI config (*config) and the container record (*meta) for container `id` whose root
 * filesystem is `rootfs`, from the image's config (imgcfg: the config blob) and the flags.
 * Named and anonymous volumes are created as needed. */
int ctr_build (struct capsa_engine *e, const struct ctr_opts *o, const char *id, const char *rootfs,
               const char *image_id, json_t *imgcfg, json_t **config, json_t **meta, capsa_err **err);
/* The network mode of a container run without --network (depends on rootless or not). */
const char *ctr_default_network (struct capsa_engine *e);
/* Bridge networking (ctr_net.c): a network namespace made ahead (ROOT/containers/ID/netns)
 * attached to a network, with published ports and /etc/hosts, hostname, resolv.conf. */
bool ctr_net_is_bridge (const char *network_mode);
/* ctr_build: join the namespace by path, bind-mount the etc files, record the mode. */
int ctr_net_config (struct capsa_engine *e, const char *id, const char *mode, json_t *linux_, json_t *mounts,
                    json_t *meta, capsa_err **err);
/* Before the container starts / after it has stopped for good or is removed (idempotent). */
int ctr_net_up (struct capsa_engine *e, struct ctr *c, capsa_err **err);
void ctr_net_down (struct capsa_engine *e, struct ctr *c);
void ctr_net_renamed (struct capsa_engine *e, struct ctr *c);
/* ctr_volume.c, for `system df`: the volumes, and those a container uses. */
void ctr_volume_counts (struct capsa_engine *e, int *total, int *active);
/* --network slirp4netns[:OPTS] (ctr_slirp.c): the same namespace served by slirp4netns, owned by
 * the process that ran ctr_net_up (see there).  ctr_slirp_check validates OPTS at create. */
bool ctr_net_is_slirp (const char *network_mode);
int ctr_slirp_check (const char *network_mode, capsa_err **err);
int ctr_slirp_up (struct ctr *c, capsa_err **err);
void ctr_slirp_down (struct ctr *c);
/* Hand over the slirp4netns this process started for c: returns the write end of its exit fd
 * (closing the last copy stops it), or -1 when there is none.  Afterwards ctr_slirp_down in this
 * process stops it by its pid file, as any other process would. */
int ctr_slirp_release (struct ctr *c);
/* `capsa system prune`: kill every slirp4netns whose container is gone or has no owner left. */
void ctr_slirp_prune (struct capsa_engine *e);
/* Published ports (ctr_ports.c).  reserve: bind every host port of ports (a host port 0 gets the
 * kernel's free one, written back), the sockets going to c->port_fds; the error says who has a
 * port already taken (a container, or another program).  release: close them. */
struct capsa_port;
int ctr_ports_reserve (struct capsa_engine *e, struct ctr *c, struct capsa_port *ports, size_t n, capsa_err **err);
void ctr_ports_release (struct ctr *c);
/* slirp4netns binds the host ports itself: an ephemeral one (host_port 0) is only chosen here. */
int ctr_ports_ephemeral (struct capsa_port *p, capsa_err **err);
/* docker's NetworkSettings.Ports of ports (ipv6: the container has an IPv6 address). */
json_t *ctr_ports_json (const struct capsa_port *ports, size_t n, bool ipv6);
/* run.json's Ports while the container runs (borrowed), else NULL; ps's "0.0.0.0:8080->80/tcp, ..." */
json_t *ctr_ports_live (const struct ctr *c);
char *ctr_ports_text (const struct ctr *c);
/* ctr_net.c: the namespace file ROOT/containers/ID/netns (a bind mount of an nsfs file). */
int ctr_netns_create (const char *path, capsa_err **err);
void ctr_netns_remove (const char *path);
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
/* "user[:group]" (names looked up in the container's /etc/passwd and /etc/group) -> uid, gid. */
int ctr_resolve_user (const char *rootfs, const char *spec, unsigned *uid, unsigned *gid, json_t **extra_gids,
                      capsa_err **err);
/* The share/ directory holding capabilities-default.json and seccomp-default.json. */
const char *ctr_share_dir (void);
/* Random 64-hex id. */
void ctr_new_id (char out[CTR_ID_LEN + 1]);
/* Parse "10s", "5m", "1h", an RFC 3339 time or unix seconds into unix time (ns); -1 when invalid. */
long long ctr_parse_since (const char *s);
/* Docker's container-name rule: [a-zA-Z0-9][a-zA-Z0-9_.-]* */
bool ctr_valid_name (const char *s);

#endif
