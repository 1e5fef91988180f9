/* capsa — option tables: one table per command drives its parsing, its --help and its shell
 * completion (the front ends `capsa` and `capsa-oci` share this parser).
 *
 * A table is an array of struct capsa_opt ended by CAPSA_O_END.  Each entry names a long option
 * (without "--"), an optional short letter, the kind of its value and where the value goes: a
 * field of the caller's struct at `offset` (the `base` handed to capsa_opt_parse), or a callback.
 *
 * The parser reads the command line as docker's pflag does:
 *  - a long option only by its full name: no unique-prefix matching (getopt_long's `--priv` for
 *    --privileged, `--pid host` for --pids-limit); an unknown one is an error;
 *  - a value as `--name VALUE` or `--name=VALUE`, `-n VALUE`, `-nVALUE` or `-n=VALUE`
 *    (`-e=FOO=bar` is "FOO=bar", not "=FOO=bar");
 *  - a boolean also as `--name=true` / `--name=false` (and `-x=true`, pflag's spellings 1, t, T,
 *    TRUE, True and their false forms too); short booleans cluster: `-it`, `-dit`, and in
 *    `-it=false` the value is the last letter's;
 *  - `--` ends the options; a lone `-` is an operand;
 *  - operands and options mix (`rm NAME -f`) unless CAPSA_OPT_STOP: commands whose operands end
 *    with a command line for a container (run, exec) stop at the first operand.
 * Values of STRING options point into argv (not copied); LIST values are copied (strv_append).
 * A command with a single option may pass that variable itself as base, its entry's offset 0
 * (`bool force; capsa_opt_parse (rm_opts, 0, argc, argv, &force, &err)`).
 * Nothing is printed: errors come back in *err, their message naming the option as the user
 * wrote it ("unknown option `--priv`", "--memory: invalid size `x` (...)").
 */
#ifndef CAPSA_OPTIONS_H
#define CAPSA_OPTIONS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "capsa/capsa.h"

struct capsa_err;

#ifndef CAPSA_PUBLIC /* (as capsa.h has it: the library's exported symbols) */
#define CAPSA_PUBLIC __attribute__ ((visibility ("default")))
#endif

enum capsa_opt_kind
{
  CAPSA_OPT_BOOL,   /* bool: no value; --x=true|false */
  CAPSA_OPT_STRING, /* const char *: the last one given */
  CAPSA_OPT_LIST,   /* char **: a NULL-terminated vector (owned strings), one per use (repeatable) */
  CAPSA_OPT_INT,    /* int, within [min, max] */
  CAPSA_OPT_INT64,  /* long long, within [min, max] */
  CAPSA_OPT_SIZE,   /* long long: bytes, a number with an optional b/k/m/g/t unit, > 0 (or -1 with
                       CAPSA_OPTF_MINUS1) */
  CAPSA_OPT_NUMBER, /* double, > 0 (--cpus 0.5) */
  CAPSA_OPT_CALL,   /* set (base, value) decides: value NULL for a flag (arg == NULL) */
  CAPSA_OPT_HELP,   /* --help: the parser stops and returns CAPSA_OPT_HELP_ASKED */
};

/* entry flags */
#define CAPSA_OPTF_HIDDEN 1u /* parsed but neither in --help nor in completions (an old alias) */
#define CAPSA_OPTF_MINUS1 2u /* SIZE: "-1" is accepted (unlimited) */

struct capsa_opt
{
  const char *name; /* long name without "--"; NULL (and letter 0) ends the table */
  char letter;      /* short name, 0 for none */
  enum capsa_opt_kind kind;
  size_t offset;      /* the field in the caller's struct (offsetof), unused by CALL and HELP */
  const char *arg;    /* the value's name in --help ("NAME"); NULL for a flag */
  const char *help;   /* --help text, "" for none; '\n' starts a continuation line; NULL: not in
                         --help (still completed: HIDDEN hides it from both) */
  long long min, max; /* INT, INT64: the accepted range */
  /* STRING, LIST: checks the value before it is stored; < 0 with *err set refuses it */
  int (*check) (const char *value, struct capsa_err **err);
  /* CALL: stores the value itself.  Returns 0, CAPSA_OPT_USAGE (the value is wrong: a usage
   * error) or CAPSA_OPT_FAIL (something else failed, e.g. reading --env-file), *err set. */
  int (*set) (void *base, const char *value, struct capsa_err **err);
  unsigned flags; /* CAPSA_OPTF_* */
};

/* Table entries.  L: short letter or 0; N: long name; T, F: the struct and its field; extra
 * designated initializers may follow (`.check = fn`, `.flags = CAPSA_OPTF_HIDDEN`). */
#define CAPSA_O_BOOL(L, N, T, F, HELP, ...)                                                                            \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_BOOL, .offset = offsetof (T, F), .help = HELP, __VA_ARGS__               \
  }
#define CAPSA_O_STR(L, N, T, F, ARG, HELP, ...)                                                                        \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_STRING, .offset = offsetof (T, F), .arg = ARG, .help = HELP, __VA_ARGS__ \
  }
#define CAPSA_O_LIST(L, N, T, F, ARG, HELP, ...)                                                                       \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_LIST, .offset = offsetof (T, F), .arg = ARG, .help = HELP, __VA_ARGS__   \
  }
