/* capsa-oci: the OCI runtime command line (runc's), a thin layer over the library.
 * Each subcommand lives in its own cmd_*.c with a `int cmd_NAME (struct oci_global *, int, char **)`
 * entry, listed in main.c's table.  Commands return the process exit status; they report errors
 * through oci_fail(), which logs in the --log format and prints to stderr. */
#ifndef CAPSA_OCI_H
#define CAPSA_OCI_H

#include <stdbool.h>

#include "capsa/error.h"
#include "capsa/options.h"

struct oci_global
{
  const char *root; /* state root */
  const char *log;  /* --log, may be NULL */
  bool json_log;    /* --log-format json */
  bool debug;
  bool systemd_cgroup;
  const char *cgroup_manager; /* "cgroupfs" (default) or "disabled" */
  const char *argv0;          /* command name for messages */
};

/* Report err (consumed) and return 1. */
int oci_fail (capsa_err **err);
/* Report a usage error ("create: requires exactly 1 argument") and return 1. */
int oci_usage (const char *cmd, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* A command's option table and help (oci_parse.c). */
struct oci_cmd
{
  const char *name;             /* "create" */
  const char *usage;            /* what follows "Usage: capsa-oci NAME " */
  const char *about;            /* --help text before the options ('\n'-ended), may be NULL */
  const struct capsa_opt *opts; /* the table: capsa/options.h */
  unsigned flags;               /* CAPSA_OPT_STOP: options end at the first operand (the id) */
  int column;                   /* --help: where the options' text starts */
  unsigned style;               /* --help: CAPSA_OPT_HELP_COMPACT or 0 */
};
/* Parse argv (argv[0]: the command's name) with cmd's table into base, as runc's commands take
 * them (full option names only): the index of the first operand; 0 after printing --help; -1
 * after reporting a usage error or a failed option (exit status 1). */
int oci_parse (const struct oci_cmd *cmd, int argc, char **argv, void *base);
/* Each command's (its cmd_*.c), for main.c's table and the manual pages (oci_man.c). */
extern const struct oci_cmd oci_cmd_create, oci_cmd_run, oci_cmd_delete, oci_cmd_events, oci_cmd_exec, oci_cmd_features,
    oci_cmd_kill, oci_cmd_list, oci_cmd_pause, oci_cmd_resume, oci_cmd_ps, oci_cmd_spec, oci_cmd_start, oci_cmd_state,
    oci_cmd_update;
/* `capsa-oci __man DIR`: capsa-oci.1 and capsa-oci-COMMAND.1 (oci_man.c) from the tables; the
 * commands as main.c lists them (help: the line in the usage), ended by a NULL name. */
struct oci_command
{
  const char *name;
  int (*fn) (struct oci_global *, int, char **);
  const char *help;
  const struct oci_cmd *cmd;
};
extern const struct oci_command oci_commands[];
extern const struct capsa_opt oci_global_opts[];
int oci_man (const char *dir);
/* The check of --format table|json (list, ps). */
int oci_check_format (const char *value, capsa_err **err);

int cmd_create (struct oci_global *g, int argc, char **argv);
int cmd_start (struct oci_global *g, int argc, char **argv);
int cmd_run (struct oci_global *g, int argc, char **argv);
int cmd_state (struct oci_global *g, int argc, char **argv);
int cmd_kill (struct oci_global *g, int argc, char **argv);
int cmd_delete (struct oci_global *g, int argc, char **argv);
int cmd_list (struct oci_global *g, int argc, char **argv);
int cmd_spec (struct oci_global *g, int argc, char **argv);
int cmd_features (struct oci_global *g, int argc, char **argv);
int cmd_pause (struct oci_global *g, int argc, char **argv);
int cmd_resume (struct oci_global *g, int argc, char **argv);
int cmd_update (struct oci_global *g, int argc, char **argv);
int cmd_ps (struct oci_global *g, int argc, char **argv);
int cmd_events (struct oci_global *g, int argc, char **argv);
int cmd_exec (struct oci_global *g, int argc, char **argv);

#include "capsa/runtime.h"
/* Shared by create and run: parse their options into o; run also takes --detach.
 * Returns the index of the container id in argv, or -1 after reporting a usage error. */
int oci_parse_create_opts (struct oci_global *g, const char *cmd, bool is_run, int argc, char **argv,
                           struct capsa_create_opts *o);
/* Exactly one positional argument (the container id) at argv[first]; NULL after a usage error. */
const char *oci_one_id (const char *cmd, int argc, char **argv, int first);
#endif
