/* capsa networks: see capsa/net.h.  The pieces: netlink.c (links, addresses, routes), ipam.c (state
 * files, addresses, lock), nat.c (the nftables table). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "ipam.h"
#include "jsonutil.h"
#include "nat.h"
#include "netlink.h"
#include "capsa/net.h"
#include "strbuf.h"
#include "util.h"

static const char *
env_dir (const struct capsa_netenv *env)
{
  return env && env->state_dir ? env->state_dir : CAPSA_NET_STATE_DIR;
}

static const char *
env_table (const struct capsa_netenv *env)
{
  return env && env->table ? env->table : CAPSA_NET_TABLE;
}

/* the lock and the state directory of one operation */
struct netstate
{
  int lock;
  int dir;
};

static void
netstate_release (struct netstate *st)
{
  cleanup_close_fn (&st->dir);
  cleanup_close_fn (&st->lock);
}
#define cleanup_netstate __attribute__ ((cleanup (netstate_release)))

static int
netstate_open (const struct capsa_netenv *env, struct netstate *st, capsa_err **err)
{
  st->dir = -1;
  st->lock = ipam_lock (env_dir (env), &st->dir, err);
  return st->lock < 0 ? -1 : 0;
}

static bool
valid_name (const char *n)
{
  if (n == NULL || *n == '\0' || strlen (n) > 64 || *n == '.' || *n == '-')
    return false;
  for (const char *p = n; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr ("._-", *p)))
      return false;
  return true;
}

static uint32_t
fnv1a (const char *a, const char *b)
{
  uint32_t h = 2166136261u;
  for (const char *p = a; *p; p++)
    h = (h ^ (unsigned char) *p) * 16777619u;
  h = (h ^ '/') * 16777619u;
  for (const char *p = b; *p; p++)
    h = (h ^ (unsigned char) *p) * 16777619u;
  return h;
}

/* The host address of a port spec (ip: IPv6, from inside brackets, when v6) into out->host_ip. */
static int
port_host_ip (const char *spec, const char *ip, bool v6, struct capsa_port *out, capsa_err **err)
{
  struct in_addr a;
  struct in6_addr a6;
  if (!v6 && inet_pton (AF_INET, ip, &a) != 1)
    return capsa_fail_as (err, EINVAL, "port `%s`: `%s` is not an IPv4 address (an IPv6 one goes in brackets)", spec,
                          ip);
  if (v6 && inet_pton (AF_INET6, ip, &a6) != 1)
    return capsa_fail_as (err, EINVAL, "port `%s`: `%s` is not an IPv6 address", spec, ip);
  if (v6 && IN6_IS_ADDR_LOOPBACK (&a6))
    return capsa_fail_as (err, EINVAL,
                          "port `%s`: ::1 cannot be forwarded to a container (the kernel does not route "
                          "IPv6 loopback traffic elsewhere): publish on 127.0.0.1 or another address",
                          spec);
  if (v6)
    inet_ntop (AF_INET6, &a6, out->host_ip, sizeof out->host_ip);
  else
    snprintf (out->host_ip, sizeof out->host_ip, "%s", ip);
  return 0;
}

int
capsa_port_parse (const char *spec, struct capsa_port *out, capsa_err **err)
{
  memset (out, 0, sizeof *out);
  cleanup_free char *s = xstrdup (spec);
  strcpy (out->proto, "tcp");
  char *slash = strchr (s, '/');
  if (slash)
    {
      *slash = '\0';
      if (strcmp (slash + 1, "tcp") != 0 && strcmp (slash + 1, "udp") != 0)
        return capsa_fail_as (err, EINVAL, "port `%s`: protocol must be tcp or udp", spec);
      strcpy (out->proto, slash + 1);
    }
  char *parts[3] = { NULL }, *rest = s, *ip6 = NULL;
  int n = 0;
  if (*s == '[')
    {
      /* "[IPV6]:HOSTPORT:CPORT" */
      char *close = strchr (s, ']');
      if (close == NULL || close[1] != ':')
        return capsa_fail_as (err, EINVAL, "port `%s`: want [IPV6]:HOSTPORT:CONTAINERPORT", spec);
      *close = '\0';
      parts[n++] = ip6 = s + 1;
      rest = close + 2;
    }
  for (char *p = rest, *c; n < 3; p = c + 1)
    {
      parts[n++] = p;
      if ((c = strchr (p, ':')) == NULL)
        break;
      *c = '\0';
    }
  if (ip6 && n != 3)
    return capsa_fail_as (err, EINVAL, "port `%s`: want [IPV6]:HOSTPORT:CONTAINERPORT", spec);
  char *hp = NULL;
  const char *cp = parts[n - 1];
  if (n == 3 && port_host_ip (spec, parts[0], ip6 != NULL, out, err) < 0)
    return -1;
  if (n >= 2)
    hp = parts[n - 2];
  int64_t v, end = 0;
  if (parse_i64 (cp, 1, 65535, &v) < 0)
    return capsa_fail_as (err, EINVAL, "port `%s`: want [IP:]HOSTPORT:CONTAINERPORT[/udp]", spec);
  out->ctr_port = (int) v;
  v = 0; /* no host port ("80", "IP::80"): docker's ephemeral port, chosen when it is reserved */
  char *dash = hp ? strchr (hp, '-') : NULL;
  if (dash)
    *dash++ = '\0'; /* "8000-8010": one free port of the range, chosen when it is reserved */
  if (hp && *hp && (parse_i64 (hp, 1, 65535, &v) < 0 || (dash && (parse_i64 (dash, v, 65535, &end) < 0))))
    return capsa_fail_as (err, EINVAL, "port `%s`: host port `%s%s%s` is not a port %s", spec, hp, dash ? "-" : "",
                          dash ? dash : "", dash ? "range" : "number");
  out->host_port = (int) v;
  out->host_port_end = end > v ? (int) end : 0;
  return 0;
}

/* ---- the nftables table, rebuilt from every network's state ---- */

static int
list_names (int dir, char ***names, capsa_err **err)
{
  int fd = openat (dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open network state");
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return capsa_fail (err, errno, "read network state");
    }
  char **v = xmalloc0 (sizeof *v);
  struct dirent *e;
  while ((e = readdir (d)))
    {
      size_t l = strlen (e->d_name);
      if (e->d_name[0] != '.' && l > 5 && strcmp (e->d_name + l - 5, ".json") == 0)
        {
          cleanup_free char *n = strndup (e->d_name, l - 5);
          strv_append (&v, n);
        }
    }
  *names = v;
  return 0;
}

/* Calls fn (lease id, lease, port, arg) for each port that a lease of net publishes; stops at the
 * first non-zero return of fn and returns it. */
static int
foreach_port (json_t *net, int (*fn) (const char *cid, json_t *lease, json_t *port, void *arg), void *arg)
{
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (net, "leases"), cid, l)
  {
    size_t pi;
    json_t *p;
    json_array_foreach (json_object_get (l, "ports"), pi, p)
    {
      int r = fn (cid, l, p, arg);
      if (r != 0)
        return r;
    }
  }
  return 0;
}

/* The NAT table's ports, as foreach_port collects them (pointing into the networks' JSON). */
struct nat_ports
{
  struct nat_port *v;
  size_t n;
};

static int
add_nat_port (const char *cid, json_t *l, json_t *p, void *arg)
{
  struct nat_ports *ports = arg;
  ports->v = xrealloc (ports->v, (ports->n + 1) * sizeof *ports->v);
  ports->v[ports->n++] = (struct nat_port){ .host_ip = jstr (p, "host_ip"),
                                            .host_port = (int) json_integer_value (json_object_get (p, "host_port")),
                                            .ctr_ip = jstr (l, "ip"),
                                            .ctr_port = (int) json_integer_value (
                                                json_object_get (p, "container_port")),
                                            .proto = jstr (p, "proto"),
                                            .ctr_ip6 = jstr (l, "ip6") };
  return 0;
}

