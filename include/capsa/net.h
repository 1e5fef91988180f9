/* capsa networks (public: the engine and the front ends call them): bridges, veth pairs, addresses,
 * NAT, published ports and the container's
 * /etc/hosts, /etc/hostname and /etc/resolv.conf.
 *
 * A network is a Linux bridge with the gateway address of its subnet; a container joins it by a
 * veth pair whose host end is a port of the bridge and whose other end is ethN in the container's
 * network namespace, with an address from the network's IPAM (ipam.h) and a default route via
 * the gateway.  One nftables table (`capsa` unless env->table says otherwise, nat.h) masquerades
 * each network's subnet to the outside, DNATs published ports (from outside, from the host itself
 * and hairpin) and drops traffic between two networks.
 *
 * The default network, "bridge" (device capsa0), is created on first use, on the first free range
 * of docker's default address pools (172.17.0.0/16 ... 172.31.0.0/16, 192.168.0.0/20 ...: free of
 * other networks, host routes and other engines' configured networks, see ipam_foreign_clash).  User
 * networks have their own bridge and subnet, and their containers resolve each other by name
 * through the network's DNS server (capsa_net_dns_serve below, on the gateway address): a
 * container attached with an etc_dir gets a resolv.conf naming it, and a hosts file of its own
 * lines only (localhost, its addresses, its --add-host entries), never rewritten for a peer.
 *
 * A network created with IPv6 is dual stack: its bridge has a gateway address in subnet6 too, and
 * each container gets an IPv6 address (no duplicate address detection: usable at once) and an
 * IPv6 default route; the table masquerades, publishes and isolates for both families, and
 * net.ipv6.conf.all.forwarding is on while such a network exists.
 *
 * State: one JSON file per network under env->state_dir (default /var/lib/capsa/network), every
 * change made under one flock of that directory.  All functions follow error.h. */
#ifndef CAPSA_NET_H
#define CAPSA_NET_H

#include <netinet/in.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "capsa/capsa.h"
#include "capsa/error.h"

#define CAPSA_NET_DEFAULT "bridge"
#define CAPSA_NET_DEFAULT_BRIDGE "capsa0"
#define CAPSA_NET_STATE_DIR "/var/lib/capsa/network"
#define CAPSA_NET_TABLE "capsa"

/* Where a set of networks lives; a NULL env or NULL members take the defaults above. */
struct capsa_netenv
{
  const char *state_dir;
  const char *table;
};

struct capsa_net_create_opts
{
  const char *name;
  const char *subnet;   /* "10.89.3.0/24"; NULL: the first free 10.89.N.0/24 */
  const char *gateway;  /* NULL: the subnet's first address */
  const char *bridge;   /* NULL: "cbr-" + 8 hex digits */
  int mtu;              /* 0: 1500 */
  bool internal;        /* no masquerade to the outside */
  bool ipv6;            /* dual stack (implied by subnet6) */
  const char *subnet6;  /* "fd00:1:2:3::/64"; NULL with ipv6: a random unique local /64 (RFC 4193) */
  const char *gateway6; /* NULL: the subnet6's first address */
};

/* A published port, "[IP:][HOSTPORT:]CPORT[/tcp|/udp]" (HOSTPORT empty or left out: host_port 0, an
 * ephemeral port that the caller picks (and reserves) before it attaches; an IPv6
 * IP in brackets, "[fd00::1]:8080:80").  Without an IP it is published on IPv4 and, for a container
 * with an IPv6 address, on IPv6 too.  ::1 cannot be published: the kernel does not route a packet
 * from ::1 to another interface (IPv6 has no route_localnet), so the host reaches such a port on
 * its other addresses, or on 127.0.0.1. */
struct capsa_port
{
  char host_ip[INET6_ADDRSTRLEN]; /* "" for every local address of both families; else only its family */
  int host_port;
  int ctr_port;
  char proto[4]; /* "tcp" or "udp" */
  /* -p 8000-8010:80: the last host port of a range to take one free port from (host_port is the
   * first; the one taken replaces it); 0: no range */
  int host_port_end;
};

struct capsa_attach
{
  const char *network;      /* NULL: the default network */
  const char *container_id; /* also a name other containers of a user network resolve */
  int netns_fd;             /* the container's /proc/PID/ns/net, or -1 to open it from pid */
  pid_t pid;                /* a process in the container (its lease goes stale when it is gone); 0 if none */
  const struct capsa_port *ports;
  size_t nports;
  const char *name;     /* NULL, or the container's name: another name peers resolve */
  const char *hostname; /* NULL: container_id's first 12 characters */
  const char *ip;       /* NULL: the next free address */
  const char *etc_dir;  /* NULL, or a directory that gets hosts, hostname, resolv.conf (kept current) */
  const char *ip6;      /* NULL: the next free IPv6 address (on a network with IPv6) */
  /* NULL, or a NULL-terminated list of more names the network's containers resolve to this one
   * (docker's network-scoped aliases, --network-alias); kept in the lease */
  const char *const *aliases;
  /* issue 18 DNS: NULL or NULL-terminated lists kept in the lease for the etc files: --dns (the
   * resolv.conf nameservers, over the network's DNS server), --dns-search, --dns-option, and
   * --add-host "NAME:IP" (IP host-gateway: the network's gateway) */
  const char *const *dns, *const *dns_search, *const *dns_options, *const *extra_hosts;
  const char *mac; /* NULL, or the container end's MAC address ("02:42:ac:11:00:02") */
};

