/* The per-layer progress lines of pull and push (on a terminal only). */
#ifndef CAPSA_CLI_PROGRESS_H
#define CAPSA_CLI_PROGRESS_H

#include "capsa/image.h"
#include "cli.h"

struct cli_progress
{
  unsigned lines;
  char **text;
  long last_ms;
  bool push; /* docker's words for a push (capsa_progress_word) */
};

void cli_progress (void *data, const struct capsa_progress *p);
void cli_progress_free (struct cli_progress *pr);
/* Options from the global flags; progress only when stderr is a terminal and not quiet. */
void cli_registry_opts (struct cli_global *g, struct capsa_registry_opts *o, bool quiet, struct cli_progress *pr);
/* --insecure of pull and push: o->insecure becomes *list, the global --insecure-registry hosts and
 * the registry of ref (everything before its first `/`); *list is the caller's to free. */
void cli_registry_insecure (struct cli_global *g, struct capsa_registry_opts *o, const char *ref, char ***list);

#endif