static int
sync_nat (const struct capsa_netenv *env, int dir, capsa_err **err)
{
  cleanup_strv char **names = NULL;
  if (list_names (dir, &names, err) < 0)
    return -1;
  size_t nn = strv_len (names);
  json_t **nets = xmalloc0 ((nn + 1) * sizeof *nets);
  struct nat_net *nv = xmalloc0 ((nn + 1) * sizeof *nv);
  struct nat_ports ports = { NULL, 0 };
  int r = 0;
  size_t k = 0;
  for (size_t i = 0; i < nn && r == 0; i++)
    {
      if (ipam_load (dir, names[i], &nets[k], err) < 0)
        {
          r = -1;
          break;
        }
      json_t *n = nets[k++];
      nv[k - 1] = (struct nat_net){ .bridge = jstr (n, "bridge"),
                                    .subnet = jstr (n, "subnet"),
                                    .internal = json_is_true (json_object_get (n, "internal")),
                                    .subnet6 = jstr (n, "subnet6") };
      foreach_port (n, add_nat_port, &ports);
    }
  if (r == 0)
    r = nat_apply (env_table (env), nv, k, ports.v, ports.n, err);
  for (size_t i = 0; i < k; i++)
    json_decref (nets[i]);
  free (nets);
  free (nv);
  free (ports.v);
  return r;
}

/* The table changes with the networks and the published ports only: an attach or detach that
 * changes no port leaves it as it is (saving a libnftables run, most of an attach's time), unless
 * it is missing (after a reboot or a flush). */
static int
sync_nat_if (const struct capsa_netenv *env, int dir, bool ports_changed, capsa_err **err)
{
  cleanup_err capsa_err *e = NULL;
  if (!ports_changed && nl_nft_table_exists (env_table (env), &e) == 1)
    return 0;
  return sync_nat (env, dir, err);
}

/* ip_forward (IPv4), or net.ipv6.conf.all.forwarding: on while a network (with IPv6) exists; the
 * value before the first one is kept in .ip_forward (.ip6_forward) */
static int
forwarding (int dir, bool v6, bool on, capsa_err **err)
{
  const char *sysctl = v6 ? "net/ipv6/conf/all/forwarding" : "net/ipv4/ip_forward";
  const char *keep = v6 ? ".ip6_forward" : ".ip_forward";
  if (on)
    {
      char old = 0;
      if (nat_sysctl (sysctl, "1", &old, err) < 0)
        return -1;
      if (faccessat (dir, keep, F_OK, 0) < 0 && write_file_at (dir, keep, &old, 1, 0600, err) < 0)
        return -1;
      return 0;
    }
  cleanup_free char *old = NULL;
  if (read_file_at (dir, keep, &old, NULL, NULL) < 0)
    return 0;
  char v[2] = { old[0] == '1' ? '1' : '0', 0 };
  if (nat_sysctl (sysctl, v, NULL, err) < 0)
    return -1;
  unlinkat (dir, keep, 0);
  return 0;
}

/* ---- networks ---- */

static int
bridge_ensure (json_t *net, capsa_err **err)
{
  cleanup_nl struct nl_sock *s = NULL;
  const char *br = jstr (net, "bridge");
  struct in_addr base, gw;
  int prefix;
  if (nl_open (&s, err) < 0 || ipam_parse_cidr (jstr (net, "subnet"), &base, &prefix, err) < 0)
    return -1;
  inet_pton (AF_INET, jstr (net, "gateway"), &gw);
  int mtu = (int) json_integer_value (json_object_get (net, "mtu"));
  /* a MAC address of its own: a bridge without one takes its lowest port's, and changes it when
   * that container goes; the others' ARP entry of the gateway (their DNS server, their route
   * out) then points nowhere for up to half a minute */
  uint32_t h = fnv1a ("bridge", br);
  const unsigned char mac[6] = {
    0x02, 0xca, (unsigned char) (h >> 24), (unsigned char) (h >> 16), (unsigned char) (h >> 8), (unsigned char) h
  };
  if (nl_bridge_create (s, br, mtu, true, err) < 0 || nl_link_set_mac (s, br, mac, err) < 0
      || nl_addr_add (s, br, gw, prefix, true, err) < 0 || nl_link_set (s, br, NULL, NULL, 0, true, err) < 0)
    return capsa_err_wrap (err, "network `%s`", jstr (net, "name"));
  /* the host's own 127.0.0.1:PORT is DNATed to the bridge: let loopback sources route there */
  cleanup_free char *rl = xasprintf ("net/ipv4/conf/%s/route_localnet", br);
  if (nat_sysctl (rl, "1", NULL, err) < 0)
    return -1;
  if (jstr (net, "subnet6") == NULL)
    return 0;
  struct in6_addr base6, gw6;
  cleanup_free char *d6 = xasprintf ("net/ipv6/conf/%s/disable_ipv6", br);
  if (ipam_parse_cidr6 (jstr (net, "subnet6"), &base6, &prefix, err) < 0)
    return -1;
  inet_pton (AF_INET6, jstr (net, "gateway6"), &gw6);
  if (nat_sysctl (d6, "0", NULL, err) < 0)
    return capsa_err_wrap (err, "network `%s`: IPv6 is off on this host", jstr (net, "name"));
  if (nl_addr6_add (s, br, &gw6, prefix, true, err) < 0)
    return capsa_err_wrap (err, "network `%s`", jstr (net, "name"));
  return 0;
}

/* A subnet of either family: an IPv4 address in the first 4 bytes (network order), and its prefix. */
struct cidr
{
  struct in6_addr a;
  int prefix;
};

/* subnet ("10.88.0.0/16", or "fd00::/64" when v6) into c; false when it does not parse. */
static bool
cidr_parse (bool v6, const char *subnet, struct cidr *c)
{
  cleanup_err capsa_err *e = NULL;
  struct in_addr a4;
  memset (c, 0, sizeof *c);
  if (v6)
    return ipam_parse_cidr6 (subnet, &c->a, &c->prefix, &e) == 0;
  if (ipam_parse_cidr (subnet, &a4, &c->prefix, &e) < 0)
    return false;
  memcpy (c->a.s6_addr, &a4, sizeof a4);
  return true;
}

static bool
cidr_overlap (const struct cidr *x, const struct cidr *y)
{
  return ipam_in6_match (&x->a, &y->a, x->prefix < y->prefix ? x->prefix : y->prefix);
}

/* Does another network use bridge (when not NULL) or a subnet that overlaps subnet (when not NULL;
 * the networks' "subnet6" when v6, "subnet" otherwise)? */
static bool
subnet_used (int dir, bool v6, const char *subnet, const char *bridge)
{
  cleanup_strv char **names = NULL;
  cleanup_err capsa_err *e = NULL;
  const char *key = v6 ? "subnet6" : "subnet";
  struct cidr mine, theirs;
  if (list_names (dir, &names, &e) < 0 || (subnet && !cidr_parse (v6, subnet, &mine)))
    return false;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *j = NULL;
      cleanup_err capsa_err *e2 = NULL;
      if (ipam_load (dir, *n, &j, &e2) < 0)
        continue;
      if (bridge && jstr (j, "bridge") && strcmp (jstr (j, "bridge"), bridge) == 0)
        return true;
      if (subnet && jstr (j, key) && cidr_parse (v6, jstr (j, key), &theirs) && cidr_overlap (&mine, &theirs))
        return true;
    }
  return false;
}

/* What to do when the default network's subnet clashes. */
#define DEFAULT_HINT                                                                                                   \
  "remove the default network (`capsa network rm bridge`, once no container uses it) and the next "                    \
  "start makes it again in a free range"

