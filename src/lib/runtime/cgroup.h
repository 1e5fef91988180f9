/* Control groups: one interface over cgroup v1, pure v2 and hybrid hosts.
 *
 * The host is read once (cg_host_detect): every mounted hierarchy, its version, the controllers
 * it holds and this process's own cgroup in it (/proc/self/mountinfo + /proc/self/cgroup).  A
 * hybrid host is simply a host with both kinds: each controller lives in exactly one hierarchy,
 * and every operation asks "which directory holds controller X" (cg_dir_for), then uses the file
 * names of that directory's version.  So hugetlb in the unified hierarchy of a hybrid host is
 * handled as v2 while memory next to it is handled as v1.
 *
 * A container's cgroup (struct capsa_cgroup) is one directory per hierarchy.  Its path follows
 * runc: linux.cgroupsPath absolute = under each hierarchy's root; relative = under the caller's
 * own cgroup (on v2: under the parent of it, which has no processes of its own); empty = the
 * container id, relative.  cg_plan names and cg_make makes the directories (and remembers the topmost one it
 * made, so cg_destroy removes exactly what it made), cg_enter moves a pid into all of them.
 *
 * Resources (cgroup_res.c) are planned as a list of file writes per controller from the
 * linux.resources JSON, then written; a resource whose controller or file this host lacks is an
 * error naming the JSON key, the controller and the file, never a silent drop.
 *
 * Errors follow error.h.  Ownership: strings in these structs are owned by them; *_free
 * releases them.  Nothing here prints.
 */
#ifndef CAPSA_CGROUP_H
#define CAPSA_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "capsa.h"
#include "error.h"

enum cg_version
{
  CG_V1 = 1,
  CG_V2 = 2,
};

enum cg_layout
{
  CG_LAYOUT_NONE = 0, /* no cgroup filesystem mounted */
  CG_LAYOUT_V1,
  CG_LAYOUT_V2,
  CG_LAYOUT_HYBRID,
};

struct cg_hier
{
  enum cg_version version;
  char *mount;       /* mount point on the host: "/sys/fs/cgroup/memory" */
  char *root;        /* the hierarchy path mounted there ("/" normally) */
  char *controllers; /* v1: "cpu,cpuacct", "name=systemd"; v2: " cpu io memory " (space-padded) */
  char *own;         /* this process's cgroup in it: "/process_api/abc" */
};

struct cg_host
{
  enum cg_layout layout;
  struct cg_hier *h;
  size_t n;
};

int cg_host_detect (struct cg_host *host, capsa_err **err);
/* cg_host_detect keeps the cgroup mounts for a moment (a run's parent and its container's process
 * see the same): a process that joins another mount namespace forgets them. */
void cg_mounts_forget (void);
/* The host directory of this process's own cgroup in h (mount + own, less the mount's root;
 * malloc'd), NULL when that cgroup lies outside what is mounted there. */
char *cg_hier_own_dir (const struct cg_hier *h);
void cg_host_free (struct cg_host *host);
const char *cg_layout_name (enum cg_layout l);

struct cg_dir
{
  enum cg_version version;
  char *controllers; /* as in cg_hier; for v2 the controllers enabled for this directory */
  char *path;        /* absolute directory on the host */
  char *top;         /* topmost directory cg_make made, or planned to (NULL: none, never removed) */
  char *mount;       /* the hierarchy's mount point while creating (not kept in the state) */
};

struct capsa_cgroup
{
  struct cg_dir *d;
  size_t n;
};

/* The directory holding `controller` ("memory", "freezer", ...), NULL when none does. */
const struct cg_dir *cg_dir_for (const struct capsa_cgroup *cg, const char *controller);
/* The v2 directory (unified hierarchy), NULL on a pure v1 host. */
const struct cg_dir *cg_dir_v2 (const struct capsa_cgroup *cg);

/* The cgroup that process pid is in now (/proc/PID/cgroup), one directory per hierarchy of host
 * that holds it, in that file's order: version and controllers as in host's cg_hier, path the host
 * directory (a hierarchy whose mount does not reach the process's cgroup is left out), top and
 * mount NULL.  For reports: nothing is made or removed from it. */
int cg_of_pid (const struct cg_host *host, pid_t pid, struct capsa_cgroup *cg, capsa_err **err);

