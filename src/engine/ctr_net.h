/* Networks of containers (src/engine, over the records of ctr.h): the namespace file
 * (ctr_netns.c), published ports (ctr_ports.c), slirp4netns (ctr_slirp.c), then bridges and the
 * dispatch by network mode (ctr_net.c).  Each uses only those before it. */
#ifndef CAPSA_ENGINE_CTR_NET_H
#define CAPSA_ENGINE_CTR_NET_H

#include "ctr.h"

/* ctr_netns.c: the namespace file ROOT/containers/ID/netns (a bind mount of an nsfs file). */
int ctr_netns_create (const char *path, capsa_err **err);
void ctr_netns_remove (const char *path);
/* Published ports (ctr_ports.c; capsa_ctr_ports_reserve is in capsa/engine.h). */
struct capsa_port;
/* slirp4netns binds the host ports itself: an ephemeral one (host_port 0) is chosen here, and held
 * by *hold (a socket that slirp4netns can bind beside, no one else; -1: the port was given) until
 * slirp4netns has bound it. */
int ctr_ports_ephemeral (struct capsa_port *p, int *hold, capsa_err **err);
/* -p SPEC with port ranges (8000-8003:80-83, IP:8000-8001:80-81/udp, 80-83) as the specs of one
 * port each, appended to *out (a vector); 8000-8010:80 stays one spec (capsa_port_parse's
 * host_port_end: a free port of the range at start).  Docker's errors for ranges that do not
 * match. */
int ctr_ports_expand (const char *spec, char ***out, capsa_err **err);
/* docker's NetworkSettings.Ports of ports (ipv6: the container has an IPv6 address). */
json_t *ctr_ports_json (const struct capsa_port *ports, size_t n, bool ipv6);

/* --network slirp4netns[:OPTS] (ctr_slirp.c): the same namespace served by slirp4netns, owned by
 * the process that ran ctr_net_up (see there).  ctr_slirp_check validates OPTS at create. */
bool ctr_net_is_slirp (const char *network_mode);
int ctr_slirp_check (const char *network_mode, capsa_err **err);
int ctr_slirp_up (struct ctr *c, capsa_err **err);
void ctr_slirp_down (struct ctr *c);
/* Hand over the slirp4netns this process started for c: returns the write end of its exit fd
 * (closing the last copy stops it), or -1 when there is none.  Afterwards ctr_slirp_down in this
 * process stops it by its pid file, as any other process would. */
int ctr_slirp_release (struct ctr *c);

/* Bridge networking (ctr_net.c): a network namespace made ahead (ROOT/containers/ID/netns)
 * attached to a network, with published ports and /etc/hosts, hostname, resolv.conf. */
/* ctr_build: join the namespace by path, bind-mount the etc files, record the mode. */
int ctr_net_config (struct capsa_engine *e, const char *id, const char *mode, json_t *linux_, json_t *mounts,
                    json_t *meta, capsa_err **err);
/* Before the container starts / after it has stopped for good or is removed (idempotent). */
int ctr_net_up (struct capsa_engine *e, struct ctr *c, capsa_err **err);
void ctr_net_down (struct capsa_engine *e, struct ctr *c);
void ctr_net_renamed (struct capsa_engine *e, struct ctr *c);
/* Every network's leases' published ports, by container id ({"ID": [{"host_ip", "host_port",
 * "proto", ...}]}, owned): who holds a port, for the error of capsa_ctr_ports_reserve. */
json_t *ctr_net_leases (struct capsa_engine *e);

#endif