/* One line of /proc/net/route (v6 false) or /proc/net/ipv6_route: its interface (IF_NAMESIZE) and
 * destination.  false for a line that is no route, the default route, and for IPv6 the host's own
 * addresses (local routes) and loopback: none of them make a subnet clash. */
static bool
route_line (bool v6, const char *line, char *ifn, struct cidr *dest)
{
  memset (dest, 0, sizeof *dest);
  if (!v6)
    {
      unsigned long d, mask;
      if (sscanf (line, "%15s %lx %*x %*x %*d %*d %*d %lx", ifn, &d, &mask) != 3 || mask == 0)
        return false;
      /* /proc/net/route prints addresses as the bytes are in memory: network order */
      uint32_t d32 = (uint32_t) d;
      memcpy (dest->a.s6_addr, &d32, sizeof d32);
      dest->prefix = __builtin_popcount ((uint32_t) mask); /* a route's mask is contiguous */
      return true;
    }
  char hex[33];
  unsigned plen;
  unsigned long flags;
  if (sscanf (line, "%32s %x %*s %*s %*s %*s %*s %*s %lx %15s", hex, &plen, &flags, ifn) != 4 || plen == 0
      || (flags & 0x80000000ul) /* RTF_LOCAL */ || strcmp (ifn, "lo") == 0)
    return false;
  for (int i = 0; i < 16; i++)
    {
      unsigned byte;
      sscanf (hex + 2 * i, "%2x", &byte);
      dest->a.s6_addr[i] = (uint8_t) byte;
    }
  dest->prefix = (int) plen;
  return true;
}

/* Does the host already route (part of) subnet (IPv6 when v6) through an interface that is not
 * `own_bridge` (another container engine's bridge, a VPN, the LAN)?  Then a network there would
 * clash.  iface (IF_NAMESIZE) gets the interface. */
static bool
host_route_clash (bool v6, const char *subnet, const char *own_bridge, char *iface)
{
  cleanup_fclose FILE *f = fopen (v6 ? "/proc/net/ipv6_route" : "/proc/net/route", "re");
  struct cidr net, dest;
  char line[256], ifn[IF_NAMESIZE];
  if (f == NULL || !cidr_parse (v6, subnet, &net))
    return false;
  while (fgets (line, sizeof line, f))
    if (route_line (v6, line, ifn, &dest) && !(own_bridge && strcmp (ifn, own_bridge) == 0)
        && cidr_overlap (&dest, &net))
      {
        snprintf (iface, IF_NAMESIZE, "%s", ifn);
        return true;
      }
  return false;
}

/* Is subnet free of the host's routes (but own_bridge's) and other engines' configured networks?
 * (-1 with the error naming what it overlaps.)  Checked at creation and at each attach: a VPN, a
 * LAN, another engine's bridge may have come since. */
static int
subnet_clash (const char *name, const char *subnet, const char *own_bridge, capsa_err **err)
{
  char iface[IF_NAMESIZE], what[PATH_MAX];
  if (host_route_clash (false, subnet, own_bridge, iface))
    return capsa_fail_as (err, EADDRINUSE,
                          "subnet %s overlaps the host's route through `%s` (another engine's bridge, a VPN or the "
                          "LAN?): %s",
                          subnet, iface,
                          strcmp (name, CAPSA_NET_DEFAULT) == 0 ? DEFAULT_HINT : "pick another with --subnet");
  if (ipam_foreign_clash (subnet, what, sizeof what))
    return capsa_fail_as (err, EADDRINUSE, "subnet %s overlaps another engine's network configured in `%s`: %s", subnet,
                          what, strcmp (name, CAPSA_NET_DEFAULT) == 0 ? DEFAULT_HINT : "pick another with --subnet");
  return 0;
}

/* subnet6 and gateway6 of a new dual-stack network, into net. */
static int
create_v6 (int dir, const struct capsa_net_create_opts *o, json_t *net, capsa_err **err)
{
  char clash[IF_NAMESIZE] = "", text[INET6_ADDRSTRLEN + 4];
  cleanup_free char *subnet = o->subnet6 ? xstrdup (o->subnet6) : NULL;
  /* as podman: a random unique local /64 (RFC 4193: fd, a 40-bit random global ID, subnet 0) */
  for (int i = 0; subnet == NULL && i < 16; i++)
    {
      struct in6_addr r = { .s6_addr = { 0xfd } };
      if (getrandom (&r.s6_addr[1], 5, 0) != 5)
        return capsa_fail (err, errno, "network `%s`: pick an IPv6 subnet", o->name);
      inet_ntop (AF_INET6, &r, text, INET6_ADDRSTRLEN);
      strcat (text, "/64");
      if (!subnet_used (dir, true, text, NULL) && !host_route_clash (true, text, NULL, clash))
        subnet = xstrdup (text);
    }
  if (subnet == NULL)
    return capsa_fail_as (err, EADDRNOTAVAIL, "network `%s`: no free IPv6 subnet found; give one with --subnet",
                          o->name);
  struct in6_addr base, gw;
  int prefix;
  if (ipam_parse_cidr6 (subnet, &base, &prefix, err) < 0)
    return -1;
  if (host_route_clash (true, subnet, o->bridge, clash))
    return capsa_fail_as (err, EADDRINUSE,
                          "network `%s`: subnet %s overlaps the host's route through `%s`: pick another with --subnet",
                          o->name, subnet, clash);
  if (subnet_used (dir, true, subnet, NULL))
    return capsa_fail_as (err, EADDRINUSE, "network `%s`: subnet %s overlaps another network's", o->name, subnet);
  if (o->gateway6)
    {
      if (inet_pton (AF_INET6, o->gateway6, &gw) != 1 || !ipam_in6_match (&gw, &base, prefix)
          || memcmp (&gw, &base, sizeof gw) == 0)
        return capsa_fail_as (err, EINVAL, "network `%s`: gateway `%s` is not in %s", o->name, o->gateway6, subnet);
    }
  else
    {
      gw = base;
      ipam_in6_add (&gw, 1);
    }
  inet_ntop (AF_INET6, &gw, text, INET6_ADDRSTRLEN);
  /* canonical text, so that two spellings of one subnet compare equal */
  char canon[INET6_ADDRSTRLEN + 4];
  inet_ntop (AF_INET6, &base, canon, INET6_ADDRSTRLEN);
  snprintf (canon + strlen (canon), 5, "/%d", prefix);
  json_object_set_new (net, "ipv6", json_true ());
  json_object_set_new (net, "subnet6", json_string (canon));
  json_object_set_new (net, "gateway6", json_string (text));
  return 0;
}

/* The IPv4 subnet (*subnet, malloc'd) and gateway (gws, INET_ADDRSTRLEN) of a new network: o's,
 * or the first free 10.89.N.0/24 and its first address. */
static int
create_v4 (int dir, const struct capsa_net_create_opts *o, char **subnet, char *gws, capsa_err **err)
{
  char clash[IF_NAMESIZE] = "", what[PATH_MAX];
  *subnet = o->subnet ? xstrdup (o->subnet) : NULL;
  for (int i = 1; *subnet == NULL && i < 255; i++)
    {
      cleanup_free char *c = xasprintf ("10.89.%d.0/24", i);
      if (!subnet_used (dir, false, c, NULL) && !host_route_clash (false, c, NULL, clash)
          && !ipam_foreign_clash (c, what, sizeof what))
        *subnet = take_ptr (&c);
    }
  if (*subnet == NULL)
    return capsa_fail_as (err, EADDRNOTAVAIL, "network `%s`: no free subnet in 10.89.0.0/16; give one with --subnet",
                          o->name);
  if (subnet_clash (o->name, *subnet, o->bridge, err) < 0)
    return capsa_err_wrap (err, "network `%s`", o->name);
  struct in_addr base, gw;
  int prefix;
  if (ipam_parse_cidr (*subnet, &base, &prefix, err) < 0)
    return -1;
  if (subnet_used (dir, false, *subnet, NULL))
    return capsa_fail_as (err, EADDRINUSE, "network `%s`: subnet %s overlaps another network's", o->name, *subnet);
  if (o->gateway)
    {
      uint32_t m = ~0u << (32 - prefix);
      if (inet_pton (AF_INET, o->gateway, &gw) != 1 || (ntohl (gw.s_addr) & m) != ntohl (base.s_addr))
        return capsa_fail_as (err, EINVAL, "network `%s`: gateway `%s` is not in %s", o->name, o->gateway, *subnet);
    }
  else
    gw.s_addr = htonl (ntohl (base.s_addr) + 1);
  inet_ntop (AF_INET, &gw, gws, INET_ADDRSTRLEN);
  return 0;
}

