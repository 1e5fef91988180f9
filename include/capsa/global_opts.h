/* capsa — the global options of a front end (`capsa --root X run ...`, `capsa-oci --log F create ...`).
 *
 * Both front ends read their global options the same way: getopt_long in "+" mode (the first
 * non-option word is the command and ends the globals), every unknown or incomplete option an
 * error.  Each front end describes its options as a table; capsa_parse_global_opts applies it.
 *
 * The parse uses getopt's global state (optind, optarg) and sets opterr = 0: it is meant to run
 * once, first thing in main(), before the command parses its own options.
 */
#ifndef CAPSA_GLOBAL_OPTS_H
#define CAPSA_GLOBAL_OPTS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

enum capsa_gopt_kind
{
  CAPSA_GOPT_STRING, /* target is a const char **: set to the argument (not copied: it is argv's) */
  CAPSA_GOPT_LIST,   /* target is a char ***: the argument appended (a NULL-terminated strv) */
  CAPSA_GOPT_FLAG,   /* target is a bool *: set to true */
  CAPSA_GOPT_CALL,   /* call (argument or NULL, target, err) decides; a negative return ends the parse */
  CAPSA_GOPT_IGNORE, /* accepted and ignored (with its argument when has_arg): runc compatibility */
};

/* What ended the parse early: every front end has --version (-v) and --help (-h), and prints and
 * exits 0 when it sees one (later words are not read). */
enum capsa_gopt_stop
{
  CAPSA_GOPT_NO_STOP,
  CAPSA_GOPT_VERSION,
  CAPSA_GOPT_HELP,
};

struct capsa_global_opt
{
  const char *name; /* the long name, without "--"; NULL ends the table */
  int short_name;   /* a one-letter alias, 0 for none */
  bool has_arg;     /* takes a required argument */
  enum capsa_gopt_kind kind;
  void *target;
  int (*call) (const char *arg, void *target, capsa_err **err); /* CAPSA_GOPT_CALL only */
};

/* Parse argv's global options with the table opts (ended by an entry whose name is NULL) and the
 * built-in --version/-v and --help/-h.  Returns the index in argv of the first word that is not a
 * global option (argc when there is none); *stop is CAPSA_GOPT_NO_STOP then, or the built-in that
 * ended the parse.  Fails (-1) on an unknown option
 * or one that lacks its argument (*err: "unknown global option `--x`", errnum EINVAL), or with the
 * error of a CAPSA_GOPT_CALL callback.  Nothing is printed: the front end words the usage error. */
CAPSA_PUBLIC int capsa_parse_global_opts (const struct capsa_global_opt *opts, int argc, char **argv,
                                          enum capsa_gopt_stop *stop, capsa_err **err);

/* The text of a usage error, for the front end to print: "MSG (see `PROG --help`)" when cmd is
 * prog itself, "CMD: MSG (see `PROG CMD --help`)" for a command's; MSG is fmt formatted with ap
 * ("invalid usage" when that fails).  Returns a malloc'd string the caller frees. */
CAPSA_PUBLIC char *capsa_usage_vformat (const char *prog, const char *cmd, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

#endif