#define CAPSA_O_INT(L, N, T, F, MIN, MAX, ARG, HELP, ...)                                                              \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_INT, .offset = offsetof (T, F), .arg = ARG, .help = HELP, .min = MIN,    \
    .max = MAX, __VA_ARGS__                                                                                            \
  }
#define CAPSA_O_INT64(L, N, T, F, MIN, MAX, ARG, HELP, ...)                                                            \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_INT64, .offset = offsetof (T, F), .arg = ARG, .help = HELP, .min = MIN,  \
    .max = MAX, __VA_ARGS__                                                                                            \
  }
#define CAPSA_O_SIZE(L, N, T, F, ARG, HELP, ...)                                                                       \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_SIZE, .offset = offsetof (T, F), .arg = ARG, .help = HELP, __VA_ARGS__   \
  }
#define CAPSA_O_NUMBER(L, N, T, F, ARG, HELP, ...)                                                                     \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_NUMBER, .offset = offsetof (T, F), .arg = ARG, .help = HELP, __VA_ARGS__ \
  }
/* ARG NULL: a flag (set gets value NULL) */
#define CAPSA_O_CALL(L, N, FN, ARG, HELP, ...)                                                                         \
  {                                                                                                                    \
    .name = N, .letter = L, .kind = CAPSA_OPT_CALL, .set = FN, .arg = ARG, .help = HELP, __VA_ARGS__                   \
  }
#define CAPSA_O_HELP(L)                                                                                                \
  {                                                                                                                    \
    .name = "help", .letter = L, .kind = CAPSA_OPT_HELP                                                                \
  }
#define CAPSA_O_END                                                                                                    \
  {                                                                                                                    \
    0                                                                                                                  \
  }

/* capsa_opt_parse flags */
#define CAPSA_OPT_STOP 1u /* options end at the first operand (its own options follow it) */
#define CAPSA_OPT_GLOBAL                                                                                               \
  2u /* a front end's global options, before the command: an unknown one is                                            \
        "unknown global option `--x`" (with STOP: the command ends them) */

/* Parse argv[1..argc) (argv[0] is the command's name) into base.  Operands keep their order
 * and are moved after the options, as getopt_long permutes argv: the return value is the index
 * of the first operand (argc when there is none).  Otherwise:
 *   CAPSA_OPT_HELP_ASKED  a HELP option was met (nothing after it was read);
 *   CAPSA_OPT_USAGE       the command line is wrong (unknown option, missing or invalid value);
 *   CAPSA_OPT_FAIL        a CALL option's callback failed otherwise;
 * with *err set for the last two.  Fields of options that were given are overwritten, the
 * others are left as they were (set defaults before).  LIST fields must be NULL or a vector
 * (owned by the caller, also on failure). */
#define CAPSA_OPT_HELP_ASKED 0
#define CAPSA_OPT_USAGE (-1)
#define CAPSA_OPT_FAIL (-2)
CAPSA_PUBLIC int capsa_opt_parse (const struct capsa_opt *opts, unsigned flags, int argc, char **argv, void *base,
                                  struct capsa_err **err);

/* The option of a table by long name (full name only), or NULL. */
CAPSA_PUBLIC const struct capsa_opt *capsa_opt_find (const struct capsa_opt *opts, const char *name);
/* The option of a table by short letter, or NULL. */
CAPSA_PUBLIC const struct capsa_opt *capsa_opt_find_letter (const struct capsa_opt *opts, char letter);
/* Whether the option takes a value (`--name VALUE`): every kind but BOOL, HELP and flag CALLs. */
CAPSA_PUBLIC bool capsa_opt_takes_value (const struct capsa_opt *o);

/* --help style */
#define CAPSA_OPT_HELP_COMPACT 1u /* no column for the short letters: "  --root DIR", "  -v, --version" */
/* The table's options as help lines, one per shown option (HIDDEN ones and those without help,
 * CAPSA_O_HELP's included, are left out): "  -m, --memory BYTES         memory limit", the text at `column`
 * (two spaces after a longer left part), its continuation lines at `column` too. */
CAPSA_PUBLIC void capsa_opt_help (FILE *f, const struct capsa_opt *opts, int column, unsigned style);

/* Manual pages (roff, man(7)) from the tables, for the front ends' page writers: text escaped for
 * roff (backslashes, dashes, a control character at a line's start; '\n' starts a new line); a
 * page's head (.TH of PAGE in capitals, program its footer: "capsa 0.1.0", then NAME: "PAGE \-
 * ONELINE"); and a section TITLE of the options --help shows (the same ones, with their help),
 * left out when there is none. */
CAPSA_PUBLIC void capsa_opt_man_text (FILE *f, const char *s);
CAPSA_PUBLIC void capsa_opt_man_head (FILE *f, const char *page, const char *program, const char *oneline);
CAPSA_PUBLIC void capsa_opt_man (FILE *f, const struct capsa_opt *opts, const char *title);

/* The text of a usage error, for the front end to print: "MSG (see `PROG --help`)" when cmd is
 * prog itself (a global option's or the command word's), "CMD: MSG (see `PROG CMD --help`)" for
 * a command's; MSG is fmt formatted with ap ("invalid usage" when that fails).  Returns a
 * malloc'd string the caller frees. */
CAPSA_PUBLIC char *capsa_usage_vformat (const char *prog, const char *cmd, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));

#endif