static int
network_create_locked (const struct capsa_netenv *env, int dir, const struct capsa_net_create_opts *o, capsa_err **err)
{
  if (!valid_name (o->name))
    return capsa_fail_as (err, EINVAL, "network name `%s`: use letters, digits, `.`, `_`, `-`", o->name ? o->name : "");
  cleanup_free char *file = xasprintf ("%s.json", o->name);
  if (faccessat (dir, file, F_OK, 0) == 0)
    return capsa_fail_as (err, EEXIST, "network `%s` already exists", o->name);
  cleanup_free char *subnet = NULL;
  char gws[INET_ADDRSTRLEN];
  if (create_v4 (dir, o, &subnet, gws, err) < 0)
    return -1;
  cleanup_free char *bridge = o->bridge ? xstrdup (o->bridge) : xasprintf ("cbr-%08x", fnv1a ("net", o->name));
  if (strlen (bridge) >= IF_NAMESIZE)
    return capsa_fail_as (err, EINVAL, "network `%s`: bridge name `%s` is too long", o->name, bridge);
  if (subnet_used (dir, false, NULL, bridge))
    return capsa_fail_as (err, EEXIST, "network `%s`: bridge `%s` belongs to another network", o->name, bridge);
  char created[40];
  now_rfc3339 (created, sizeof created);
  cleanup_json json_t *net = json_pack ("{s:s, s:s, s:s, s:s, s:i, s:b, s:b, s:s, s:{}}", "name", o->name, "subnet",
                                        subnet, "gateway", gws, "bridge", bridge, "mtu", o->mtu > 0 ? o->mtu : 1500,
                                        "internal", o->internal, "dns", strcmp (o->name, CAPSA_NET_DEFAULT) != 0,
                                        "created", created, "leases");
  if ((o->ipv6 || o->subnet6) && create_v6 (dir, o, net, err) < 0)
    return -1;
  if (ipam_save (dir, o->name, net, err) < 0 || forwarding (dir, false, true, err) < 0
      || (jstr (net, "subnet6") && forwarding (dir, true, true, err) < 0) || bridge_ensure (net, err) < 0
      || sync_nat (env, dir, err) < 0)
    {
      cleanup_err capsa_err *e = NULL;
      cleanup_nl struct nl_sock *s = NULL;
      if (nl_open (&s, &e) == 0)
        nl_link_del (s, bridge, true, &e);
      ipam_unlink (dir, o->name, &e);
      return -1;
    }
  return 0;
}

int
capsa_network_create (const struct capsa_netenv *env, const struct capsa_net_create_opts *o, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  if (netstate_open (env, &st, err) < 0)
    return -1;
  return network_create_locked (env, st.dir, o, err);
}

/* Load an existing network: a missing one is "network `x` does not exist" (ENOENT). */
static int
load_existing (int dir, const char *name, json_t **net, capsa_err **err)
{
  cleanup_free char *file = xasprintf ("%s.json", name);
  if (!valid_name (name) || faccessat (dir, file, F_OK, 0) < 0)
    return capsa_fail_as (err, ENOENT, "network `%s` does not exist", name);
  return ipam_load (dir, name, net, err);
}

/* The default network's subnet: the first range of its pool that no other network, no host
 * route and no other engine's configured network overlaps.  The pool is docker's default
 * address pools: 172.17.0.0/16 to 172.31.0.0/16, then 192.168.0.0/16 in /20s.  Not podman's
 * 10.88.0.0/16: when podman's cni-podman0 came up later, the host had two routes for it. */
static int
default_subnet (int dir, char *out, size_t len, capsa_err **err)
{
  char iface[IF_NAMESIZE], what[PATH_MAX];
  for (int i = 0; i < 15 + 16; i++)
    {
      if (i < 15)
        snprintf (out, len, "172.%d.0.0/16", 17 + i);
      else
        snprintf (out, len, "192.168.%d.0/20", (i - 15) * 16);
      if (!subnet_used (dir, false, out, NULL) && !host_route_clash (false, out, CAPSA_NET_DEFAULT_BRIDGE, iface)
          && !ipam_foreign_clash (out, what, sizeof what))
        return 0;
    }
  return capsa_fail_as (
      err, EADDRNOTAVAIL,
      "the default network: every range of its pool (172.17.0.0/16 to 172.31.0.0/16, "
      "192.168.0.0/20 to 192.168.240.0/20) overlaps a host route or another network: run "
      "containers on a network of your own (`capsa network create --subnet CIDR NAME`, `--network NAME`)");
}

/* Load a network; the default one is created when missing. */
static int
network_load (const struct capsa_netenv *env, int dir, const char *name, json_t **net, capsa_err **err)
{
  if (name == NULL)
    name = CAPSA_NET_DEFAULT;
  cleanup_free char *file = xasprintf ("%s.json", name);
  if (faccessat (dir, file, F_OK, 0) < 0)
    {
      if (strcmp (name, CAPSA_NET_DEFAULT) != 0)
        return load_existing (dir, name, net, err);
      char cand[24];
      if (default_subnet (dir, cand, sizeof cand, err) < 0)
        return -1;
      struct capsa_net_create_opts o = { .name = CAPSA_NET_DEFAULT,
                                         .subnet = cand,
                                         .bridge = CAPSA_NET_DEFAULT_BRIDGE };
      if (network_create_locked (env, dir, &o, err) < 0)
        return -1;
    }
  return ipam_load (dir, name, net, err);
}

/* One lease's IPv4 line, then its IPv6 one (resolvers try them in the file's order): its
 * addresses, then first, second, its name and its aliases. */
static void
hosts_lease (struct strbuf *b, json_t *l, const char *first, const char *second)
{
  const char *fam[] = { "ip", "ip6" }, *nm = jstr (l, "name");
  for (size_t f = 0; f < ARRAY_SIZE (fam); f++)
    {
      if (jstr (l, fam[f]) == NULL)
        continue;
      strbuf_printf (b, "%s\t%s %s%s%s", jstr (l, fam[f]), first, second, nm ? " " : "", nm ? nm : "");
      size_t i;
      json_t *a;
      json_array_foreach (json_object_get (l, "aliases"), i, a) strbuf_printf (b, " %s", json_string_value (a));
      strbuf_printf (b, "\n");
    }
}

/* A lease's --add-host entries ("NAME:IP"; IP host-gateway: the network's gateway, docker's rule). */
static void
hosts_extra (struct strbuf *b, json_t *net, json_t *l)
{
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (l, "extra_hosts"), i, v)
  {
    const char *e = json_string_value (v), *colon = e ? strchr (e, ':') : NULL;
    if (colon == NULL)
      continue;
    const char *ip = strcmp (colon + 1, "host-gateway") == 0 ? jstr (net, "gateway") : colon + 1;
    strbuf_printf (b, "%s\t%.*s\n", ip ? ip : "", (int) (colon - e), e);
  }
}

