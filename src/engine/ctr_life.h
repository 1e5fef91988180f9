/* The lifecycle under capsa/engine.h's entry points: removal (ctr_remove.c), the monitor of a
 * detached container (ctr_monitor.c) and its attach socket (ctr_start.c).  Over ctr.h and
 * ctr_net.h. */
#ifndef CAPSA_ENGINE_CTR_LIFE_H
#define CAPSA_ENGINE_CTR_LIFE_H

#include "ctr.h"

/* Remove a stopped container entirely: OCI state, root filesystem, name, anonymous volumes (vols). */
int ctr_remove (struct capsa_engine *e, struct ctr *c, bool force, bool vols, capsa_err **err);
/* The monitor (ctr_monitor.c).  mode: "create" (init left blocked until `start`) or "run".
 * Forks a detached monitor process, waits until the container exists (or failed: *err, and
 * *exit_code 125/126/127).  Returns 0 when the container was created/started. */
int ctr_monitor_spawn (struct capsa_engine *e, const char *id, bool create_only, int *exit_code, capsa_err **err);
/* Connect to the monitor's attach socket (src/monitor/attach_proto.h; ctr_start.c): *fd gets
 * the connection; fails when no monitor listens (the container is not running detached). */
int ctr_attach_connect (struct ctr *c, int *fd, capsa_err **err);
/* `network connect -p` (ctr_monitor.c): hold hands the sockets reserving the new ports
 * (c->port_fds, from ctr_ports_reserve; closed here either way) to the container's monitor, which
 * holds them until release (`network disconnect`) or the container's end.  A foreground run has
 * no monitor: its ports were only checked. */
int ctr_net_hold_ports (struct ctr *c, const char *network, capsa_err **err);
void ctr_net_release_ports (struct ctr *c, const char *network);

#endif
