/* OCI runtime-spec config.json, parsed and validated.
 *
 * cfg_parse_file()/cfg_parse_string() turn the JSON into a capsa_config in one pass and check
 * everything the runtime will rely on, so that later stages never meet a malformed value:
 * types, required fields, namespace types, mount option words, signal-free numeric ranges.
 * Errors name the file, the JSON path and (for syntax errors) the line and column:
 *   "config.json: line 3, column 7: ..."   or   "config.json: process.args: must be a non-empty array of strings"
 *
 * Ownership: the capsa_config owns every string and array in it; cfg_free() releases all.
 * Invariants after a successful parse:
 * - every `char *` documented "never NULL" is non-NULL; optional ones are NULL when absent;
 * - string vectors (char **) are NULL-terminated and never NULL (possibly empty) unless noted;
 * - hooks, linux.resources and linux.seccomp are typed (struct cfg_hook, cfg_resources,
 *   cfg_seccomp) and their shapes checked here; what depends on the host (a controller, a cgroup
 *   version, the names only libseccomp knows) is checked where it is applied (cgroup_res.c,
 *   seccomp_plan_make());
 * - nothing keeps the document: cfg_to_json() writes the typed config back out (what create saves
 *   beside the state), and parsing that gives the same typed config.
 */
#ifndef CAPSA_CONFIG_H
#define CAPSA_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

enum cfg_ns_type
{
  CFG_NS_PID = 0,
  CFG_NS_NETWORK,
  CFG_NS_MOUNT,
  CFG_NS_IPC,
  CFG_NS_UTS,
  CFG_NS_USER,
  CFG_NS_CGROUP,
  CFG_NS_TIME,
  CFG_NS_COUNT
};

struct cfg_namespace
{
  bool enabled; /* listed in linux.namespaces */
  char *path;   /* join this existing namespace (NULL: create a new one) */
};

struct cfg_id_map
{
  uint32_t container_id, host_id, size;
};

struct cfg_mount
{
  char *destination; /* never NULL, absolute */
  char *type;        /* may be NULL (bind mounts) */
  char *source;      /* may be NULL */
  char **options;    /* raw option words as in the config, never NULL */
  /* Derived from options by cfg_parse (see mount option table in config.c): */
  unsigned long flags;       /* MS_* flags to set (MS_RDONLY, MS_NOSUID, MS_BIND, MS_REC, ...) */
  unsigned long clear_flags; /* flags explicitly turned off (rw, suid, dev, exec, ...) */
  unsigned long propagation; /* MS_PRIVATE|MS_SHARED|MS_SLAVE|MS_UNBINDABLE, with MS_REC, or 0 */
  char *data;                /* comma-joined options that are not flags ("mode=755,size=65536k"); may be NULL */
  bool is_bind;              /* type "bind" or option bind/rbind */
  int idmap;                 /* 0, CFG_IDMAP or CFG_RIDMAP (submounts too): an idmapped bind */
  struct cfg_id_map *uid_maps, *gid_maps; /* the mount's own (runtime-spec 1.2), may be empty */
  size_t n_uid_maps, n_gid_maps;
};

enum
{
  CFG_IDMAP = 1,
  CFG_RIDMAP = 2,
};

struct cfg_rlimit
{
  int resource; /* RLIMIT_* */
  uint64_t soft, hard;
};

struct cfg_device
{
  char *path; /* never NULL, absolute */
  char type;  /* 'c', 'b', 'u' or 'p' */
  int64_t major, minor;
  bool has_mode; /* fileMode given */
  mode_t mode;   /* permission bits (fileMode), 0666 when absent */
  bool has_uid, has_gid;
  uid_t uid;
  gid_t gid;
};

struct cfg_sysctl
{
  char *key, *value;
};

struct cfg_user
{
  uid_t uid;
  gid_t gid;
  bool has_umask;
  mode_t umask;
  gid_t *additional_gids;
  size_t n_additional_gids;
};

struct cfg_caps
{
  /* Capability names as given ("CAP_SYS_ADMIN"); NULL vector = set absent from config. */
  char **bounding, **effective, **inheritable, **permitted, **ambient;
};

