/* capsa — the OCI runtime's API: what capsa-oci (runc's command line) and the capsa CLI call.
 *
 * Invariants:
 * - A container is named by (root, id): root is the runtime state directory (capsa-oci's --root,
 *   /run/capsa-oci by default), id follows runc's rule ([A-Za-z0-9_+.-]+, at most 1024 bytes).
 *   Its state lives in ROOT/ID; nothing else is kept between calls, so every call may come from a
 *   different process (create, then start from another runtime invocation).
 * - Every function follows capsa/error.h: 0 (or the documented value) on success, a negative
 *   value with *err set on failure; a failed create leaves nothing behind.
 * - json_t is part of this API (capsa/capsa.h): states and specs are runc's JSON documents.
 *   A json_t returned through an out-parameter is a new reference, owned by the caller.
 * - Functions that put a process into a container (create, run, exec) must run from a sealed
 *   copy of the program: call capsa_exe_sealed_reexec first (see below).
 */
#ifndef CAPSA_RUNTIME_H
#define CAPSA_RUNTIME_H

#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include <jansson.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

/* The container lifecycle.
 *
 * create: parse (or take, see capsa_create_opts.config) and check the bundle's config, record
 *   the container under ROOT/ID, start its init in its namespaces and leave it blocked before
 *   execve on ROOT/ID/exec.fifo; write the pid file.  Nothing is left behind when it fails.
 * start: release the init (a byte through the fifo) and remove the fifo.
 * run: create + start in one process, then (unless detached) proxy the terminal, forward
 *   signals, wait, delete, and report the exit status.
 */
/* A bundle's config parsed and typed: the library's own (src/lib/runtime/config.h), opaque here;
 * the engine builds one, capsa-oci passes none. */
struct capsa_config;

struct capsa_create_opts
{
  const char *root; /* runtime state root (--root) */
  const char *id;
  const char *bundle; /* NULL: the current directory */
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
  bool detach;          /* run only */
  bool no_cgroups;      /* --cgroup-manager disabled: no cgroup at all */
  long long *oom_kills; /* run in the foreground: set to the cgroup's oom_kill count once the
                           process has exited, before the cgroup goes (-1: unknown); may be NULL */
  /* run in the foreground: NULL, the signals this process gets are forwarded to the container;
   * else SIGINT, SIGTERM and SIGHUP kill it (SIGKILL) and *interrupted gets the signal (a
   * build's RUN, which Ctrl-C stops) */
  int *interrupted;
};

/* Release a parsed config (one capsa_ctr_create gave). */
CAPSA_PUBLIC void capsa_config_free (struct capsa_config *c);
static inline void
capsa_config_freep (struct capsa_config **c)
{
  if (*c)
    capsa_config_free (*c);
}
#define cleanup_capsa_config __attribute__ ((cleanup (capsa_config_freep)))

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

/* Running another process in an existing container (capsa-oci exec).
 *
 * The process is the runtime-spec process from --process, or the container's own process with
 * args and the flags laid on top.  It enters every namespace the container's init is in (user
 * first, mount last, then a fork so a pid or time namespace really applies), the init's root, the
 * container's cgroup (born in it on pure v2), and gets its capabilities, seccomp filter (the
 * container's linux.seccomp), rlimits, no_new_privs and user, as the init did.  In the foreground
 * the runtime proxies a pty when asked, forwards signals and returns the process's exit status;
 * with detach it returns once the process runs (pid file, console socket).
 */
struct capsa_exec_opts
{
  const char *root, *id;
  const char *process_file; /* --process FILE ("-": stdin); NULL: args and flags */
  char **args;              /* NULL-terminated; required without process_file */
  char **env;               /* extra KEY=VALUE (may be NULL) */
  const char *cwd;          /* may be NULL */
  const char *user;         /* "uid[:gid]" (may be NULL) */
  char **additional_gids;   /* decimal strings (may be NULL) */
  char **caps;              /* capabilities to add (may be NULL) */
  bool tty, detach, no_new_privs;
  const char *pid_file, *console_socket;
  int preserve_fds;
};