/* Plan the container's directories, creating nothing: each path as cg_make will make it, and
 * top = its first component missing now (NULL when it exists: joined, never removed).  `cgroups_path`
 * may be NULL or empty.  The plan is recorded before anything is made, so that a create killed at
 * any point leaves a record naming every directory it may have made (cg_destroy of a directory
 * that was never made is a no-op). */
int cg_plan (const struct cg_host *host, const char *cgroups_path, const char *id, struct capsa_cgroup *cg,
             capsa_err **err);
/* Make the planned directories; each top becomes what was really made.  On v2 every controller on
 * offer is enabled in each ancestor's cgroup.subtree_control.  On failure what it made is removed
 * (cg is still to be freed by the caller). */
int cg_make (struct capsa_cgroup *cg, capsa_err **err);
/* Move pid into every directory. */
/* Move pid into cg's v1 directories, its v2 one, or both (cgroup.procs). */
int cg_enter (const struct capsa_cgroup *cg, pid_t pid, bool v1, bool v2, capsa_err **err);
bool cg_has_v1 (const struct capsa_cgroup *cg);
/* Move the calling (single-threaded) process into cg's v1 directories without the kernel's
 * global lock, so without its grace-period wait (see cgroup.c). */
int cg_enter_self_v1 (const struct capsa_cgroup *cg, capsa_err **err);
/* Start the grace-period wait of the first cgroup.procs write early, in a helper (see cgroup.c);
 * call it as soon as a command knows it will start a container process.  Never fails. */
CAPSA_PUBLIC void capsa_cgroup_prime (void);
/* Remove the directories cg_make made (leaf first, waiting briefly for exiting tasks). */
int cg_destroy (const struct capsa_cgroup *cg, capsa_err **err);
void cg_free (struct capsa_cgroup *cg);

/* Freeze or thaw every process (v1 freezer or v2 cgroup.freeze), waiting until it holds. */
int cg_freeze (const struct capsa_cgroup *cg, bool frozen, capsa_err **err);
bool cg_is_frozen (const struct capsa_cgroup *cg);
/* Host pids of every process in the container's cgroup (*out malloc'd). */
int cg_pids (const struct capsa_cgroup *cg, pid_t **out, size_t *n, capsa_err **err);
/* Signal every process (SIGKILL on v2 uses cgroup.kill).  Thaws a frozen cgroup after signalling
 * so the signal is delivered. */
int cg_signal_all (const struct capsa_cgroup *cg, int sig, capsa_err **err);
/* true when no process is left */
bool cg_is_empty (const struct capsa_cgroup *cg);

/* State: [{"v":1,"controllers":"memory","path":"...","top":"..."}] */
json_t *cg_to_json (const struct capsa_cgroup *cg);
int cg_from_json (json_t *arr, struct capsa_cgroup *cg);

/* ---- resources: cgroup_res.c ---- */

struct cfg_resources;
/* Write linux.resources (or an update's LinuxResources, parsed by cfg_parse_resources) into the
 * container's cgroup (NULL: nothing).  `where` prefixes messages ("linux.resources" or "update"). */
int cg_apply_resources (const struct capsa_cgroup *cg, const struct cfg_resources *resources, const char *where,
                        capsa_err **err);

/* ---- v2 device filter: cgroup_bpf.c ---- */

/* Compile device rules in cgroup v1 syntax ("c 1:3 rwm", "a *:* rwm"; allow[i] their verdicts,
 * the last matching rule wins, no match = allowed) into an eBPF program and attach it to the v2
 * directory `dir` (BPF_F_ALLOW_MULTI: a parent's program still applies too). */
int cg_bpf_devices (const char *dir, const char (*rules)[96], const bool *allow, size_t n, capsa_err **err);

/* ---- statistics: cgroup_stats.c ---- */

/* runc's events "data" object: cpu, memory, pids, blkio, hugetlb. */
int cg_stats (const struct capsa_cgroup *cg, json_t **out, capsa_err **err);
/* The oom-kill counter (v2 memory.events oom_kill; v1 memory.oom_control oom_kill), -1 if unknown. */
long long cg_oom_kills (const struct capsa_cgroup *cg);

#endif
