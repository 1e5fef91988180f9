/* The foreground of `run`: the runtime stays as the container's subreaper, forwards the signals it
 * receives to the init, proxies the pty when there is one (raw mode, window size), reaps, and
 * returns the init's exit status as a shell would (code, or 128 + signal). */
#ifndef CAPSA_RUNLOOP_H
#define CAPSA_RUNLOOP_H

#include <signal.h>
#include <sys/types.h>

#include "error.h"

struct runloop
{
  sigset_t blocked, old;
  int sigfd;
};

/* Before the container exists: become a child subreaper and block the forwarded signals (the
 * init unblocks them before exec), so none is lost between spawn and wait. */
int runloop_prepare (struct runloop *rl, capsa_err **err);
/* Wait for init, forwarding the signals this process gets to it; with interrupted, SIGINT,
 * SIGTERM and SIGHUP kill it instead (SIGKILL) and *interrupted gets the signal. */
int runloop_wait (struct runloop *rl, pid_t init, int pty_master, int *interrupted);
void runloop_release (struct runloop *rl);

#endif
