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
#include "capsa/error.h"
#include "capsa/image.h"
#include "capsa/options.h"

#define CLI_EXIT_ERROR CAPSA_ENGINE_EXIT_ERROR

struct cli_global
{
  /* the engine's context (capsa/engine.h): eng.root is --root (the store), eng.default_registry
   * --default-registry, or the registries config, or docker.io; eng.debug --debug; the rootless
   * fields are set once the shared user namespace is joined (capsa_engine_rootless_enter) */
  struct capsa_engine eng;
  char **insecure;             /* --insecure-registry (repeatable) plus the config's list */
  const char *registries_conf; /* --registries-conf */
  const char *authfile;        /* --authfile: where login writes (read before ~/.docker/config.json) */
  int argc;                    /* the whole command line, global options included */
  char **argv;
};

/* `capsa system service` (cmd_service.c): executes capsa-service */
int cmd_system_service (struct cli_global *g, int argc, char **argv);

/* Parse the global options (exits after --help/--version, usage printing the help) and load the
 * registries config: the index of the command in argv, or -1 after reporting an error. */
int cli_global_init (struct cli_global *g, int argc, char **argv, void (*usage) (FILE *));
/* A front end's main(): the global options (cli_global_init), then run (g, index of the command
 * word in argv) for the exit status. */
int cli_main (int argc, char **argv, void (*usage) (FILE *), int (*run) (struct cli_global *g, int first));
/* their table (main.c prints it in the usage) */
extern const struct capsa_opt cli_global_opts[];
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
/* --filter KEY=VALUE arguments as docker's filters JSON {"KEY": ["VALUE", ...]} (*out new). */
int cli_filters (char **args, json_t **out, capsa_err **err);
/* run/create's --pull (run_pull.c): the image pulled by capsa-image when policy asks (missing,
 * the default: when the store lacks it; always; never), its output on stderr.  0, or the exit
 * status to return (the pull's error was printed). argc: the command's own, to find the global
 * options before it in g->argv. */
int cli_run_pull (struct cli_global *g, int argc, const char *image, const char *policy, const char *platform);

/* A group of commands (`capsa volume ls`): each subcommand with its own options. */
struct cli_sub
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const struct cli_spec *spec; /* its options (main.c's help rule, completion) */
  const char *help;            /* its line in the group's usage */
  bool alias;                  /* not listed (`list` for `ls`) */
};
struct cli_group
{
  const char *name;
  const struct cli_sub *subs;
  size_t n;
};
/* Run argv[1] of the group (argv[0] its name): its usage on stdout for --help or -h (0), on
 * stderr without a subcommand (125); an unknown one is a usage error. */
int cli_group_run (struct cli_global *g, const struct cli_group *grp, int argc, char **argv);
/* `capsa`'s commands (main.c), ended by a NULL name */
struct cli_command
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const char *help;              /* its line in `capsa --help`; NULL: hidden */
  const struct cli_spec *spec;   /* its options, or */
  const struct cli_group *group; /* its subcommands */
};
extern const struct cli_command cli_commands[];
/* `capsa completion bash|zsh|fish` (completion.c): the script, from the tables */
int cmd_completion (struct cli_global *g, int argc, char **argv);
extern const struct cli_spec cli_spec_completion;
/* `capsa __man DIR [STAMP]` (man.c): the manual pages, from the tables (the build runs it) */
int cmd_man (struct cli_global *g, int argc, char **argv);
extern const struct cli_spec cli_spec_man;
/* `capsa generate systemd` (cmd_generate.c) */
int cmd_generate (struct cli_global *g, int argc, char **argv);
extern const struct cli_group cli_group_generate;
extern const struct cli_group cli_group_volume, cli_group_network, cli_group_system, cli_group_container,
    cli_group_image, cli_group_healthcheck;

/* A command's options and usage (include/capsa/options.h): one table drives its parsing, its
 * --help and `capsa completion`. */
struct cli_spec
{
  const char *name;             /* "run", "volume create": as in `capsa NAME --help` */
  const char *usage;            /* what follows "Usage: capsa NAME ": "[OPTIONS] IMAGE [COMMAND] [ARG...]" */
  const char *summary;          /* a paragraph */
  const struct capsa_opt *opts; /* ended by CAPSA_O_END; its HELP entry makes --help work */
  unsigned flags;               /* CAPSA_OPT_STOP: options end at the first operand (run, exec...) */
  const char *footer;           /* printed after the options, or NULL */
};
/* Parse the command's options into base (capsa_opt_parse): the index of its first operand
 * (> 0, argv permuted as getopt_long does).  Otherwise minus what the command returns: -0 after
 * printing its --help on stdout, -125 after reporting a usage error ("capsa: ps: unknown option
 * `--al` (see `capsa ps --help`)"):  `int first = cli_parse (...); if (first <= 0) return -first;` */
int cli_parse (const struct cli_spec *spec, int argc, char **argv, void *base);
/* The table of a command without options: only -h, --help. */
extern const struct capsa_opt cli_no_options[];
/* The usage: "Usage: capsa NAME USAGE", the summary, the options, the footer. */
void cli_help (const struct cli_spec *spec, FILE *f);
/* each command's, in its cmd_*.c (main.c's table lists them for `capsa completion`) */
extern const struct cli_spec cli_spec_run, cli_spec_create, cli_spec_start, cli_spec_stop, cli_spec_restart,
    cli_spec_kill, cli_spec_rm, cli_spec_container_prune, cli_spec_ps, cli_spec_wait, cli_spec_pause, cli_spec_unpause,
    cli_spec_rename, cli_spec_port, cli_spec_top, cli_spec_update, cli_spec_stats, cli_spec_exec, cli_spec_logs,
    cli_spec_cp, cli_spec_attach, cli_spec_images, cli_spec_history, cli_spec_image_mount, cli_spec_image_unmount,
    cli_spec_image_prune, cli_spec_rmi, cli_spec_tag, cli_spec_image_inspect, cli_spec_inspect, cli_spec_version,
    cli_spec_info, cli_spec_events;