struct cfg_process
{
  bool terminal;
  unsigned console_height, console_width; /* consoleSize, 0 when absent */
  char **args;                            /* never NULL, at least one element */
  char **env;                             /* never NULL */
  char *cwd;                              /* never NULL, absolute */
  struct cfg_user user;
  struct cfg_caps caps;
  bool has_caps; /* process.capabilities present */
  struct cfg_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
  char *apparmor_profile, *selinux_label; /* accepted, may be NULL */
};

/* hooks.<kind>[]: runtime-spec hooks, see hooks.h for who runs which. */
enum cfg_hook_kind
{
  CFG_HOOK_PRESTART = 0,
  CFG_HOOK_CREATE_RUNTIME,
  CFG_HOOK_CREATE_CONTAINER,
  CFG_HOOK_START_CONTAINER,
  CFG_HOOK_POSTSTART,
  CFG_HOOK_POSTSTOP,
  CFG_HOOK_COUNT
};

struct cfg_hook
{
  char *path;  /* never NULL, absolute */
  char **args; /* NULL when absent (argv is then just the path) */
  char **env;  /* NULL when absent: the hook inherits the runtime's environment */
  int timeout; /* seconds, > 0; 0 when absent (no limit) */
};

struct cfg_hook_list
{
  struct cfg_hook *hooks;
  size_t n;
};

/* linux.seccomp.syscalls[].args[]: the operator is kept by name (SCMP_CMP_EQ, ...). */
struct cfg_seccomp_arg
{
  unsigned index; /* 0 to 5 */
  uint64_t value;
  bool has_value_two;
  uint64_t value_two;
  char *op; /* may be NULL (refused by seccomp_plan_make) */
};

struct cfg_seccomp_rule
{
  char **names; /* never NULL */
  char *action; /* never NULL */
  bool has_errno_ret;
  int errno_ret; /* 0 to 4095 */
  struct cfg_seccomp_arg *args;
  size_t n_args; /* at most 6 */
};

struct cfg_seccomp
{
  char *default_action; /* never NULL */
  bool has_default_errno;
  int default_errno;    /* 0 to 4095 */
  char **architectures; /* never NULL */
  char **flags;         /* never NULL */
  struct cfg_seccomp_rule *syscalls;
  size_t n_syscalls;
  char *listener_path, *listener_metadata; /* may be NULL */
};

/* linux.resources (or an update's LinuxResources): the scalar values by key, then the lists.
 * Ranges checked: memory limits and the cpu quota at least -1 (unlimited), the cpu period not
 * negative and not 0 with a quota. */
enum cfg_res_key
{
  CFG_RES_MEMORY_LIMIT = 0,
  CFG_RES_MEMORY_SWAP,
  CFG_RES_MEMORY_RESERVATION,
  CFG_RES_MEMORY_KERNEL,
  CFG_RES_MEMORY_KERNEL_TCP,
  CFG_RES_MEMORY_SWAPPINESS,
  CFG_RES_MEMORY_DISABLE_OOM_KILLER, /* boolean */
  CFG_RES_MEMORY_USE_HIERARCHY,      /* boolean */
  CFG_RES_CPU_SHARES,
  CFG_RES_CPU_QUOTA,
  CFG_RES_CPU_PERIOD,
  CFG_RES_CPU_REALTIME_RUNTIME,
  CFG_RES_CPU_REALTIME_PERIOD,
  CFG_RES_CPU_BURST,
  CFG_RES_CPU_IDLE,
  CFG_RES_CPU_CPUS, /* string */
  CFG_RES_CPU_MEMS, /* string */
  CFG_RES_PIDS_LIMIT,
  CFG_RES_BLKIO_WEIGHT,
  CFG_RES_BLKIO_LEAF_WEIGHT,
  CFG_RES_NETWORK_CLASS_ID,
  CFG_RES_COUNT
};

struct cfg_res_value
{
  bool set;  /* given (and not null) */
  int64_t i; /* integer keys */
  bool b;    /* boolean keys */
  char *s;   /* string keys (owned) */
};

struct cfg_res_weight_device
{
  int64_t major, minor;
  bool has_weight, has_leaf_weight;
  int64_t weight, leaf_weight;
};

struct cfg_res_throttle
{
  int64_t major, minor, rate;
};

