/* The DNS servers of the user networks (ctr_dns.c): `capsa __dns NETWORK`, one per network,
 * started by the first attach of a container there, gone with the network's last one. */
#ifndef CAPSA_ENGINE_CTR_DNS_H
#define CAPSA_ENGINE_CTR_DNS_H

#include "capsa/engine.h"

/* After a container was attached to network (NULL or the default one: nothing to do): its DNS
 * server serves, started now when none does; waits until it has bound its address. */
int ctr_dns_ensure (struct capsa_engine *e, const char *network, capsa_err **err);

#endif