/* cid's lines for one network: its --add-host entries and its own addresses.  Its peers are not
 * listed: they are the network's DNS server's (dns_server.c), so that a start rewrites no other
 * container's file. */
static void
hosts_net (struct strbuf *b, json_t *net, const char *cid)
{
  json_t *me = json_object_get (json_object_get (net, "leases"), cid);
  if (me == NULL)
    return;
  hosts_extra (b, net, me);
  hosts_lease (b, me, jstr (me, "hostname"), cid);
}

/* The hosts file of a container: net (in memory, maybe newer than its file), then every other
 * network of the state directory dir (-1: none) it is attached to (`network connect` adds one). */
static char *
hosts_for (int dir, json_t *net, const char *cid)
{
  struct strbuf b = { 0 };
  strbuf_printf (&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
  hosts_net (&b, net, cid);
  cleanup_strv char **names = NULL;
  cleanup_err capsa_err *e = NULL;
  if (dir < 0 || list_names (dir, &names, &e) < 0)
    return b.buf;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *o = NULL;
      if (strcmp (*n, jstr (net, "name") ?: "") != 0 && ipam_load (dir, *n, &o, &e) == 0)
        hosts_net (&b, o, cid);
      capsa_err_free (&e);
    }
  return b.buf;
}

/* The lines of the host's resolv.conf that start with key (nameserver, search, options); a
 * nameserver on the host's loopback is left out: unreachable from the container's namespace. */
static void
resolv_host (struct strbuf *b, const char *key)
{
  cleanup_free char *host = NULL;
  cleanup_err capsa_err *e = NULL;
  size_t kl = strlen (key);
  if (read_file_at (AT_FDCWD, "/etc/resolv.conf", &host, NULL, &e) < 0)
    return;
  for (char *save = NULL, *line = strtok_r (host, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (strncmp (line, key, kl) != 0 || (line[kl] != ' ' && line[kl] != '\t'))
        continue;
      if (strcmp (key, "nameserver") == 0
          && (strstr (line + kl, " 127.") || strstr (line + kl, "\t127.") || strstr (line + kl, " ::1")))
        continue;
      strbuf_printf (b, "%s\n", line);
    }
}

/* key's values from the lease (--dns, --dns-search, --dns-option) on one line each ("nameserver")
 * or all on one: false when the lease has none. */
static bool
resolv_lease (struct strbuf *b, json_t *l, const char *field, const char *key, bool one_line)
{
  json_t *v = json_object_get (l, field), *x;
  size_t i;
  if (json_array_size (v) == 0)
    return false;
  if (strcmp (field, "dns_search") == 0 && json_array_size (v) == 1
      && strcmp (json_string_value (json_array_get (v, 0)) ?: "", ".") == 0)
    return true; /* docker: `--dns-search .` is no search domain */
  json_array_foreach (v, i, x)
  {
    const char *val = json_string_value (x) ?: "";
    if (!one_line)
      strbuf_printf (b, "%s %s\n", key, val);
    else
      strbuf_printf (b, "%s%s%s", i ? " " : key, i ? "" : " ", val);
  }
  if (one_line)
    strbuf_printf (b, "\n");
  return true;
}

/* A container's resolv.conf: --dns's nameservers, else its network's DNS server (the gateway, on
 * a network with "dns"), else the host's; --dns-search and --dns-option over the host's. */
static char *
resolv_for (json_t *net, json_t *l)
{
  struct strbuf b = { 0 };
  strbuf_printf (&b, "%s", "");
  bool own = resolv_lease (&b, l, "dns_servers", "nameserver", false);
  if (!own && json_is_true (json_object_get (net, "dns")) && jstr (net, "gateway"))
    strbuf_printf (&b, "nameserver %s\n", jstr (net, "gateway"));
  else if (!own)
    {
      resolv_host (&b, "nameserver");
      if (strstr (b.buf, "nameserver") == NULL)
        strbuf_printf (&b, "nameserver 8.8.8.8\nnameserver 1.1.1.1\n");
    }
  if (!resolv_lease (&b, l, "dns_search", "search", true))
    resolv_host (&b, "search");
  if (!resolv_lease (&b, l, "dns_options", "options", true))
    resolv_host (&b, "options");
  return b.buf;
}

/* Write hosts, hostname and resolv.conf into a lease's etc_dir, in place (they may be bind-mounted
 * into the container: a rename would leave the container with the old inode). */
static int
write_etc (int dir, json_t *net, const char *cid, bool all, capsa_err **err)
{
  const char *dirpath = jstr (json_object_get (json_object_get (net, "leases"), cid), "etc_dir");
  if (dirpath == NULL)
    return 0;
  cleanup_close int d = open (dirpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0)
    return capsa_fail (err, errno, "open `%s`", dirpath);
  cleanup_free char *hosts = hosts_for (dir, net, cid);
  if (write_file_at (d, "hosts", hosts, strlen (hosts), 0644, err) < 0)
    return -1;
  if (!all)
    return 0;
  json_t *l = json_object_get (json_object_get (net, "leases"), cid);
  cleanup_free char *resolv = resolv_for (net, l);
  cleanup_free char *hn = xasprintf ("%s\n", jstr (l, "hostname"));
  if (write_file_at (d, "hostname", hn, strlen (hn), 0644, err) < 0
      || write_file_at (d, "resolv.conf", resolv, strlen (resolv), 0644, err) < 0)
    return -1;
  return 0;
}

/* Rewrite cid's own hosts file from the first of its networks whose lease has the etc_dir. */
static void
refresh_own (int dir, const char *cid, bool all)
{
  cleanup_strv char **names = NULL;
  cleanup_err capsa_err *e = NULL;
  if (list_names (dir, &names, &e) < 0)
    return;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *o = NULL;
      if (ipam_load (dir, *n, &o, &e) == 0 && jstr (json_object_get (json_object_get (o, "leases"), cid), "etc_dir"))
        {
          write_etc (dir, o, cid, all, &e);
          return;
        }
      capsa_err_free (&e);
    }
}

static void
drop_lease (json_t *net, const char *cid)
{
  json_t *l = json_object_get (json_object_get (net, "leases"), cid);
  cleanup_nl struct nl_sock *s = NULL;
  cleanup_err capsa_err *e = NULL;
  /* the peer in the container goes with it; the kernel takes its time (netlink.h), not ours nor
   * the network lock's, and the address is handed out again only once the subnet has gone round */
  if (l && jstr (l, "veth") && nl_open (&s, &e) == 0)
    nl_link_del_detached (s, jstr (l, "veth"), &e);
  json_object_del (json_object_get (net, "leases"), cid);
}

/* Drop the leases whose container is gone; returns how many. */
static int
reclaim_stale (json_t *net)
{
  int n = 0;
  const char *k;
  json_t *l, *tmp;
  json_object_foreach_safe (json_object_get (net, "leases"), tmp, k, l) if (ipam_lease_stale (l))
  {
    drop_lease (net, k);
    n++;
  }
  return n;
}

static int
first_free_eth (struct nl_sock *s, char *buf, capsa_err **err)
{
  for (int i = 0; i < 100; i++)
    {
      snprintf (buf, IF_NAMESIZE, "eth%d", i);
      int r = nl_link_index (s, buf, err);
      if (r <= 0)
        return r;
    }
  return capsa_fail_as (err, ENOSPC, "no free ethN name in the container");
}

/* "02:42:ac:11:00:02" into mac: false when text is NULL or no unicast MAC address. */
static bool
parse_mac (const char *text, unsigned char mac[6])
{
  int end = 0;
  if (text == NULL
      || sscanf (text, "%2hhx:%2hhx:%2hhx:%2hhx:%2hhx:%2hhx%n", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5],
                 &end)
             != 6
      || text[end] != '\0' || strlen (text) != 17)
    return false;
  return (mac[0] & 1) == 0; /* not multicast (nor broadcast) */
}

