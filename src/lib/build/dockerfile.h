/* Dockerfiles (and Containerfiles): the parser, the word expander and .dockerignore patterns, as
 * docker's classic builder and buildah read them (moby's frontend/dockerfile/parser, shell lexer
 * and patternmatcher are the reference).  Pure: no file system access but what the caller hands
 * in (ignore patterns and globs read a context directory through an fd).  The executor is
 * src/engine/build*.c.
 *
 * Messages name the file and the line: "Dockerfile:7: unknown instruction: FORM".
 */
#ifndef CAPSA_DOCKERFILE_H
#define CAPSA_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

enum df_kind
{
  DF_FROM,
  DF_RUN,
  DF_CMD,
  DF_LABEL,
  DF_MAINTAINER,
  DF_EXPOSE,
  DF_ENV,
  DF_ADD,
  DF_COPY,
  DF_ENTRYPOINT,
  DF_VOLUME,
  DF_USER,
  DF_WORKDIR,
  DF_ARG,
  DF_ONBUILD,
  DF_STOPSIGNAL,
  DF_HEALTHCHECK,
  DF_SHELL,
};

/* A `--name=value` flag before the arguments (`--from=build`, `--chown=1:1`, `--mount=type=...`,
 * HEALTHCHECK's `--interval=5s`); a flag given without `=` has value "" (`--link`). */
struct df_flag
{
  char *name; /* "from" */
  char *value;
};

/* One instruction.  Arguments are kept as written (raw words): the executor expands them with
 * df_expand_word when the instruction is one docker expands (ADD COPY ENV EXPOSE FROM LABEL
 * STOPSIGNAL USER VOLUME WORKDIR ARG ONBUILD-no), with the variables of that point of the build.
 *
 *   exec form (json true): RUN CMD ENTRYPOINT SHELL HEALTHCHECK-CMD, and COPY/ADD/VOLUME given a
 *     JSON array: args are the array's strings (JSON escapes decoded).
 *   shell form: RUN CMD ENTRYPOINT (and HEALTHCHECK CMD): args is one string, the command as
 *     written with the line continuations removed (the escape character and the newline go).
 *     CMD or ENTRYPOINT without arguments is the exec form `[]` (docker and buildah take it).
 *   ENV LABEL: args alternate KEY, VALUE: `ENV a=1 b="x y"` gives a, 1, b, "x y" (the quotes
 *     kept for the expander); the old form `ENV KEY rest of line` gives KEY, "rest of line".
 *     ENV without a value, or a LABEL without `=`, is an error.
 *   ARG: one or more NAME or NAME=default words.
 *   FROM: IMAGE, or IMAGE AS NAME (args IMAGE, "AS", NAME; `as` in any case).  --platform is a
 *     flag.
 *   MAINTAINER STOPSIGNAL USER WORKDIR: one string, the rest of the line (trimmed).
 *   everything else (COPY ADD EXPOSE VOLUME shell forms): words split on unquoted white space.
 *   ONBUILD: sub is the trigger, parsed (not ONBUILD, FROM or MAINTAINER); original keeps
 *     "ONBUILD RUN x", trigger_text "RUN x" (the image config's OnBuild keeps that text).
 *   HEALTHCHECK: health_none for NONE; otherwise the CMD as RUN's forms; flags --interval,
 *     --timeout, --start-period, --retries.
 */
struct df_instr
{
  enum df_kind kind;
  const char *keyword; /* "RUN" (static) */
  unsigned line;       /* where it starts, 1-based */
  char *original;      /* the instruction's text, continuations joined: messages and history */
  struct df_flag *flags;
  size_t nflags;
  bool json;
  char **args; /* NULL-terminated */
  struct df_instr *sub;
  char *trigger_text;
  bool health_none;
};

struct dockerfile
{
  char *name;   /* as given to df_parse ("Dockerfile", "-" shown as "Dockerfile") */
  char escape;  /* '\\' or '`' (the `# escape=` directive) */
  char *syntax; /* the `# syntax=` directive, NULL when none (ignored, as the classic builder) */
  struct df_instr *instrs;
  size_t n;
};