enum
{
  CFG_THROTTLE_READ_BPS = 0,
  CFG_THROTTLE_WRITE_BPS,
  CFG_THROTTLE_READ_IOPS,
  CFG_THROTTLE_WRITE_IOPS,
  CFG_THROTTLE_COUNT
};

struct cfg_res_hugepage
{
  char *page_size; /* never NULL, no '/' ("2MB") */
  int64_t limit;
};

struct cfg_res_priority
{
  char *name; /* never NULL */
  int64_t priority;
};

struct cfg_res_unified
{
  char *key, *value; /* a cgroup v2 file name ("memory.high", no '/', not hidden) and its value */
};

struct cfg_res_device
{
  bool allow;
  char type;            /* 'a', 'c', 'b' or 'p' ('a' when absent) */
  char access[4];       /* r, w and m ("rwm" when absent) */
  int64_t major, minor; /* -1: any */
};

/* The sections given (bits 1 << CFG_RES_SECTION_*), even empty ones: an object that names none
 * asks for no cgroup. */
enum
{
  CFG_RES_SECTION_MEMORY = 0,
  CFG_RES_SECTION_CPU,
  CFG_RES_SECTION_PIDS,
  CFG_RES_SECTION_BLKIO,
  CFG_RES_SECTION_NETWORK,
  CFG_RES_SECTION_DEVICES,
  CFG_RES_SECTION_HUGEPAGES,
  CFG_RES_SECTION_UNIFIED,
  CFG_RES_SECTION_RDMA,
  CFG_RES_SECTION_COUNT
};

struct cfg_resources
{
  unsigned sections;
  struct cfg_res_value v[CFG_RES_COUNT];
  struct cfg_res_weight_device *weight_devices;
  size_t n_weight_devices;
  struct cfg_res_throttle *throttles[CFG_THROTTLE_COUNT];
  size_t n_throttles[CFG_THROTTLE_COUNT];
  struct cfg_res_hugepage *hugepages;
  size_t n_hugepages;
  struct cfg_res_priority *priorities; /* network.priorities */
  size_t n_priorities;
  struct cfg_res_unified *unified;
  size_t n_unified;
  struct cfg_res_device *devices; /* used when sections has CFG_RES_SECTION_DEVICES */
  size_t n_devices;
  json_t *rdma; /* rdma limits (unsupported: refused when applied), or NULL */
};

struct cfg_time_offset
{
  bool set;
  int64_t secs;
  uint32_t nanosecs;
};

struct capsa_config
{
  char *oci_version; /* never NULL */
  char *root_path;   /* root.path, never NULL (may be relative to the bundle) */
  bool root_readonly;
  char *hostname;              /* may be NULL */
  char *domainname;            /* may be NULL */
  struct cfg_process *process; /* NULL when the config has no process (not runnable by create) */
  struct cfg_mount *mounts;
  size_t n_mounts;

  /* linux.* */
  struct cfg_namespace ns[CFG_NS_COUNT];
  struct cfg_id_map *uid_maps, *gid_maps;
  size_t n_uid_maps, n_gid_maps;
  struct cfg_time_offset time_monotonic, time_boottime;
  struct cfg_device *devices;
  size_t n_devices;
  struct cfg_sysctl *sysctls;
  size_t n_sysctls;
  char *cgroups_path;               /* linux.cgroupsPath, may be NULL */
  unsigned long rootfs_propagation; /* MS_* propagation (with MS_REC when r-prefixed) or 0 */
  char **masked_paths;              /* never NULL */
  char **readonly_paths;            /* never NULL */
  char *mount_label;                /* may be NULL */
  struct cfg_seccomp *seccomp;      /* linux.seccomp, NULL when absent */
  struct cfg_resources *resources;  /* linux.resources, NULL when absent */

  struct cfg_hook_list hooks[CFG_HOOK_COUNT];
  /* annotations, as a JSON object of strings (owned reference); NULL when absent */
  json_t *annotations;
};

