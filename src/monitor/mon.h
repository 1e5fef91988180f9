/* capsa-monitor: the small per-container process of a detached container (see monitor.c).
 *
 * It links nothing but libc (statically), so it stays a few hundred KiB of memory for as long as
 * the container runs; whatever needs the capsa library (creating the container, deleting its
 * runtime state, networking, the root filesystem) it asks of the `capsa` binary it execs for the
 * moment (`capsa __monitor ...`, in ctr_monitor.c).  Errors here are reported with a negative
 * return and errno; the monitor has no one to print to but the log and the CLI's report pipe. */
#ifndef CAPSA_MON_H
#define CAPSA_MON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cleanup.h"
#include "util.h"

#define LOG_LINE_MAX 16384
#define MON_MAX_CLIENTS 16

/* small helpers: the library's util.c and error.c (libc only) are compiled in: xmalloc0,
 * xasprintf, write_all, now_rfc3339, proc_stat_start, capsa_fault_point, parse_bytes */

/* ---- run.json (mon_runjson.c): the flat object ctr_run_update writes; values kept as text ---- */
/* Set keys[i] to the JSON text raws[i] (NULL removes it), under ROOT/containers/ID/run.lock. */
int mon_run_update (int dirfd, size_t n, const char *const *keys, const char *const *raws);
/* An integer member of run.json, or def when missing. */
long long mon_run_int (int dirfd, const char *key, long long def);

/* ---- the log (mon_log.c): k8s-file or json-file records, rotated past max ---- */
struct mon_log
{
  int dirfd;
  int fd;
  long long size, max;
  char format;       /* 'k' (or 0) k8s-file, 'j' json-file; 'n' none, 'p' passthrough: nothing written */
  int files;         /* how many files in all: NAME, NAME.1, ... (0: 2) */
  const char *name;  /* the file in dirfd (NULL: ctr.log) */
  const char *attrs; /* json-file: `"attrs":{...},` put in each record (NULL: none) */
};
struct mon_stream
{
  int fd;           /* -1 when finished */
  const char *name; /* "stdout" / "stderr" */
  char kind;        /* ATTACH_STDOUT / ATTACH_STDERR */
  char buf[LOG_LINE_MAX];
  size_t len;
};
/* Open (create) the file to append to; l->fd -1 when it cannot be, or with none. */
void mon_log_open (struct mon_log *l);
/* Write the complete lines of s (and the rest when flush). */
void mon_log_lines (struct mon_log *l, struct mon_stream *s, bool flush);
/* Until every stream's fd is at EOF: copy what it has to copy[i] (the terminal of a foreground
 * `capsa run`, which has no monitor; a copy that fails is dropped, the log goes on) and its
 * lines to the log.  The streams' fds are closed and set to -1. */
void mon_log_tee (struct mon_log *l, struct mon_stream *s, const int *copy, size_t n);

/* ---- sockets held for `network connect -p` (mon_hold.c), by network name ---- */
struct mon_hold
{
  char *name;
  int *fds;
  size_t n;
};
struct mon_holds
{
  struct mon_hold *v;
  size_t n;
};
/* Hold fds (taken over) for network name, in place of what name had; release closes them. */
void mon_hold_add (struct mon_holds *hs, const char *name, const int *fds, size_t n);
void mon_hold_release (struct mon_holds *hs, const char *name);

/* ---- healthchecks (mon_health.c): when the next `capsa __monitor health` is due ---- */
struct mon_health
{
  long long interval, start_period, start_interval; /* ms; interval 0: no healthcheck */
  pid_t pid;                                        /* the `__monitor health` in flight, 0: none */
  long long next, started;                          /* monotonic ms */
  bool starting;                                    /* no check has passed in this run */
  /* the monitor's: --health-on-failure none, kill, stop or restart; kill_at (monotonic ms, 0:
   * none) when a stop's SIGKILL is due; restart: the action killed it, start it again */
  const char *action;
  long long kill_at;
  bool restart;
};
/* A run began: the first check is due after the start interval. */
void mon_health_begin (struct mon_health *h);
/* The check ended with the step's exit status code (0 healthy, 1 unhealthy, 2 starting, other:
 * none made): pid is 0 again, next when the next is due (the start interval while starting in
 * the start period, else the interval). */
void mon_health_done (struct mon_health *h, int code);

/* ---- attach clients (mon_attach.c) ---- */
struct mon_attach
{
  int listen_fd; /* -1: not listening */
  int clients[MON_MAX_CLIENTS];
  size_t n;
};
int mon_attach_listen (struct mon_attach *a, int dirfd);
void mon_attach_accept (struct mon_attach *a);
/* Send one packet of type kind to every client (never blocks; a full client misses it). */
void mon_attach_send (struct mon_attach *a, char kind, const void *buf, size_t len);
/* Tell every client the exit code and close them all. */
void mon_attach_finish (struct mon_attach *a, int code);
void mon_attach_close (struct mon_attach *a, int dirfd);

#endif