/* The links of an attach, once the lease is recorded. */
static int
plumb (json_t *net, json_t *lease, int netns_fd, struct capsa_attach_result *res, capsa_err **err)
{
  cleanup_nl struct nl_sock *host = NULL, *ctr = NULL;
  const char *veth = jstr (lease, "veth"), *peer = jstr (lease, "peer");
  int mtu = (int) json_integer_value (json_object_get (net, "mtu"));
  struct in_addr ip, gw, base;
  int prefix;
  ipam_parse_cidr (jstr (net, "subnet"), &base, &prefix, err);
  inet_pton (AF_INET, jstr (lease, "ip"), &ip);
  inet_pton (AF_INET, jstr (net, "gateway"), &gw);
  if (nl_open (&host, err) < 0 || nl_open_in_netns (netns_fd, &ctr, err) < 0)
    return -1;
  if (first_free_eth (ctr, res->ifname, err) < 0)
    return -1;
  nl_link_del (host, veth, true, err); /* a leftover of a crashed attach of the same container */
  if (nl_veth_create (host, veth, peer, netns_fd, mtu, err) < 0
      || nl_link_set (host, veth, NULL, jstr (net, "bridge"), 0, true, err) < 0)
    return -1;
  unsigned char mac[6];
  if (parse_mac (jstr (lease, "want_mac"), mac) && nl_link_set_mac (ctr, peer, mac, err) < 0)
    return -1;
  if (nl_link_set (ctr, peer, res->ifname, NULL, 0, true, err) < 0
      || nl_link_set (ctr, "lo", NULL, NULL, 0, true, err) < 0
      || nl_addr_add (ctr, res->ifname, ip, prefix, false, err) < 0)
    return -1;
  /* the first network gives the default route; a second one only its subnet */
  if (nl_route_default (ctr, gw, err) < 0)
    {
      if (errno != EEXIST)
        return -1;
      capsa_err_free (err);
    }
  if (jstr (lease, "ip6"))
    {
      struct in6_addr ip6, gw6, base6;
      int prefix6;
      if (ipam_parse_cidr6 (jstr (net, "subnet6"), &base6, &prefix6, err) < 0)
        return -1;
      inet_pton (AF_INET6, jstr (lease, "ip6"), &ip6);
      inet_pton (AF_INET6, jstr (net, "gateway6"), &gw6);
      if (nl_addr6_add (ctr, res->ifname, &ip6, prefix6, false, err) < 0)
        return -1;
      if (nl_route6_default (ctr, &gw6, err) < 0)
        {
          if (errno != EEXIST)
            return -1;
          capsa_err_free (err);
        }
    }
  return nl_link_mac (ctr, res->ifname, res->mac, sizeof res->mac, err);
}

/* A published port that an attach wants, and where to say who has it already. */
struct port_want
{
  const struct capsa_port *want;
  capsa_err **err;
};

static int
port_taken (const char *cid, json_t *l, json_t *p, void *arg)
{
  const struct port_want *w = arg;
  const struct capsa_port *want = w->want;
  if (json_integer_value (json_object_get (p, "host_port")) == want->host_port
      && strcmp (jstr (p, "proto"), want->proto) == 0
      && (!*want->host_ip || !*jstr (p, "host_ip") || strcmp (jstr (p, "host_ip"), want->host_ip) == 0))
    return capsa_fail_as (w->err, EADDRINUSE, "port %d/%s is already published by container `%s`", want->host_port,
                          want->proto, cid);
  return 0;
}

/* Can the attach a publish its ports (net: its network, loaded) and have the addresses it asks for? */
static int
attach_check (int dir, json_t *net, const struct capsa_attach *a, capsa_err **err)
{
  const char *name = jstr (net, "name");
  for (size_t i = 0; i < a->nports; i++)
    {
      /* a host port is taken once per protocol and address, across every network */
      cleanup_strv char **names = NULL;
      struct port_want w = { &a->ports[i], err };
      if (list_names (dir, &names, err) < 0)
        return -1;
      for (char **n = names; *n; n++)
        {
          cleanup_json json_t *o = NULL;
          if (strcmp (*n, name) == 0)
            o = json_incref (net);
          else if (ipam_load (dir, *n, &o, err) < 0)
            return -1;
          if (foreach_port (o, port_taken, &w) < 0)
            return -1;
        }
    }
  for (size_t i = 0; i < a->nports; i++)
    if (a->ports[i].host_port <= 0)
      return capsa_fail_as (err, EINVAL, "port %d/%s: no host port given (choose one: `HOSTPORT:%d`)",
                            a->ports[i].ctr_port, a->ports[i].proto, a->ports[i].ctr_port);
  bool v6 = jstr (net, "subnet6") != NULL;
  for (size_t i = 0; i < a->nports && !v6; i++)
    if (strchr (a->ports[i].host_ip, ':'))
      return capsa_fail_as (err, EINVAL, "port [%s]:%d: network `%s` has no IPv6 (`capsa network create --ipv6`)",
                            a->ports[i].host_ip, a->ports[i].host_port, name);
  unsigned char mac[6];
  if (a->mac && !parse_mac (a->mac, mac))
    return capsa_fail_as (err, EINVAL, "MAC address `%s`: want six hex bytes, XX:XX:XX:XX:XX:XX, not multicast",
                          a->mac);
  if (a->ip6 && !v6)
    return capsa_fail_as (err, EINVAL, "address %s: network `%s` has no IPv6", a->ip6, name);
  for (const char *const *p = a->aliases; p && *p; p++)
    if (!valid_name (*p))
      return capsa_fail_as (err, EINVAL, "network alias `%s`: a name of letters, digits, `.`, `_` and `-` is needed",
                            *p);
  return 0;
}

/* The names and addresses of a new lease (ip6 "" on an IPv4-only network). */
struct lease_names
{
  char ip[INET_ADDRSTRLEN], ip6[INET6_ADDRSTRLEN], veth[IF_NAMESIZE], peer[IF_NAMESIZE];
};

/* v (NULL-terminated; NULL or empty: nothing) as the lease's array key. */
static void
lease_strv (json_t *l, const char *key, const char *const *v)
{
  if (v == NULL || v[0] == NULL)
    return;
  json_t *arr = json_array ();
  for (const char *const *p = v; *p; p++)
    json_array_append_new (arr, json_string (*p));
  json_object_set_new (l, key, arr);
}

