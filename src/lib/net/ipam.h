/* Address management for capsa's networks.
 *
 * Each network is one JSON file, STATE/NAME.json, holding its definition and its leases
 * ({"leases": {CONTAINER_ID: {"ip": ..., "pid": ..., "start": ...}}}).  Every change happens under
 * an exclusive flock of STATE/.lock (ipam_lock) and is written atomically (temp file + fsync +
 * rename), so a crash leaves either the old or the new file and two processes never hand out the
 * same address.  A lease records the pid and start time of a process in the container's network
 * namespace; when that process is gone the lease is stale and can be reclaimed.  Error rule:
 * error.h. */
#ifndef CAPSA_IPAM_H
#define CAPSA_IPAM_H

#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"

/* Open (creating it) the state directory and take its lock; returns the lock fd (close to
 * release).  *dirfd gets an O_PATH-free directory fd of the state directory. */
int ipam_lock (const char *state_dir, int *dirfd, capsa_err **err);
/* Load STATE/NAME.json (ENOENT when there is no such network). */
int ipam_load (int dirfd, const char *name, json_t **out, capsa_err **err);
int ipam_save (int dirfd, const char *name, json_t *net, capsa_err **err);
int ipam_unlink (int dirfd, const char *name, capsa_err **err);

/* "10.88.0.0/16" into its network address and prefix length (host bits must be zero). */
int ipam_parse_cidr (const char *cidr, struct in_addr *net, int *prefix, capsa_err **err);
/* Pick a free address in the network's subnet (not the network, broadcast or gateway address, not
 * leased): `want` (may be NULL) when given and free.  Does not record it. */
int ipam_pick (json_t *net, const char *want, struct in_addr *out, capsa_err **err);
/* The same for IPv6: "fd00:1:2:3::/64" (prefix 48 to 124), the network's "subnet6" and "gateway6",
 * leases' "ip6" (canonical inet_ntop text). */
int ipam_parse_cidr6 (const char *cidr, struct in6_addr *net, int *prefix, capsa_err **err);
int ipam_pick6 (json_t *net, const char *want, struct in6_addr *out, capsa_err **err);
/* Whether a and b share their first prefix bits. */
bool ipam_in6_match (const struct in6_addr *a, const struct in6_addr *b, int prefix);
/* a += n (the host part of an address in a subnet). */
void ipam_in6_add (struct in6_addr *a, uint32_t n);
/* Whether a/pa and b/pb overlap. */
bool ipam_overlap (const struct in_addr *a, int pa, const struct in_addr *b, int pb);
/* Other engines' configured networks: podman's CNI (/etc/cni/net.d/ *.conflist) and netavark
 * (/etc/containers/networks/ *.json) files.  true when one of their IPv4 subnets overlaps subnet;
 * what (len) gets the file.  Their bridges may be down now and come up later: a capsa network
 * there would then share a route with them. */
#define IPAM_FOREIGN_NET_DIRS "/etc/cni/net.d:/etc/containers/networks"
bool ipam_foreign_clash (const char *subnet, char *what, size_t len);
/* true when the lease's process is gone (or is another process now). */
bool ipam_lease_stale (json_t *lease);

#endif
