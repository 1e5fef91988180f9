/* Between the two halves of the Dockerfile parser (internal to src/lib/build): dockerfile.c
 * reads lines, directives and continuations; dockerfile_args.c one instruction's keyword, flags
 * and arguments. */
#ifndef CAPSA_BUILD_DOCKERFILE_INT_H
#define CAPSA_BUILD_DOCKERFILE_INT_H

#include <stdbool.h>

#include "dockerfile.h"

struct df_parser
{
  const char *name; /* for messages: "Dockerfile" */
  struct dockerfile *df;
  capsa_err **err;
  bool seen_escape, seen_syntax, seen_check, seen_from;
};

/* "NAME:LINE: " + the message; -1. */
int df_fail_at (struct df_parser *p, unsigned line, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
bool df_is_space (char c);
/* Parse one instruction's text (continuations joined) into *in; on failure *in is left empty. */
int df_parse_instruction (struct df_parser *p, const char *text, unsigned line, struct df_instr *in);
/* Free what *in holds (not in itself). */
void df_instr_clear (struct df_instr *in);

#endif