/* The lease of a on net, added to net's "leases" (*lease: borrowed from net). */
static int
lease_add (json_t *net, const struct capsa_attach *a, struct lease_names *ln, json_t **lease, capsa_err **err)
{
  const char *name = jstr (net, "name"), *cid = a->container_id;
  bool v6 = jstr (net, "subnet6") != NULL;
  struct in_addr ip;
  struct in6_addr ip6;
  if (ipam_pick (net, a->ip, &ip, err) < 0 || (v6 && ipam_pick6 (net, a->ip6, &ip6, err) < 0))
    return -1;
  memset (ln, 0, sizeof *ln);
  inet_ntop (AF_INET, &ip, ln->ip, sizeof ln->ip);
  if (v6)
    inet_ntop (AF_INET6, &ip6, ln->ip6, sizeof ln->ip6);
  uint32_t h = fnv1a (name, cid);
  snprintf (ln->veth, sizeof ln->veth, "vc%08x", h);
  snprintf (ln->peer, sizeof ln->peer, "vp%08x", h);
  uint64_t start = 0;
  char stc;
  if (a->pid > 0 && proc_stat_start (a->pid, &start, &stc) < 0)
    return capsa_fail_as (err, ESRCH, "container `%s`: process %d is gone", cid, (int) a->pid);
  cleanup_free char *hostname = a->hostname ? xstrdup (a->hostname) : strndup (cid, 12);
  json_t *ports = json_array ();
  for (size_t i = 0; i < a->nports; i++)
    json_array_append_new (ports, json_pack ("{s:s, s:i, s:i, s:s}", "host_ip", a->ports[i].host_ip, "host_port",
                                             a->ports[i].host_port, "container_port", a->ports[i].ctr_port, "proto",
                                             a->ports[i].proto));
  json_t *l = json_pack ("{s:s, s:I, s:I, s:s, s:s, s:s, s:o}", "ip", ln->ip, "pid", (json_int_t) a->pid, "start",
                         (json_int_t) start, "veth", ln->veth, "peer", ln->peer, "hostname", hostname, "ports", ports);
  if (a->etc_dir)
    json_object_set_new (l, "etc_dir", json_string (a->etc_dir));
  if (a->name)
    json_object_set_new (l, "name", json_string (a->name));
  lease_strv (l, "aliases", a->aliases);
  lease_strv (l, "dns_servers", a->dns);
  lease_strv (l, "dns_search", a->dns_search);
  lease_strv (l, "dns_options", a->dns_options);
  lease_strv (l, "extra_hosts", a->extra_hosts);
  if (a->mac)
    json_object_set_new (l, "want_mac", json_string (a->mac));
  if (v6)
    json_object_set_new (l, "ip6", json_string (ln->ip6));
  json_object_set_new (json_object_get (net, "leases"), cid, l);
  *lease = l;
  return 0;
}

/* Has cid a lease with an etc_dir on another network than net, one with a DNS server?  (Then
 * its resolv.conf stays: that server answers for the names of each of its networks.) */
static bool
etc_elsewhere (int dir, json_t *net, const char *cid)
{
  cleanup_strv char **names = NULL;
  cleanup_err capsa_err *e = NULL;
  if (list_names (dir, &names, &e) < 0)
    return false;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *o = NULL;
      if (strcmp (*n, jstr (net, "name") ?: "") != 0 && ipam_load (dir, *n, &o, &e) == 0
          && jstr (json_object_get (json_object_get (o, "leases"), cid), "etc_dir")
          && json_is_true (json_object_get (o, "dns")))
        return true;
      capsa_err_free (&e);
    }
  return false;
}

/* Bring up what the recorded lease needs: the bridge, forwarding, the veth pair, NAT, the hosts
 * files.  On failure the lease is dropped again. */
static int
lease_plumb (const struct capsa_netenv *env, int dir, json_t *net, json_t *lease, const struct capsa_attach *a,
             int netns_fd, bool nat_changed, struct capsa_attach_result *res, capsa_err **err)
{
  const char *name = jstr (net, "name"), *cid = a->container_id;
  int r = bridge_ensure (net, err);
  if (r == 0)
    r = forwarding (dir, false, true, err);
  if (r == 0 && jstr (net, "subnet6"))
    r = forwarding (dir, true, true, err);
  if (r == 0)
    r = plumb (net, lease, netns_fd, res, err);
  if (r == 0)
    r = sync_nat_if (env, dir, nat_changed, err);
  /* its resolv.conf and hostname are its first network's with a DNS server (`network connect`
   * adds lines to its hosts file, and a DNS server to a container on the default network) */
  if (r == 0 && a->etc_dir)
    r = write_etc (dir, net, cid, !etc_elsewhere (dir, net, cid), err);
  if (r < 0)
    {
      cleanup_err capsa_err *e = NULL;
      drop_lease (net, cid);
      if (ipam_save (dir, name, net, &e) == 0)
        sync_nat (env, dir, &e);
      return capsa_err_wrap (err, "attach container `%s` to network `%s`", cid, name);
    }
  return 0;
}

/* res's addresses and names, once the lease is up. */
static void
attach_result (json_t *net, const struct lease_names *ln, struct capsa_attach_result *res, capsa_err **err)
{
  snprintf (res->host_ifname, sizeof res->host_ifname, "%s", ln->veth);
  snprintf (res->address, sizeof res->address, "%s", ln->ip);
  snprintf (res->gateway, sizeof res->gateway, "%s", jstr (net, "gateway"));
  snprintf (res->bridge, sizeof res->bridge, "%s", jstr (net, "bridge"));
  struct in_addr b;
  ipam_parse_cidr (jstr (net, "subnet"), &b, &res->prefixlen, err);
  if (jstr (net, "subnet6") != NULL)
    {
      struct in6_addr b6;
      snprintf (res->address6, sizeof res->address6, "%s", ln->ip6);
      snprintf (res->gateway6, sizeof res->gateway6, "%s", jstr (net, "gateway6"));
      ipam_parse_cidr6 (jstr (net, "subnet6"), &b6, &res->prefixlen6, err);
    }
}

/* attach_check and lease_add, dropping the leases whose container is gone only when they stand
 * in the way (this container's own earlier lease, an address, a port): looking at every lease's
 * process on each attach cost a /proc read per running container. */
static int
lease_add_reclaiming (int dir, json_t *net, const struct capsa_attach *a, struct lease_names *ln, json_t **lease,
                      int *reclaimed, capsa_err **err)
{
  const char *cid = a->container_id;
  json_t *own = json_object_get (json_object_get (net, "leases"), cid);
  *reclaimed = own && ipam_lease_stale (own) ? reclaim_stale (net) : 0;
  if (json_object_get (json_object_get (net, "leases"), cid))
    return capsa_fail_as (err, EEXIST, "container `%s` is already attached to network `%s`", cid, jstr (net, "name"));
  if (attach_check (dir, net, a, err) == 0 && lease_add (net, a, ln, lease, err) == 0)
    return 0;
  if (*reclaimed > 0 || ((*err)->errnum != EADDRINUSE && (*err)->errnum != ENOSPC)
      || (*reclaimed = reclaim_stale (net)) == 0)
    return -1;
  capsa_err_free (err);
  return attach_check (dir, net, a, err) == 0 && lease_add (net, a, ln, lease, err) == 0 ? 0 : -1;
}

static int
attach_locked (const struct capsa_netenv *env, int dir, const struct capsa_attach *a, int netns_fd,
               struct capsa_attach_result *res, capsa_err **err)
{
  cleanup_json json_t *net = NULL;
  if (network_load (env, dir, a->network, &net, err) < 0)
    return -1;
  const char *name = jstr (net, "name");
  if (subnet_clash (name, jstr (net, "subnet"), jstr (net, "bridge"), err) < 0)
    return capsa_err_wrap (err, "network `%s`", name);
  struct lease_names ln;
  json_t *lease = NULL;
  int reclaimed = 0;
  if (lease_add_reclaiming (dir, net, a, &ln, &lease, &reclaimed, err) < 0)
    return -1;
  /* recorded first: a crash from here on leaves a lease that goes stale with its container */
  if (ipam_save (dir, name, net, err) < 0)
    return -1;
  memset (res, 0, sizeof *res);
  if (lease_plumb (env, dir, net, lease, a, netns_fd, a->nports > 0 || reclaimed > 0, res, err) < 0)
    return -1;
  /* (the MAC and the interface's name are the engine's to record, in run.json: a second write
   * of the state for them cost each attach a rewrite of every lease, and the DNS server a reload) */
  attach_result (net, &ln, res, err);
  return 0;
}

int
capsa_net_attach (const struct capsa_netenv *env, const struct capsa_attach *a, struct capsa_attach_result *res,
                  capsa_err **err)
{
  if (a->container_id == NULL || *a->container_id == '\0')
    return capsa_fail_as (err, EINVAL, "attach: no container id");
  cleanup_close int own = -1;
  int netns_fd = a->netns_fd;
  if (netns_fd < 0)
    {
      char p[64];
      snprintf (p, sizeof p, "/proc/%d/ns/net", (int) a->pid);
      netns_fd = own = open (p, O_RDONLY | O_CLOEXEC);
      if (own < 0)
        return capsa_fail (err, errno, "container `%s`: open %s", a->container_id, p);
    }
  cleanup_netstate struct netstate st;
  if (netstate_open (env, &st, err) < 0)
    return -1;
  return attach_locked (env, st.dir, a, netns_fd, res, err);
}

