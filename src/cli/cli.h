/* capsa: the Docker-like command line, a thin layer over the library.
 * Each subcommand lives in its own cmd_*.c with an `int cmd_NAME (struct cli_global *, int, char **)`
 * entry, listed in main.c's table (`image` has its own table in cmd_image.c); the image transfers
 * are built into capsa-image (image_main.c's table) instead.  Commands return
 * the exit status, like docker's: 0, or 125 for capsa's own errors, which they report through
 * cli_fail() (the only place that prints an error). */
#ifndef CAPSA_CLI_H
#define CAPSA_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "capsa/engine.h"
#include "error.h"
#include "store.h"

#define CLI_EXIT_ERROR CAPSA_ENGINE_EXIT_ERROR

struct cli_global
{
  /* the engine's context (capsa/engine.h): eng.root is --root (the store), eng.default_registry
   * --default-registry, or the registries config, or docker.io; eng.debug --debug; the rootless
   * fields are set once the shared user namespace is joined (capsa_engine_rootless_enter) */
  struct capsa_engine eng;
  char **insecure;              /* --insecure-registry (repeatable) plus the config's list */
  const char *registries_conf;  /* --registries-conf */
  const char *authfile;         /* --authfile: where login writes (read before ~/.docker/config.json) */
  int argc;                     /* the whole command line, global options included */
  char **argv;
};

/* Parse the global options (exits after --help/--version, usage printing the help) and load the
 * registries config: the index of the command in argv, or -1 after reporting an error. */
int cli_global_init (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *));
/* A program installed with capsa (capsa-init, capsa-image): beside the running program (the build
 * tree), else in CAPSA_LIBEXECDIR/capsa, else in ../libexec/capsa from it.  *out is owned. */
int cli_libexec_path (const char *name, char **out, capsa_err **err);
/* This command line again for another program (argv0; the strings are g's): the same global
 * options, plus the store's --root when rootless.  The array is malloc'd, NULL-terminated. */
char **cli_same_argv (struct cli_global *g, char *argv0);
/* For a command that puts a process of this program into a container: go on from a sealed copy
 * of the binary, non-dumpable (selfexe.h).  Execs once (the same command line), then returns 0
 * in the copy; -1 on failure. */
int cli_exe_protect (struct cli_global *g, capsa_err **err);
/* Run the command in capsa-image (exec, same command line, so same output and exit status); only
 * returns on failure (125). */
int cli_image_helper (struct cli_global *g, int argc, char **argv);

/* A group's subcommand that has no option parser of its own, and its usage text. */
struct cli_sub_usage
{
  const char *name;
  const char *usage;
};
/* `capsa GROUP SUB --help`, as main.c runs every request for help (it finds --help anywhere on
 * the line): print SUB's usage from subs (n of them) on stdout and return true; false when argv
 * is not that or SUB is not in subs. */
bool cli_sub_help (const struct cli_sub_usage *subs, size_t n, int argc, char **argv);

struct option;
/* getopt_long as docker's pflag parses: a long option only by its full name (getopt_long takes
 * any unique prefix: `--priv` was --privileged, `--pid host` was --pids-limit); a boolean also as
 * --NAME=true / --NAME=false (and -X=true / -X=false; false: as if not given, every boolean this
 * is used for being off by default); `-e=FOO=bar` gives "FOO=bar", as pflag does, not "=FOO=bar".
 * A rejected prefix returns '?' with argv[optind - 1] the word. */
int cli_getopt (int argc, char **argv, const char *shorts, const struct option *opts);