/* Returns 0 with *exit_status (the process's, 128+signal; 0 when detached), or -1. */
CAPSA_PUBLIC int capsa_container_exec (const struct capsa_exec_opts *o, int *exit_status, capsa_err **err);

/* The default config.json (`capsa-oci spec`) and the runtime's features document. */
/* A new reference to the default config; rootless: a user namespace mapping the caller's uid and
 * gid to root, no network namespace change, sysfs bound from the host, no cgroup limits. */
CAPSA_PUBLIC json_t *capsa_spec_default (bool rootless);
/* The runtime-spec features.md document. */
CAPSA_PUBLIC json_t *capsa_features (void);

/* Protecting capsa's binaries from the container (CVE-2019-5736).
 *
 * Between clone and execve a container's init (or a process `exec` puts into a container) runs
 * the program that made it: capsa-oci, or capsa itself, which runs containers in-process.  So
 * does a container entrypoint of "#!/proc/self/exe", which makes the kernel run that program
 * again, inside the container.  A process in the container can then hold /proc/PID/exe and,
 * once the file is no longer busy, reopen it for writing: the host's binary.
 *
 * capsa_exe_sealed_reexec() makes the program run from a sealed memfd copy of itself instead
 * (F_SEAL_WRITE|SHRINK|GROW|SEAL, named after the program), so what a container can reach is a
 * read-only copy that dies with it.  It copies the binary (in the kernel, with sendfile) and
 * execs it once; in the copy it sees the seals and only makes the process non-dumpable
 * (PR_SET_DUMPABLE 0): until it execs the container's program (the kernel resets the flag at
 * execve), a process of the container can neither ptrace it nor open its /proc files (fds,
 * memory, exe; CVE-2016-9962).  Call it only in commands that put a process into a container:
 * the copy costs an exec.
 *
 * The copy's /proc/self/exe names the memfd, not a path: capsa_exe_path() gives the path of the
 * program on the host (handed to the copy in the environment), for finding what is installed
 * beside it.
 *
 * CAPSA_UNSAFE_EXE_NO_COPY=1 in the environment turns the protection off (no copy, dumpable
 * unchanged): for the escape tests that show the attack works without it, never for real use.
 */
/* Whether CAPSA_UNSAFE_EXE_NO_COPY=1 turned the protection off (then --init binds the
 * installed capsa-init too). */
CAPSA_PUBLIC bool capsa_exe_protection_off (void);

/* Returns 0 when running from a sealed copy (now non-dumpable when root) or turned off;
 * otherwise execs the copy with argv (NULL-terminated, the program's whole command line) and
 * only returns -1 on failure. */
CAPSA_PUBLIC int capsa_exe_sealed_reexec (char **argv, capsa_err **err);

/* The host path of the running program: its own /proc/self/exe, or for a sealed copy the path
 * it was made from.  *out owned. */
CAPSA_PUBLIC int capsa_exe_path (char **out, capsa_err **err);

/* A program installed with capsa (capsa-monitor, capsa-init, capsa-image, capsa-service): beside
 * the running program (the build tree, or libexec/capsa for the programs there), else in
 * CAPSA_LIBEXECDIR/capsa, else in ../libexec/capsa from it.  *out is owned.  What front ends give
 * as struct capsa_engine's libexec_path (capsa/engine.h). */
CAPSA_PUBLIC int capsa_libexec_path (const char *name, char **out, capsa_err **err);

/* Copy the file at src to a new file dst (created 0555; fails when it exists): a program that
 * gets bind-mounted into a container, so the container never reaches the installed one. */
CAPSA_PUBLIC int capsa_exe_private_copy (const char *src, const char *dst, capsa_err **err);

/* The terminal of a foreground front end (attach, run -it): put fd in raw mode when it is a
 * terminal, the old mode kept in *s; put it back. */
struct capsa_term_saved
{
  bool saved;
  struct termios tio;
};
CAPSA_PUBLIC void capsa_term_make_raw (int fd, struct capsa_term_saved *s);
CAPSA_PUBLIC void capsa_term_restore (int fd, const struct capsa_term_saved *s);

#endif
