/* What the Dockerfile parser, the expander, .dockerignore and the COPY globs share (internal to
 * src/lib/build): a growing byte buffer, Go's filepath.Clean, and one pattern matcher.
 *
 * The matcher reads Go's filepath.Match syntax: `*` any run of characters but `/`, `?` one
 * character but `/`, `[...]` a class (`^` negates, `a-z` ranges, `\` escapes inside), `\c` the
 * character c.  With `doublestar` (.dockerignore, moby's patternmatcher), `**` spans components:
 * `**` followed by `/` (eaten) matches zero or more whole components, `**` at the end anything.
 * It runs as an NFA over the pattern's tokens: linear in the name for each token, no
 * backtracking blow-up.
 */
#ifndef CAPSA_BUILD_MATCH_H
#define CAPSA_BUILD_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* Invariant: after the first put, s is NUL-terminated (len bytes); the caller owns s. */
struct dbuf
{
  char *s;
  size_t len, cap;
};
void dbuf_putc (struct dbuf *b, char c);
void dbuf_put (struct dbuf *b, const char *s, size_t n);
/* s, handed to the caller ("" when nothing was put); b is empty again. */
char *dbuf_take (struct dbuf *b);

/* Go's filepath.Clean of path: "./a//b/../c/" -> "a/c", "" -> ".", "/.." -> "/".  Owned. */
char *df_clean_path (const char *path);

struct df_pattern;
/* Compile pattern; NULL when it is malformed (an unclosed or empty class, a bad range). */
struct df_pattern *df_pattern_compile (const char *pattern, bool doublestar);
void df_pattern_free (struct df_pattern *p);
bool df_pattern_match (const struct df_pattern *p, const char *name);
/* Whether pattern has an unescaped `*`, `?` or `[`. */
bool df_has_wildcards (const char *pattern);

/* Whether an exception of ig (`!dir/keep`) names something below dir, or dir itself: an excluded
 * directory is then kept (moby's archive walk does the same), for what is included again. */
struct df_ignore;
bool df_ignore_reincludes_below (const struct df_ignore *ig, const char *dir);

#endif
