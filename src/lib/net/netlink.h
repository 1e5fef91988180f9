/* Links, addresses and routes over rtnetlink (libmnl): the pieces a container's network is built
 * from.  No shelling out to ip(8).
 *
 * A struct nl_sock is one NETLINK_ROUTE socket bound to the network namespace it was opened in:
 * nl_open() for the caller's namespace, nl_open_in_netns() for another one (the socket is created
 * inside it, so every request on it acts there, without forking).  All functions follow error.h. */
#ifndef CAPSA_NETLINK_H
#define CAPSA_NETLINK_H

#include <netinet/in.h>
#include <stdbool.h>

#include "error.h"

struct nl_sock;

int nl_open (struct nl_sock **out, capsa_err **err);
/* Open the socket inside the network namespace netns_fd (an fd of /proc/PID/ns/net). */
int nl_open_in_netns (int netns_fd, struct nl_sock **out, capsa_err **err);
void nl_close (struct nl_sock **s);
#define cleanup_nl __attribute__ ((cleanup (nl_close)))

/* ifindex of name, 0 when there is no such link (not an error), -1 on error. */
int nl_link_index (struct nl_sock *s, const char *name, capsa_err **err);
/* Create a bridge (an existing one of that name is fine when exist_ok). */
int nl_bridge_create (struct nl_sock *s, const char *name, int mtu, bool exist_ok, capsa_err **err);
/* Create a veth pair: `host` here, `peer` created directly in netns_fd (-1: here too). */
int nl_veth_create (struct nl_sock *s, const char *host, const char *peer, int netns_fd, int mtu, capsa_err **err);
/* Delete a link; a missing link is fine when missing_ok. */
int nl_link_del (struct nl_sock *s, const char *name, bool missing_ok, capsa_err **err);
/* Delete a link from a detached process and return at once: a veth's deletion waits for the
 * kernel's RCU grace periods (25-30 ms on the reference machine), which the caller need not.  By
 * index: a link made under the same name meanwhile is not touched.  No such link: 0. */
int nl_link_del_detached (struct nl_sock *s, const char *name, capsa_err **err);
/* Set a link up, its master (NULL: none), its name, its MTU (0: keep) in one request. */
int nl_link_set (struct nl_sock *s, const char *name, const char *new_name, const char *master, int mtu, bool up,
                 capsa_err **err);
/* The link's MAC address as "aa:bb:cc:dd:ee:ff" (buf >= 18). */
/* Give link name (down) the hardware address mac. */
int nl_link_set_mac (struct nl_sock *s, const char *name, const unsigned char mac[6], capsa_err **err);
int nl_link_mac (struct nl_sock *s, const char *name, char *buf, size_t len, capsa_err **err);
/* Add an IPv4 address (exist_ok: EEXIST is fine). */
int nl_addr_add (struct nl_sock *s, const char *ifname, struct in_addr addr, int prefixlen, bool exist_ok,
                 capsa_err **err);
/* Add an IPv6 address, without duplicate address detection (usable at once, never "tentative"). */
int nl_addr6_add (struct nl_sock *s, const char *ifname, const struct in6_addr *addr, int prefixlen, bool exist_ok,
                  capsa_err **err);
/* Add the IPv4 (IPv6) default route via gw; EEXIST when there is one. */
int nl_route_default (struct nl_sock *s, struct in_addr gw, capsa_err **err);
int nl_route6_default (struct nl_sock *s, const struct in6_addr *gw, capsa_err **err);

/* Whether nftables has table `inet name` (1, 0, or -1 on error): one nfnetlink request, far
 * cheaper than a libnftables run. */
int nl_nft_table_exists (const char *name, capsa_err **err);

#endif