/* Open the network state, load *network (set to the default network when NULL) and find
 * container_id's lease in it (*lease: borrowed from *net). */
static int
lease_load (const struct capsa_netenv *env, struct netstate *st, const char **network, const char *container_id,
            json_t **net, json_t **lease, capsa_err **err)
{
  if (*network == NULL)
    *network = CAPSA_NET_DEFAULT;
  if (netstate_open (env, st, err) < 0 || load_existing (st->dir, *network, net, err) < 0)
    return -1;
  *lease = json_object_get (json_object_get (*net, "leases"), container_id);
  if (*lease == NULL)
    return capsa_fail_as (err, ENOENT, "container `%s` is not attached to network `%s`", container_id, *network);
  return 0;
}

int
capsa_net_detach (const struct capsa_netenv *env, const char *network, const char *container_id, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  cleanup_json json_t *net = NULL;
  json_t *lease;
  if (lease_load (env, &st, &network, container_id, &net, &lease, err) < 0)
    return -1;
  bool ports = json_array_size (json_object_get (lease, "ports")) > 0;
  drop_lease (net, container_id);
  if (ipam_save (st.dir, network, net, err) < 0 || sync_nat_if (env, st.dir, ports, err) < 0)
    return -1;
  /* its other networks' file loses this one's lines, and resolv.conf this one's DNS server */
  refresh_own (st.dir, container_id, true);
  return 0;
}

int
capsa_net_detach_all (const struct capsa_netenv *env, const char *container_id, char ***detached, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  cleanup_strv char **names = NULL;
  *detached = xmalloc0 (sizeof (char *));
  if (netstate_open (env, &st, err) < 0 || list_names (st.dir, &names, err) < 0)
    return -1;
  bool ports = false;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *net = NULL;
      cleanup_err capsa_err *le = NULL;
      if (ipam_load (st.dir, *n, &net, &le) < 0)
        continue; /* (the network commands report a state they cannot read) */
      json_t *lease = json_object_get (json_object_get (net, "leases"), container_id);
      if (lease == NULL)
        continue;
      ports |= json_array_size (json_object_get (lease, "ports")) > 0;
      drop_lease (net, container_id);
      if (ipam_save (st.dir, *n, net, err) < 0)
        return -1;
      strv_append (detached, *n);
    }
  /* (no refresh_own: no network of its own is left to write its files from) */
  return **detached ? sync_nat_if (env, st.dir, ports, err) : 0;
}

int
capsa_network_remove (const struct capsa_netenv *env, const char *name, bool force, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  cleanup_json json_t *net = NULL;
  if (netstate_open (env, &st, err) < 0)
    return -1;
  if (load_existing (st.dir, name, &net, err) < 0)
    return -1;
  reclaim_stale (net);
  json_t *leases = json_object_get (net, "leases");
  if (json_object_size (leases) > 0 && !force)
    {
      const char *k;
      json_t *l;
      json_object_foreach (leases, k, l) break;
      return capsa_fail_as (err, EBUSY, "network `%s` has %zu container(s) attached (`%s`...)", name,
                            json_object_size (leases), k);
    }
  const char *k;
  json_t *l, *tmp;
  json_object_foreach_safe (leases, tmp, k, l) drop_lease (net, k);
  cleanup_nl struct nl_sock *s = NULL;
  if (nl_open (&s, err) < 0 || nl_link_del (s, jstr (net, "bridge"), true, err) < 0)
    return -1;
  if (ipam_unlink (st.dir, name, err) < 0 || sync_nat (env, st.dir, err) < 0)
    return -1;
  cleanup_strv char **names = NULL;
  if (list_names (st.dir, &names, err) < 0)
    return -1;
  bool v6 = false;
  for (char **n = names; *n && !v6; n++)
    {
      cleanup_json json_t *o = NULL;
      v6 = ipam_load (st.dir, *n, &o, err) < 0 || jstr (o, "subnet6"); /* unreadable: keep forwarding */
      capsa_err_free (err);
    }
  if (!v6 && forwarding (st.dir, true, false, err) < 0)
    return -1;
  return names[0] ? 0 : forwarding (st.dir, false, false, err);
}

int
capsa_network_list (const struct capsa_netenv *env, char ***names, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  if (netstate_open (env, &st, err) < 0)
    return -1;
  return list_names (st.dir, names, err);
}

int
capsa_network_inspect (const struct capsa_netenv *env, const char *name, char **json, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  cleanup_json json_t *net = NULL;
  if (netstate_open (env, &st, err) < 0 || load_existing (st.dir, name, &net, err) < 0)
    return -1;
  json_object_del (net, "next");
  json_object_del (net, "next6");
  *json = json_dumps (net, JSON_INDENT (2) | JSON_SORT_KEYS);
  return 0;
}

/* Calls fn (net, arg) for each network of dir; one that fn changes (returns > 0) is saved and its
 * hosts files are written again.  Stops at the first network that does not load or save. */
static int
update_networks (int dir, int (*fn) (json_t *net, void *arg), void *arg, capsa_err **err)
{
  cleanup_strv char **names = NULL;
  if (list_names (dir, &names, err) < 0)
    return -1;
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *net = NULL;
      if (ipam_load (dir, *n, &net, err) < 0)
        return -1;
      if (fn (net, arg) <= 0)
        continue;
      if (ipam_save (dir, *n, net, err) < 0)
        return -1;
    }
  return 0;
}

static int
reclaim_in (json_t *net, void *arg)
{
  int r = reclaim_stale (net);
  *(int *) arg += r > 0 ? r : 0;
  return r;
}

int
capsa_net_gc (const struct capsa_netenv *env, int *reclaimed, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  int total = 0;
  if (netstate_open (env, &st, err) < 0 || update_networks (st.dir, reclaim_in, &total, err) < 0)
    return -1;
  if (reclaimed)
    *reclaimed = total;
  return sync_nat (env, st.dir, err);
}

int
capsa_net_etc_files (const struct capsa_netenv *env, const char *network, const char *container_id, char **hosts,
                     char **hostname, char **resolv, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  cleanup_json json_t *net = NULL;
  json_t *l;
  if (lease_load (env, &st, &network, container_id, &net, &l, err) < 0)
    return -1;
  if (hosts)
    *hosts = hosts_for (st.dir, net, container_id);
  if (hostname)
    *hostname = xasprintf ("%s\n", jstr (l, "hostname"));
  if (resolv)
    *resolv = resolv_for (net, l);
  return 0;
}

/* A container's new name, for rename_in: the lease's "name" (none when it is the id). */
struct lease_rename
{
  const char *container_id, *name;
};

static int
rename_in (json_t *net, void *arg)
{
  const struct lease_rename *r = arg;
  json_t *l = json_object_get (json_object_get (net, "leases"), r->container_id);
  if (l == NULL)
    return 0;
  if (r->name && strcmp (r->name, r->container_id) != 0)
    json_object_set_new (l, "name", json_string (r->name));
  else
    json_object_del (l, "name");
  return 1;
}

int
capsa_net_rename (const struct capsa_netenv *env, const char *container_id, const char *name, capsa_err **err)
{
  cleanup_netstate struct netstate st;
  struct lease_rename r = { container_id, name };
  if (netstate_open (env, &st, err) < 0 || update_networks (st.dir, rename_in, &r, err) < 0)
    return -1;
  refresh_own (st.dir, container_id, false); /* its own line */
  return 0;
}