struct capsa_attach_result
{
  char ifname[IF_NAMESIZE];      /* in the container: eth0, eth1... */
  char host_ifname[IF_NAMESIZE]; /* the veth end on the bridge */
  char address[INET_ADDRSTRLEN];
  int prefixlen;
  char gateway[INET_ADDRSTRLEN];
  char mac[18];
  char bridge[IF_NAMESIZE];
  char address6[INET6_ADDRSTRLEN]; /* "" on a network without IPv6 */
  int prefixlen6;
  char gateway6[INET6_ADDRSTRLEN];
};

CAPSA_PUBLIC int capsa_port_parse (const char *spec, struct capsa_port *out, capsa_err **err);

CAPSA_PUBLIC int capsa_network_create (const struct capsa_netenv *env, const struct capsa_net_create_opts *o,
                                       capsa_err **err);
/* Remove a network and its bridge; one with containers attached only with force (they are
 * detached).  The last network gone, the nftables table goes and ip_forward gets its old value. */
CAPSA_PUBLIC int capsa_network_remove (const struct capsa_netenv *env, const char *name, bool force, capsa_err **err);
/* Names of the networks (a NULL-terminated vector the caller frees), the default one included. */
CAPSA_PUBLIC int capsa_network_list (const struct capsa_netenv *env, char ***names, capsa_err **err);
/* The network's state as JSON text (definition and containers); owned by the caller. */
CAPSA_PUBLIC int capsa_network_inspect (const struct capsa_netenv *env, const char *name, char **json, capsa_err **err);

CAPSA_PUBLIC int capsa_net_attach (const struct capsa_netenv *env, const struct capsa_attach *a,
                                   struct capsa_attach_result *res, capsa_err **err);
/* Undo an attach: the veth pair, the lease, the published ports; the container's own etc files
 * are rewritten from its remaining networks.  A container that is not attached is an error (ENOENT). */
CAPSA_PUBLIC int capsa_net_detach (const struct capsa_netenv *env, const char *network, const char *container_id,
                                   capsa_err **err);
/* Detach container_id from every network it is attached to (its own and those `network connect`
 * added) under one hold of the state lock: each network's state read once, and written once
 * where it had a lease (a stop or rm read them three times).  *detached: the networks it left
 * (owned, NULL-terminated, empty when none), for their events. */
CAPSA_PUBLIC int capsa_net_detach_all (const struct capsa_netenv *env, const char *container_id, char ***detached,
                                       capsa_err **err);
/* Reclaim every stale lease (its container's process is gone) of every network; *reclaimed (may
 * be NULL) gets how many. */
CAPSA_PUBLIC int capsa_net_gc (const struct capsa_netenv *env, int *reclaimed, capsa_err **err);

/* A container's new name (NULL: none but its id) in its leases of every network (the DNS servers
 * reload them: peers resolve the new name, not the old, as docker's); its own hosts file is
 * rewritten. */
CAPSA_PUBLIC int capsa_net_rename (const struct capsa_netenv *env, const char *container_id, const char *name,
                                   capsa_err **err);

/* The three files' content for a container of a network (each may be NULL when not wanted). */
CAPSA_PUBLIC int capsa_net_etc_files (const struct capsa_netenv *env, const char *network, const char *container_id,
                                      char **hosts, char **hostname, char **resolv, capsa_err **err);

/* The DNS server of a user network (src/lib/net/dns_server.c, podman's aardvark-dns design): on
 * the network's gateway address port 53, UDP and TCP (and its IPv6 gateway), in the host's network
 * namespace, it answers A and AAAA for the network's containers by id, short id, name and
 * --network-alias, from the network's leases (reloaded the moment its state file changes);
 * NXDOMAIN for a name of the network's that is gone; other names go to the nameservers of
 * resolv_conf and their answer is relayed.  Runs until the network has no container left or is
 * removed (0).  The pidfile is flocked while it serves: when another server holds it, returns 0 at
 * once.  ready_fd (>= 0) gets "0" once it serves, or "ERRNO message" when it cannot, and is closed. */
struct capsa_dns_opts
{
  const char *network;
  const char *pidfile;
  const char *resolv_conf; /* NULL: /etc/resolv.conf */
  int ready_fd;
};
CAPSA_PUBLIC int capsa_net_dns_serve (const struct capsa_netenv *env, const struct capsa_dns_opts *o, capsa_err **err);

#endif
