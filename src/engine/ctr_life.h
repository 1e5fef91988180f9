/* The lifecycle under capsa/engine.h's entry points: removal (ctr_remove.c), the monitor of a
 * detached container (ctr_monitor.c) and its attach socket (ctr_start.c).  Over ctr.h and
 * ctr_net.h. */
#ifndef CAPSA_ENGINE_CTR_LIFE_H
#define CAPSA_ENGINE_CTR_LIFE_H

#include "ctr.h"

/* The monitor (ctr_monitor.c).  mode: "create" (init left blocked until `start`) or "run".
 * Forks a detached monitor process, waits until the container exists (or failed: *err, and
 * *exit_code 125/126/127).  Returns 0 when the container was created/started. */
int ctr_monitor_spawn (struct capsa_engine *e, const char *id, bool create_only, int *exit_code, capsa_err **err);

#endif