/* Parse a config file.  `name` is used in messages (usually the path as the user gave it). */
int cfg_parse_file (const char *path, struct capsa_config **out, capsa_err **err);
/* Parse from memory; `name` prefixes messages ("config.json"). */
int cfg_parse_string (const char *json, size_t len, const char *name, struct capsa_config **out, capsa_err **err);
/* From a document already in memory (what the engine has just built; borrowed): the same checks. */
int cfg_parse_json (json_t *doc, const char *name, struct capsa_config **out, capsa_err **err);
void cfg_free (struct capsa_config *c);
/* The config as a runtime-spec document (a new reference; NULL only when out of memory).  Only
 * what capsa reads is written: unknown properties are gone.  cfg_parse_* of it gives the same
 * typed config (tests/unit/test_config.c checks the round trip). */
json_t *cfg_to_json (const struct capsa_config *c);
/* The process alone, as runtime-spec's process object (new reference; NULL when out of memory). */
json_t *cfg_process_to_json (const struct cfg_process *p);
/* linux.seccomp alone (new reference): also the seccomp program cache's key (seccomp_filter.c). */
json_t *cfg_seccomp_to_json (const struct cfg_seccomp *sc);
/* A lone runtime-spec process object (exec --process); messages say "NAME: process.args: ...". */
int cfg_parse_process_string (const char *json, size_t len, const char *name, struct cfg_process **out,
                              capsa_err **err);
void cfg_process_free (struct cfg_process *p);

/* "pid" -> CFG_NS_PID ...; -1 when unknown. */
int cfg_ns_from_name (const char *name);
const char *cfg_ns_name (int type);      /* CFG_NS_PID -> "pid" */
int cfg_ns_clone_flag (int type);        /* CFG_NS_PID -> CLONE_NEWPID */
const char *cfg_ns_proc_name (int type); /* CFG_NS_NETWORK -> "net" (name under /proc/PID/ns) */

/* The namespace a sysctl key belongs to (CFG_NS_IPC, CFG_NS_NETWORK or CFG_NS_UTS), -1 when it is
 * not namespaced (its value is the host's).  Keys are dotted or slashed ("net/ipv4/ip_forward"). */
int cfg_sysctl_namespace (const char *key);
/* The key as a path under /proc/sys ("net.ipv4.conf.eth0/100.rp_filter" ->
 * "net/ipv4/conf/eth0.100/rp_filter") in out; -1 when it does not fit. */
int cfg_sysctl_relpath (const char *key, char *out, size_t len);
/* May a mount go at `destination` as far as /proc is concerned?  1: yes, inside /proc (a procfs on
 * /proc when is_proc, or a bind onto a file lxcfs emulates), 0: no, -1: not under /proc at all. */
int cfg_proc_mount_allowed (const char *destination, bool is_proc);

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 when unknown.  cfg_rlimit_name: the way back (NULL). */
int cfg_rlimit_from_name (const char *name);
const char *cfg_rlimit_name (int resource);
/* MS_SLAVE|MS_REC -> "rslave"; NULL when it is no propagation. */
const char *cfg_propagation_name (unsigned long propagation);
/* CFG_HOOK_PRESTART -> "prestart" (the runtime-spec key), NULL when out of range. */
const char *cfg_hook_kind_name (int kind);

/* Parse one mount option word into m (used by cfg_parse and by tests).
 * Returns 1 when the word was a flag/propagation word, 0 when it is data. */
int cfg_mount_option (const char *word, unsigned long *flags, unsigned long *clear, unsigned long *propagation);

static inline void
cfg_freep (struct capsa_config **c)
{
  if (*c)
    cfg_free (*c);
}
#define cleanup_config __attribute__ ((cleanup (cfg_freep)))

/* A LinuxResources object (linux.resources, or what `update` sends) into *out (NULL for a JSON
 * null or no object at all); `where` prefixes messages ("update.memory.limit: must be an integer").
 * Unknown or misspelt keys are refused.  cfg_parse_* call it for linux.resources. */
int cfg_parse_resources (json_t *resources, const char *where, struct cfg_resources **out, capsa_err **err);
void cfg_resources_free (struct cfg_resources *r);
/* The way back (a new reference), as cfg_to_json() writes linux.resources. */
json_t *cfg_resources_to_json (const struct cfg_resources *r);
/* The JSON key of a scalar ("memory", "limit" for CFG_RES_MEMORY_LIMIT). */
void cfg_res_key_name (enum cfg_res_key k, const char **section, const char **key);
/* The JSON key of a throttle list ("throttleReadBpsDevice"). */
const char *cfg_throttle_name (int t);

#endif
