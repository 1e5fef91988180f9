/* The log of a foreground `capsa run` (no monitor): its stdout and stderr go through pipes to a
 * small child that copies them to the terminal and writes ROOT/containers/ID/ctr.log in the
 * monitor's format (src/monitor/mon_log.c, the same code), so `capsa logs` shows a foreground
 * run's output as docker's json-file log does.  With -t the runtime copies the pty's master to
 * fd 1, so the terminal's output is logged the same way (as stdout, the monitor's way too). */
#ifndef CAPSA_CTR_LOGTEE_H
#define CAPSA_CTR_LOGTEE_H

#include <sys/types.h>

#include "ctr_logcfg.h"
#include "error.h"

struct ctr_logtee
{
  pid_t pid;    /* the copying child; -1: none */
  int saved[2]; /* this process's stdout and stderr, put back by ctr_logtee_stop */
};

/* Start the copy into the container's log (ls: its driver's format, file, rotation) and make fds 1
 * and 2 its pipes; max_size (may be NULL: 10m) is the size at which the log rotates when ls has no
 * max-size, as CAPSA_LOG_MAX_SIZE gives it.  On failure nothing changed (and the run goes on
 * without a log). */
int ctr_logtee_start (struct ctr_logtee *t, const struct ctr_log_set *ls, const char *max_size, capsa_err **err);
/* Put fds 1 and 2 back and wait for the copy to finish (the container has exited: every writer
 * of the pipes is gone, unless it left a process behind sharing the host's pid namespace). */
void ctr_logtee_stop (struct ctr_logtee *t);

#endif
