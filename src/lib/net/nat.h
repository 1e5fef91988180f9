/* The `capsa` nftables table (libnftables, loaded with dlopen on first use): masquerade, published
 * ports, isolation between networks.  The table is rebuilt whole from the networks' state on every
 * change, in one transaction (create, delete, define): it always says exactly what the state files say, a crash
 * between two changes leaves the previous complete table, and the host's other tables are never
 * touched.  The table is of the inet family: one table for IPv4 and IPv6, each rule that matches
 * addresses is of one family (ip/ip6), the isolation rules match interfaces and cover both.  All
 * functions follow error.h. */
#ifndef CAPSA_NAT_H
#define CAPSA_NAT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct nat_net
{
  const char *bridge;  /* the network's bridge device */
  const char *subnet;  /* "10.88.0.0/16" */
  bool internal;       /* no masquerade to the outside */
  const char *subnet6; /* NULL, or "fd00:1:2:3::/64" for a dual-stack network */
};

struct nat_port
{
  const char *host_ip; /* NULL or "": every local address */
  int host_port;
  const char *ctr_ip;
  int ctr_port;
  const char *proto;   /* "tcp" or "udp" */
  const char *ctr_ip6; /* NULL, or the container's IPv6 address: the port is published on IPv6 too */
};

/* Make table `inet NAME` hold the rules for nets and ports (no nets: the table is removed). */
int nat_apply (const char *table, const struct nat_net *nets, size_t nnets, const struct nat_port *ports, size_t nports,
               capsa_err **err);
/* The ruleset text nat_apply() loads (for inspect and the tests); owned by the caller. */
char *nat_ruleset (const char *table, const struct nat_net *nets, size_t nnets, const struct nat_port *ports,
                   size_t nports);
/* Write a sysctl under /proc/sys (path relative to it, "net/ipv4/ip_forward"); old (may be NULL)
 * gets the previous value's first character. */
int nat_sysctl (const char *path, const char *value, char *old, capsa_err **err);

#endif