/* Report err (consumed) on stderr as "capsa: MESSAGE" and return 125. */
int cli_fail (capsa_err **err);
/* A usage error ("images: unknown option `--x` (see `capsa images --help`)"); returns 125. */
int cli_usage (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* Open the store at --root (reports the error itself: returns 125, or 0 with *s set). */
int cli_open_store (struct cli_global *g, struct capsa_store **s);
/* A stored full name as users write it (busybox:latest for docker.io/library/busybox:latest). */
char *cli_familiar (struct cli_global *g, const char *full);
/* Human sizes: "4.2MB" like docker. */
void cli_human_size (long long bytes, char *buf, unsigned len);
/* "3 minutes ago" from an RFC 3339 time. */
void cli_human_duration (long seconds, char *buf, unsigned len);
void cli_human_since (const char *rfc3339, char *buf, unsigned len);
/* Sort an array of objects by their RFC 3339 field key, newest first (docker's ps and images). */
/* A prune's "Are you sure you want to continue? [y/N]" (true: go on; -f/--force in argv: no question). */
bool cli_confirm (int argc, char **argv, const char *what);
/* cmd_prune.c: image prune without its question and total (system prune sums the totals). */
int cli_image_prune (struct cli_global *g, bool all, long long *reclaimed);
struct json_t;
void cli_sort_newest_first (struct json_t *arr, const char *key);
/* cmd_ctr.c: remove the stopped containers, printing docker's "Deleted Containers:" list (and
 * the errors), adding the bytes freed to *reclaimed. */
void cli_container_prune (struct cli_global *g, long long *reclaimed);
struct ctr;
/* What cli_ctr_for_each does to one container c (name: as the user gave it): 0, or -1 with *err. */
typedef int cli_ctr_fn (struct cli_global *g, struct ctr *c, const char *name, void *data, capsa_err **err);
/* cmd_ctr.c: for each of names[0..n): find the container (full id, unique id prefix or name), act
 * on it, print the name as given when print is set and act succeeded, report an error (cli_fail)
 * and go on to the next.  Returns the exit status: 0, or 125 when any of them failed. */
int cli_ctr_for_each (struct cli_global *g, char **names, int n, bool print, cli_ctr_fn *act, void *data);
/* cmd_attach.c: stream an attach connection fd (capsa_ctr_start's, consumed): output to
 * stdout/stderr, stdin in (when forward_stdin) with detach_keys ("ctrl-p,ctrl-q", NULL: docker's
 * default, "": none) and the terminal's size; with sig_proxy and no tty, the signals it gets go
 * on to the container.  Returns the container's exit code, 0 when detached, -1 on error. */
int ctr_attach_stream (struct cli_global *g, struct ctr *c, int fd, bool forward_stdin, bool sig_proxy,
                       const char *detach_keys, capsa_err **err);

/* image transfers: in capsa-image (image_main.c); `capsa` runs them through cli_image_helper */
int cmd_pull (struct cli_global *g, int argc, char **argv);
int cmd_push (struct cli_global *g, int argc, char **argv);
int cmd_login (struct cli_global *g, int argc, char **argv);
int cmd_logout (struct cli_global *g, int argc, char **argv);
int cmd_load (struct cli_global *g, int argc, char **argv);
int cmd_save (struct cli_global *g, int argc, char **argv);
int cmd_import (struct cli_global *g, int argc, char **argv);

/* images in the store */
int cmd_images (struct cli_global *g, int argc, char **argv);
int cmd_tag (struct cli_global *g, int argc, char **argv);
int cmd_rmi (struct cli_global *g, int argc, char **argv);
int cmd_inspect (struct cli_global *g, int argc, char **argv);
int cmd_prune (struct cli_global *g, int argc, char **argv);
int cmd_history (struct cli_global *g, int argc, char **argv);
int cmd_image (struct cli_global *g, int argc, char **argv);
int cmd_mount (struct cli_global *g, int argc, char **argv);
int cmd_unmount (struct cli_global *g, int argc, char **argv);

/* containers and volumes (cmd_run.c, cmd_ctr.c, cmd_logs.c, cmd_exec.c, cmd_cp.c, cmd_volume.c, cmd_system.c) */
int cmd_run (struct cli_global *g, int argc, char **argv);
int cmd_create (struct cli_global *g, int argc, char **argv);
int cmd_start (struct cli_global *g, int argc, char **argv);
int cmd_stop (struct cli_global *g, int argc, char **argv);
int cmd_restart (struct cli_global *g, int argc, char **argv);
int cmd_kill (struct cli_global *g, int argc, char **argv);
int cmd_rm (struct cli_global *g, int argc, char **argv);
int cmd_ps (struct cli_global *g, int argc, char **argv);
int cmd_exec (struct cli_global *g, int argc, char **argv);
int cmd_logs (struct cli_global *g, int argc, char **argv);
int cmd_wait (struct cli_global *g, int argc, char **argv);
int cmd_top (struct cli_global *g, int argc, char **argv);
int cmd_pause (struct cli_global *g, int argc, char **argv);
int cmd_unpause (struct cli_global *g, int argc, char **argv);
int cmd_update (struct cli_global *g, int argc, char **argv);
int cmd_stats (struct cli_global *g, int argc, char **argv);
int cmd_rename (struct cli_global *g, int argc, char **argv);
int cmd_port (struct cli_global *g, int argc, char **argv);
int cmd_cp (struct cli_global *g, int argc, char **argv);
int cmd_container (struct cli_global *g, int argc, char **argv);
int cmd_container_prune (struct cli_global *g, int argc, char **argv);
int cmd_volume (struct cli_global *g, int argc, char **argv);
int cmd_network (struct cli_global *g, int argc, char **argv);
int cmd_system (struct cli_global *g, int argc, char **argv);
int cmd_info (struct cli_global *g, int argc, char **argv);
int cmd_version (struct cli_global *g, int argc, char **argv);
int cmd_inspect_any (struct cli_global *g, int argc, char **argv);
int cmd_attach (struct cli_global *g, int argc, char **argv);
/* `capsa __monitor start|stopped`: what capsa-monitor execs for the steps that need the library */
int cmd_monitor_helper (struct cli_global *g, int argc, char **argv);

#endif
