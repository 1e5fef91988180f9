/* A container's log driver and its options (ctr_logcfg.c): HostConfig.LogConfig {Type, Config}
 * as docker records it, checked at create, read by the monitor's command line, the foreground
 * run's copy (ctr_logtee.c) and `capsa logs` (ctr_logs.c). */
#ifndef CAPSA_CTR_LOGCFG_H
#define CAPSA_CTR_LOGCFG_H

#include <jansson.h>

#include "capsa/engine.h"

/* --log-driver and --log-opt KEY=VALUE as HostConfig.LogConfig (*out: new reference), or an
 * error naming the option docker would refuse (an unknown driver or key, a bad size, passthrough
 * with -t). */
int ctr_log_config (const struct ctr_opts *o, json_t **out, capsa_err **err);

/* What a container's log is, from its record (a record without LogConfig, made before there
 * were drivers: its ctr.log in the k8s-file format, the one capsa wrote then). */
struct ctr_log_set
{
  char format;   /* 'j' json-file, 'k' k8s-file, 'n' none, 'p' passthrough */
  long long max; /* max-size in bytes (0: not given: CAPSA_LOG_MAX_SIZE, or 10m) */
  int files;     /* max-file (0: not given: 2, ctr.log and ctr.log.1) */
  char *path;    /* the log file (owned): ROOT/containers/ID/ctr.log, or k8s-file's path= */
  char *attrs;   /* json-file: {"label":"value"...} of --log-opt labels= and env= (owned; NULL: none) */
};
void ctr_log_settings (const struct ctr *c, struct ctr_log_set *s);
void ctr_log_set_free (struct ctr_log_set *s);

#endif