/* Parse a Dockerfile's text.  Rules (docker's): parser directives only in the first comment lines
 * (`# escape=\` or `` ` ``, `# syntax=...`), before any other line; comments are lines whose
 * first non-blank character is `#` (also inside a continued instruction, where they are
 * dropped); an instruction continues while its line ends with the escape character (blank
 * lines inside a continuation are skipped); keywords in any case.  The first instruction other
 * than ARG must be FROM.  Errors: unknown instruction, a keyword without its arguments, a bad
 * flag for the instruction (COPY: --from --chown --chmod --link; ADD: --chown --chmod --link
 * --checksum; RUN: --mount --network --security; FROM: --platform; HEALTHCHECK: its four),
 * malformed JSON where a JSON array was clearly meant (docker falls back to the shell form for
 * anything not starting with `[`), "FROM a AS" (no name) and the like: each names
 * name:LINE and the instruction. */
int df_parse (const char *text, size_t len, const char *name, struct dockerfile *out, capsa_err **err);
void df_free (struct dockerfile *df);
#define cleanup_dockerfile __attribute__ ((cleanup (df_free)))

/* The value of flag `name` of an instruction (the last one given), NULL when absent; and all
 * values of a repeatable one (--mount) as a NULL-terminated array (owned, strings borrowed). */
const char *df_flag (const struct df_instr *in, const char *name);
const char **df_flags_all (const struct df_instr *in, const char *name);

/* A variable's value for the expander: NULL when unset. */
typedef const char *df_lookup_fn (void *data, const char *name);

/* Expand one word as docker's shell lexer does (moby's shell.Lex.ProcessWord): $NAME and ${NAME};
 * ${NAME:-word} ${NAME-word} (default), ${NAME:+word} ${NAME+word} (alternative), ${NAME:?msg}
 * ${NAME?msg} (an error naming NAME and msg when unset/empty); the words inside are expanded too.
 * Quotes are removed: '...' literal, "..." expands $ and keeps the escape only before `"`, `$`,
 * the escape itself; outside quotes the escape character makes the next one literal.  An
 * unset variable expands to "".  An unterminated quote or ${ is an error.  *out owned. */
int df_expand_word (const char *word, char escape, df_lookup_fn *lookup, void *data, char **out, capsa_err **err);

/* .dockerignore / .containerignore (moby's patternmatcher): one pattern per line, `#` comments,
 * blank lines skipped, each pattern cleaned (filepath.Clean: `./a//b/` -> `a/b`, a leading `/`
 * dropped); `!` makes an exception; the last matching pattern decides; `*` `?` `[...]` match
 * within one path component, `**` any number of components; a pattern also matches everything
 * below what it matches (`dir` excludes dir/a/b). */
struct df_ignore;
int df_ignore_parse (const char *text, size_t len, struct df_ignore **out, capsa_err **err);
void df_ignore_free (struct df_ignore *ig);
/* Whether rel (a clean path relative to the context, no leading `/`) is excluded.  NULL ig:
 * nothing is. */
bool df_ignore_excluded (const struct df_ignore *ig, const char *rel);
/* Whether ig has exceptions (`!`): an excluded directory must then still be walked, as
 * something below it may be included again. */
bool df_ignore_has_exceptions (const struct df_ignore *ig);

/* The sources of COPY/ADD: the paths of context directory ctxfd (an O_PATH or O_DIRECTORY fd)
 * that pattern matches (docker's filepath.Match per component: `*`, `?`, `[...]`, `\` escapes;
 * a leading `/` or `./` is the context's root), sorted, relative ("." for the root), the
 * excluded ones (ig) left out.  Resolved inside the context: a pattern with `..` that climbs
 * out of it is an error ("forbidden path outside the build context: ../x"), and no symlink
 * is followed out of it.  A pattern without wildcards names one path, which must exist; a
 * pattern matching nothing is an error too ("no source files were specified": docker's and
 * buildah's "file not found in build context or excluded by .dockerignore").  *out owned. */
int df_glob (int ctxfd, const char *pattern, const struct df_ignore *ig, char ***out, capsa_err **err);

#endif
