/* Fault injection for the reliability tests: see fault.h (empty unless -Dfault_injection=true). */
#include "fault.h"

#ifdef CAPSA_FAULT_INJECTION
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char *fault_kill_at, *fault_stop_at;

void
capsa_fault_setup (const char *kill_at, const char *stop_at)
{
  free (fault_kill_at);
  free (fault_stop_at);
  fault_kill_at = kill_at ? xstrdup (kill_at) : NULL;
  fault_stop_at = stop_at ? xstrdup (stop_at) : NULL;
}

void
capsa_fault_point (const char *name)
{
  if (fault_kill_at && strcmp (fault_kill_at, name) == 0)
    raise (SIGKILL);
  if (fault_stop_at && strcmp (fault_stop_at, name) == 0)
    raise (SIGSTOP);
}
#endif