/* Report err (consumed) on stderr as "capsa: MESSAGE" and return 125. */
int cli_fail (capsa_err **err);
/* A usage error ("images: unknown option `--x` (see `capsa images --help`)"); returns 125. */
int cli_usage (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#if defined __clang_analyzer__ && !defined CLI_COMMON_C /* (it reads one file at a time) */
#define cli_fail(err) (cli_fail (err), CLI_EXIT_ERROR)
#define cli_usage(...) (cli_usage (__VA_ARGS__), CLI_EXIT_ERROR)
#endif
/* Open the store at --root (reports the error itself: returns 125, or 0 with *s set). */
int cli_open_store (struct cli_global *g, struct capsa_store **s);
/* A stored full name as users write it (busybox:latest for docker.io/library/busybox:latest). */
char *cli_familiar (struct cli_global *g, const char *full);
/* Human sizes: "4.2MB" like docker. */
void cli_human_size (long long bytes, char *buf, unsigned len);
/* "3 minutes ago" from an RFC 3339 time. */
void cli_human_since (const char *rfc3339, char *buf, unsigned len);
/* Sort an array of objects by their RFC 3339 field key, newest first (docker's ps and images). */
/* A prune's "Are you sure you want to continue? [y/N]" (true: go on; force, its -f: no question). */
bool cli_confirm (bool force, const char *what);
/* cmd_prune.c: image prune without its question and total (system prune sums the totals). */
int cli_image_prune (struct cli_global *g, bool all, struct json_t *filters, long long until, long long *reclaimed);
struct json_t;
void cli_sort_newest_first (struct json_t *arr, const char *key);
/* cmd_ctr.c: remove the stopped containers, printing docker's "Deleted Containers:" list (and
 * the errors), adding the bytes freed to *reclaimed. */
void cli_container_prune (struct cli_global *g, struct json_t *filters, long long until, long long *reclaimed);
/* the prunes' options: -f, --filter (label, label!, until) */
struct cli_prune_opts
{
  bool force, all;
  char **filters;
};
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
int cmd_build (struct cli_global *g, int argc, char **argv);
int cmd_commit (struct cli_global *g, int argc, char **argv);
int cmd_export (struct cli_global *g, int argc, char **argv);

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
int cmd_events (struct cli_global *g, int argc, char **argv);
int cmd_wait (struct cli_global *g, int argc, char **argv);
int cmd_top (struct cli_global *g, int argc, char **argv);
int cmd_diff (struct cli_global *g, int argc, char **argv);
extern const struct cli_spec cli_spec_diff, cli_spec_export;
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
int cmd_dns_helper (struct cli_global *g, int argc, char **argv);
int cmd_system (struct cli_global *g, int argc, char **argv);
int cmd_info (struct cli_global *g, int argc, char **argv);
int cmd_version (struct cli_global *g, int argc, char **argv);
int cmd_inspect_any (struct cli_global *g, int argc, char **argv);
/* one image's inspect object (cmd_inspect.c; also for the names that are images in cmd_system.c) */
struct json_t *inspect_one (struct cli_global *g, struct capsa_store *s, struct json_t *img, capsa_err **err);
struct ctr;
/* start a container of the store (cmd_run.c; also for `capsa start` and `restart` in cmd_ctr.c) */
int ctr_start (struct cli_global *g, struct ctr *c, capsa_err **err);
int cmd_attach (struct cli_global *g, int argc, char **argv);
/* `capsa healthcheck run` (cmd_healthcheck.c) */
int cmd_healthcheck (struct cli_global *g, int argc, char **argv);
/* `capsa __monitor start|stopped`: what capsa-monitor execs for the steps that need the library */
int cmd_monitor_helper (struct cli_global *g, int argc, char **argv);

/* cli_format.c: --format for the list commands.  docker's table headers of each command's fields
 * (pairs field, header: capsa_template_print_list). */
extern const char *const cli_ps_headers[],
    *const cli_images_headers[], *const cli_network_headers[], *const cli_volume_headers[], *const cli_stats_headers[];
/* rows through fmt: `json` (one object a line, as `{{json .}}`), a template or `table TEMPLATE`
 * (0, or the exit status of the error it reported: 125) */
int cli_print_rows (const char *fmt, struct json_t *rows, const char *const *headers);
/* docker's CreatedAt ("2006-01-02 15:04:05 -0700 MST", local time) from an RFC 3339 time */
void cli_docker_time (const char *rfc3339, char *buf, size_t len);
/* "a=1,b=2" (keys sorted), and strings joined by sep (both malloc'd) */
char *cli_labels_text (struct json_t *labels);
char *cli_join_strings (struct json_t *arr, const char *sep);
/* json_array_sort's comparison of strings */
int cli_cmp_json_strings (const void *a, const void *b, void *unused);
/* ps's row with docker's CLI fields (Command, CreatedAt, ID, Image, Labels, LocalVolumes, Mounts,
 * Names, Networks, Ports, RunningFor, Size, State, Status); summary: capsa_ctr_summary_json */
json_t *cli_ps_row (struct ctr *c, struct json_t *summary, bool notrunc);

#endif
