/* Healthchecks (ctr_health.c): a container's Config.Healthcheck, made from the image's and the
 * flags as dockerd merges them, and its State.Health (run.json's Health), updated by each check.
 * Over ctr.h. */
#ifndef CAPSA_ENGINE_CTR_HEALTH_H
#define CAPSA_ENGINE_CTR_HEALTH_H

#include "ctr.h"

/* Config.Healthcheck of a new container (*out a new reference, NULL: none to set) from the flags
 * of o and the image's config (icfg, borrowed), as docker's CLI and dockerd make it: the flags'
 * fields over the image's, --no-healthcheck Test ["NONE"]; an error for bad flags. */
int ctr_health_config (const struct ctr_opts *o, json_t *icfg, json_t **out, capsa_err **err);

/* What the monitor needs to time the checks of c: false when it has none (no Healthcheck, Test
 * empty or ["NONE"]); else the interval, start period and start interval in ms, defaults applied. */
bool ctr_health_timing (const struct ctr *c, long long *interval_ms, long long *start_period_ms,
                        long long *start_interval_ms);

/* A new run of c began: State.Health back to "starting", its streak 0 (the log stays, as dockerd). */
void ctr_health_reset (struct ctr *c);

/* A run of c ended: State.Health (when it has one) "unhealthy", as dockerd sets it when its
 * checks stop ("for compatibility reasons"); the next start makes it "starting" again. */
void ctr_health_stopped (struct ctr *c);

/* A foreground run has no monitor: a process of its own (returned; 0: c has no healthcheck)
 * times c's checks as a monitor would, each a `capsa __monitor health`, until stop kills it
 * (and the check in flight).  It dies with this process too. */
pid_t ctr_health_ticker_start (struct capsa_engine *e, struct ctr *c);
void ctr_health_ticker_stop (pid_t ticker);

/* State.Health.Status as last recorded (healthy, unhealthy, starting), "none" when there is none
 * (docker's words for `ps --filter health=`). */
const char *ctr_health_status (const struct ctr *c);

#endif
