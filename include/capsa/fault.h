/* Fault injection for the reliability tests: test hooks, built only with -Dfault_injection=true
 * (meson_options.txt; CAPSA_FAULT_INJECTION defined).  In any other build capsa_fault_point() and
 * capsa_fault_setup() are empty statements: the binaries have no such hook.
 *
 * A front end calls capsa_fault_setup() once at start-up with what it read from its environment:
 * $CAPSA_FAULT names the point where the process SIGKILLs itself, as a crash or an impatient
 * caller would; $CAPSA_FAULT_STOP a point where it stops itself instead (SIGSTOP): a test lines
 * two processes up at a race, then lets them go on with SIGCONT.  The library never reads the
 * environment itself.
 *
 * Names: create's steps, each after something was made, "create:dir", "create:recorded",
 * "create:cgroup", "create:notify", "create:configured", "create:fifo", "create:init",
 * "create:spawned", "create:done"; then "start:released", "delete:killed", "delete:cgroup",
 * "exec:spawned"; in the capsa CLI "cli:recorded", "cli:rm:killed", "cli:rm:deleted",
 * "cli:net:up", "cli:net:netns", "cli:net:attached", "cli:net:down", and in its monitor
 * "monitor:started", "monitor:exited". */
#ifndef CAPSA_FAULT_H
#define CAPSA_FAULT_H

#include "capsa/capsa.h"

#ifdef CAPSA_FAULT_INJECTION
/* The points to kill and to stop at (either may be NULL: none); copied. */
CAPSA_PUBLIC void capsa_fault_setup (const char *kill_at, const char *stop_at);
CAPSA_PUBLIC void capsa_fault_point (const char *name);
#else
#define capsa_fault_setup(kill_at, stop_at) ((void) 0)
#define capsa_fault_point(name) ((void) 0)
#endif

#endif
