/* The DNS server of one user network: see capsa/net.h (capsa_net_dns_serve).
 *
 * Why podman's design (aardvark-dns: one server per network on the gateway address, in the host's
 * network namespace) and not docker's (127.0.0.11 in each container's namespace, served by the
 * daemon through a socket it made in there): capsa has no daemon that outlives its commands and
 * could serve every namespace, and a server per container would cost a process per container.
 * One process per network, started by the first container's attach and gone with the last, sees
 * every container of its network at once, reaches the host's resolvers as they are (127.0.0.53
 * too: it runs in the host's namespace) and needs no iptables redirection inside the containers.
 *
 * The records are the network's leases themselves (STATE/NAME.json, which every attach, detach
 * and rename rewrites atomically): an inotify watch of the state directory reloads them the
 * moment they change, so no command has to tell the server anything.  The server leaves when its
 * network has no lease left or is removed, deciding it under the state lock, so that an attach
 * (made under that lock) either sees it serving or finds its pidfile lock free to start another. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "dns.h"
#include "ipam.h"
#include "jsonutil.h"
#include "capsa/net.h"
#include "capsa/json.h"
#include "util.h"

#define MAX_UPSTREAMS 3
#define MAX_PENDING 64
#define FORWARD_TIMEOUT_MS 2000
#define LIVENESS_CHECK_MS 30000 /* how often it looks whether its containers still live */
/* how long it stays once its network has no live container: a run --rm after another (a script,
 * a test suite) finds it serving instead of starting one, and does not wait for its leaving (its
 * inotify watch's release alone waits for an SRCU grace period, under the state lock) */
#define LINGER_MS 1000
#define MSG_MAX 4096
#define FIXED 5 /* the inotify watch, then UDP and TCP of each family */

struct upstream
{
  struct sockaddr_storage sa;
  socklen_t len;
};

/* A query forwarded to the host's resolvers, waiting for their answer. */
struct pending
{
  int fd;   /* connected to up[next - 1]; -1: free slot */
  int from; /* the listening socket it came on */
  struct sockaddr_storage client;
  socklen_t clen;
  long long deadline; /* ms, CLOCK_MONOTONIC */
  size_t next;        /* the next upstream to try on timeout */
  size_t qlen;
  uint8_t q[DNS_UDP_MAX * 3];
};

struct server
{
  const char *name, *resolv;
  char file[PATH_MAX];
  const char *state_dir;
  json_t *net;
  json_t *seen; /* every name it answered for since it started, lowercased (a set: a reload at
                 * 1000 containers must not compare each name with all): one gone is NXDOMAIN */
  int udp[2];   /* IPv4, IPv6 (-1: none) */
  int tcp[2];   /* the same, listening */
  int ino;
  struct upstream up[MAX_UPSTREAMS];
  size_t nup;
  struct pending pend[MAX_PENDING];
  char ptr_name[DNS_NAME_MAX + 1]; /* a PTR answer's target */
  long long empty_since;           /* (now_ms) since when no live container; 0: some */
};

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The host's resolvers: the nameserver lines of resolv (at most MAX_UPSTREAMS), port 53. */
static void
load_upstreams (struct server *s)
{
  cleanup_fclose FILE *f = fopen (s->resolv, "re");
  char line[512], addr[INET6_ADDRSTRLEN + 16];
  s->nup = 0;
  while (f && s->nup < MAX_UPSTREAMS && fgets (line, sizeof line, f))
    {
      if (sscanf (line, "nameserver %61s", addr) != 1)
        continue;
      char *pct = strchr (addr, '%'); /* a link-local's zone: not kept */
      if (pct)
        *pct = '\0';
      struct upstream *u = &s->up[s->nup];
      struct sockaddr_in *a4 = (struct sockaddr_in *) &u->sa;
      struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) &u->sa;
      memset (u, 0, sizeof *u);
      if (inet_pton (AF_INET, addr, &a4->sin_addr) == 1)
        {
          a4->sin_family = AF_INET;
          a4->sin_port = htons (53);
          u->len = sizeof *a4;
        }
      else if (inet_pton (AF_INET6, addr, &a6->sin6_addr) == 1)
        {
          a6->sin6_family = AF_INET6;
          a6->sin6_port = htons (53);
          u->len = sizeof *a6;
        }
      else
        continue;
      s->nup++;
    }
}

/* Is want one of the lease's names: its id, short id, name, aliases (case-insensitively)? */
static bool
lease_has (const char *cid, json_t *l, const char *want)
{
  if (strcasecmp (cid, want) == 0 || (strlen (want) == 12 && strncasecmp (cid, want, 12) == 0))
    return true;
  if (jstr (l, "name") && strcasecmp (jstr (l, "name"), want) == 0)
    return true;
  size_t i;
  json_t *a;
  json_array_foreach (json_object_get (l, "aliases"), i,
                      a) if (json_is_string (a) && strcasecmp (json_string_value (a), want) == 0) return true;
  return false;
}

/* name, lowercased, into buf (DNS_NAME_MAX + 1 bytes; longer names are cut: never a record's). */
static const char *
lower_name (const char *name, char *buf)
{
  size_t i = 0;
  for (; name[i] && i < DNS_NAME_MAX; i++)
    buf[i] = (char) tolower ((unsigned char) name[i]);
  buf[i] = '\0';
  return buf;
}

static void
remember (struct server *s, const char *name)
{
  char low[DNS_NAME_MAX + 1];
  json_object_set_new (s->seen, lower_name (name, low), json_true ());
}

/* Load the records again: 1 loaded, 0 the network is gone, -1 it does not load. */
static int
reload (struct server *s, capsa_err **err)
{
  json_error_t je;
  json_t *net = json_load_file (s->file, 0, &je);
  if (net == NULL)
    {
      if (access (s->file, F_OK) < 0 && errno == ENOENT)
        return 0;
      return capsa_fail_as (err, EIO, "network `%s`: `%s`: %s", s->name, s->file, je.text);
    }
  json_decref (s->net);
  s->net = net;
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (net, "leases"), cid, l)
  {
    remember (s, cid);
    if (jstr (l, "name"))
      remember (s, jstr (l, "name"));
    size_t i;
    json_t *a;
    json_array_foreach (json_object_get (l, "aliases"), i, a) if (json_is_string (a))
        remember (s, json_string_value (a));
  }
  load_upstreams (s);
  return 1;
}

/* q's records on net (its leases' names) into rrs (*n): whether net has the name. */
static bool
lookup_in (json_t *net, const struct dns_query *q, struct dns_rr *rrs, size_t max, size_t *n)
{
  bool found = false, any = q->qtype == 255;
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (net, "leases"), cid, l)
  {
    if (!lease_has (cid, l, q->name))
      continue;
    found = true;
    struct dns_rr rr = { .ttl = 0 };
    if ((q->qtype == DNS_TYPE_A || any) && *n < max && jstr (l, "ip")
        && inet_pton (AF_INET, jstr (l, "ip"), rr.addr) == 1)
      rr.type = DNS_TYPE_A, rrs[(*n)++] = rr;
    if ((q->qtype == DNS_TYPE_AAAA || any) && *n < max && jstr (l, "ip6")
        && inet_pton (AF_INET6, jstr (l, "ip6"), rr.addr) == 1)
      rr.type = DNS_TYPE_AAAA, rrs[(*n)++] = rr;
  }
  return found;
}

/* The container whose address on the network the query came from (NULL: none of them). */
static const char *
client_id (struct server *s, const struct sockaddr_storage *cl)
{
  char a[INET6_ADDRSTRLEN] = "";
  const char *key = cl->ss_family == AF_INET6 ? "ip6" : "ip";
  if (cl->ss_family == AF_INET)
    inet_ntop (AF_INET, &((const struct sockaddr_in *) cl)->sin_addr, a, sizeof a);
  else
    inet_ntop (AF_INET6, &((const struct sockaddr_in6 *) cl)->sin6_addr, a, sizeof a);
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (s->net, "leases"), cid,
                       l) if (jstr (l, key) && strcmp (jstr (l, key), a) == 0) return cid;
  return NULL;
}

/* q's name on the other networks of container cid (`network connect`): docker resolves the
 * names of each network of a container, and its resolv.conf names one network's server. */
static bool
lookup_other (struct server *s, const char *cid, const struct dns_query *q, struct dns_rr *rrs, size_t max, size_t *n)
{
  cleanup_dir DIR *d = opendir (s->state_dir);
  const char *own = strrchr (s->file, '/') + 1;
  struct dirent *de;
  bool found = false;
  while (d && !found && (de = readdir (d)))
    {
      size_t l = strlen (de->d_name);
      if (de->d_name[0] == '.' || l < 6 || strcmp (de->d_name + l - 5, ".json") != 0 || strcmp (de->d_name, own) == 0)
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", s->state_dir, de->d_name);
      cleanup_json json_t *net = json_load_file (path, 0, NULL);
      if (net && json_object_get (json_object_get (net, "leases"), cid))
        found = lookup_in (net, q, rrs, max, n);
    }
  return found;
}

/* Is a (IPv4) in the network's subnet? */
static bool
in_subnet4 (struct server *s, struct in_addr a)
{
  cleanup_err capsa_err *e = NULL;
  struct in_addr base;
  int prefix;
  if (ipam_parse_cidr (jstr (s->net, "subnet") ?: "", &base, &prefix, &e) < 0)
    return false;
  return prefix == 0 || ((ntohl (a.s_addr) ^ ntohl (base.s_addr)) >> (32 - prefix)) == 0;
}

/* "D.C.B.A.in-addr.arpa" of an address of the network's: its container's name as docker answers
 * it, NAME.NETWORK (its short id when it has no name); NXDOMAIN for a free address of the subnet,
 * -1 for another (forward it). */
static int
lookup_ptr (struct server *s, const struct dns_query *q, struct dns_rr *rr)
{
  unsigned o[4];
  int end = 0;
  char ip[INET_ADDRSTRLEN];
  struct in_addr a;
  if (sscanf (q->name, "%3u.%3u.%3u.%3u.%n", &o[3], &o[2], &o[1], &o[0], &end) != 4 || end == 0
      || strcasecmp (q->name + end, "in-addr.arpa") != 0 || !isdigit ((unsigned char) q->name[0]))
    return -1;
  snprintf (ip, sizeof ip, "%u.%u.%u.%u", o[0], o[1], o[2], o[3]);
  if (inet_pton (AF_INET, ip, &a) != 1)
    return -1;
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (s->net, "leases"), cid,
                       l) if (jstr (l, "ip") && strcmp (jstr (l, "ip"), ip) == 0)
  {
    if (jstr (l, "name"))
      snprintf (s->ptr_name, sizeof s->ptr_name, "%s.%s", jstr (l, "name"), s->name);
    else
      snprintf (s->ptr_name, sizeof s->ptr_name, "%.12s.%s", cid, s->name);
    *rr = (struct dns_rr){ .type = DNS_TYPE_PTR, .target = s->ptr_name };
    return DNS_RCODE_OK;
  }
  return in_subnet4 (s, a) ? DNS_RCODE_NXDOMAIN : -1;
}

/* The local answer to q from client cl: its records into rrs (*n), and the rcode; -1: not a name
 * of the network's (forward it). */
static int
lookup (struct server *s, const struct dns_query *q, const struct sockaddr_storage *cl, struct dns_rr *rrs, size_t max,
        size_t *n)
{
  *n = 0;
  if (q->qtype == DNS_TYPE_PTR)
    {
      int r = lookup_ptr (s, q, &rrs[0]);
      *n = r == DNS_RCODE_OK;
      if (r >= 0 || strstr (q->name, ".in-addr.arpa"))
        return r;
    }
  if (lookup_in (s->net, q, rrs, max, n))
    return DNS_RCODE_OK; /* (no record of that type: NODATA) */
  const char *cid = client_id (s, cl);
  if (cid && lookup_other (s, cid, q, rrs, max, n))
    return DNS_RCODE_OK;
  char low[DNS_NAME_MAX + 1];
  if (json_object_get (s->seen, lower_name (q->name, low)))
    return DNS_RCODE_NXDOMAIN; /* a container of the network's that is gone */
  return -1;
}

/* One socket (SOCK_DGRAM, or SOCK_STREAM listening) bound to the gateway (not yet there, or
 * tentative: IP_FREEBIND) port 53. */
static int
bind_gateway (int family, int type, const char *gw, capsa_err **err)
{
  struct sockaddr_storage ss = { 0 };
  socklen_t len;
  struct sockaddr_in *a4 = (struct sockaddr_in *) &ss;
  struct sockaddr_in6 *a6 = (struct sockaddr_in6 *) &ss;
  if (family == AF_INET)
    len = sizeof *a4, a4->sin_family = AF_INET, a4->sin_port = htons (53), inet_pton (AF_INET, gw, &a4->sin_addr);
  else
    len = sizeof *a6, a6->sin6_family = AF_INET6, a6->sin6_port = htons (53), inet_pton (AF_INET6, gw, &a6->sin6_addr);
  cleanup_close int fd = socket (family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  const char *proto = type == SOCK_STREAM ? "tcp" : "udp";
  if (fd < 0)
    return capsa_fail (err, errno, "socket");
  setsockopt (fd, SOL_IP, IP_FREEBIND, &one, sizeof one);
  if (type == SOCK_STREAM)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* (a predecessor's TIME_WAIT) */
  if (family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind (fd, (struct sockaddr *) &ss, len) < 0)
    return capsa_fail (err, errno, "bind %s port 53/%s", gw, proto);
  if (type == SOCK_STREAM && listen (fd, 16) < 0)
    return capsa_fail (err, errno, "listen on %s port 53/tcp", gw);
  return take_fd (&fd);
}

/* Send the query on to the next of the host's resolvers (p->next): -1 when none is left. */
static int
forward_next (struct server *s, struct pending *p)
{
  while (p->next < s->nup)
    {
      struct upstream *u = &s->up[p->next++];
      if (p->fd >= 0)
        close (p->fd);
      p->fd = socket (u->sa.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (p->fd >= 0 && connect (p->fd, (struct sockaddr *) &u->sa, u->len) == 0
          && send (p->fd, p->q, p->qlen, 0) == (ssize_t) p->qlen)
        {
          p->deadline = now_ms () + FORWARD_TIMEOUT_MS;
          return 0;
        }
    }
  return -1;
}

static void
reply (int fd, const struct sockaddr_storage *to, socklen_t tolen, const uint8_t *msg, size_t len)
{
  sendto (fd, msg, len, MSG_DONTWAIT, (const struct sockaddr *) to, tolen);
}

/* End a forward that has no answer: SERVFAIL to the client. */
static void
pending_fail (struct pending *p)
{
  struct dns_query q;
  uint8_t out[12];
  if (dns_parse_query (p->q, p->qlen, &q) < 0 && p->qlen < 12)
    return;
  dns_error (q.id, q.flags, DNS_RCODE_SERVFAIL, out);
  reply (p->from, &p->client, p->clen, out, sizeof out);
}

static void
pending_end (struct pending *p)
{
  if (p->fd >= 0)
    close (p->fd);
  p->fd = -1;
}

static void
forward (struct server *s, int from, const struct sockaddr_storage *cl, socklen_t clen, const uint8_t *msg, size_t len)
{
  struct pending *p = NULL;
  for (size_t i = 0; i < MAX_PENDING && p == NULL; i++)
    if (s->pend[i].fd < 0 && s->pend[i].from < 0)
      p = &s->pend[i];
  if (p == NULL || len > sizeof p->q)
    return; /* full: the client retries */
  *p = (struct pending){ .fd = -1, .from = from, .client = *cl, .clen = clen, .qlen = len };
  memcpy (p->q, msg, len);
  if (forward_next (s, p) < 0)
    {
      pending_fail (p);
      pending_end (p);
      p->from = -1;
    }
}

/* Is addr one of the host's own addresses (a program of the host asking)? */
static bool
host_address (const struct sockaddr_storage *addr)
{
  struct sockaddr_storage a = *addr;
  if (a.ss_family == AF_INET)
    ((struct sockaddr_in *) &a)->sin_port = 0;
  else
    ((struct sockaddr_in6 *) &a)->sin6_port = 0;
  cleanup_close int fd = socket (a.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  socklen_t len = a.ss_family == AF_INET ? sizeof (struct sockaddr_in) : sizeof (struct sockaddr_in6);
  return fd >= 0 && bind (fd, (struct sockaddr *) &a, len) == 0;
}

/* Is the client on the network (its subnet or subnet6: a container of it), or the host?  Others are not answered: a
 * container of another network reaches this gateway too (the host's own address: no isolation rule between them), and
 * must learn nothing of this network's containers, nor use the server as a resolver of its own. */
static bool
client_ok (struct server *s, const struct sockaddr_storage *cl)
{
  cleanup_err capsa_err *e = NULL;
  struct in6_addr base;
  int prefix;
  if (cl->ss_family == AF_INET)
    return in_subnet4 (s, ((const struct sockaddr_in *) cl)->sin_addr) || host_address (cl);
  if (cl->ss_family != AF_INET6)
    return false;
  struct in6_addr a = ((const struct sockaddr_in6 *) cl)->sin6_addr;
  if (ipam_parse_cidr6 (jstr (s->net, "subnet6") ?: "", &base, &prefix, &e) == 0 && ipam_in6_match (&a, &base, prefix))
    return true;
  return host_address (cl);
}

/* A query on the listening socket fd. */
static void
serve_one (struct server *s, int fd)
{
  uint8_t msg[MSG_MAX], out[DNS_UDP_MAX];
  struct sockaddr_storage cl = { 0 };
  socklen_t clen = sizeof cl;
  ssize_t len = recvfrom (fd, msg, sizeof msg, MSG_DONTWAIT, (struct sockaddr *) &cl, &clen);
  struct dns_query q;
  if (len < 12 || !client_ok (s, &cl))
    return;
  if (dns_parse_query (msg, (size_t) len, &q) < 0)
    {
      if (!(q.flags & 0x8000)) /* never answer an answer */
        {
          dns_error (q.id, q.flags, DNS_RCODE_FORMERR, out);
          reply (fd, &cl, clen, out, 12);
        }
      return;
    }
  struct dns_rr rrs[16];
  size_t n;
  int rcode = q.qclass == DNS_CLASS_IN ? lookup (s, &q, &cl, rrs, ARRAY_SIZE (rrs), &n) : -1;
  if (rcode < 0)
    return forward (s, fd, &cl, clen, msg, (size_t) len);
  int olen = dns_answer (&q, msg, rcode, rrs, n, out, sizeof out);
  if (olen > 0)
    reply (fd, &cl, clen, out, (size_t) olen);
}

/* Read or write exactly len bytes on a TCP connection (its timeouts bound the wait). */
static bool
tcp_io (int fd, uint8_t *buf, size_t len, bool wr)
{
  for (size_t done = 0; done < len;)
    {
      ssize_t n = wr ? send (fd, buf + done, len - done, MSG_NOSIGNAL) : recv (fd, buf + done, len - done, 0);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return false;
      done += (size_t) n;
    }
  return true;
}

/* One query over TCP to the first of the host's resolvers that answers: the answer's length. */
static ssize_t
forward_tcp (struct server *s, uint8_t *msg, size_t len, size_t cap)
{
  struct timeval tv = { .tv_sec = FORWARD_TIMEOUT_MS / 1000 };
  for (size_t i = 0; i < s->nup; i++)
    {
      cleanup_close int fd = socket (s->up[i].sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
      uint8_t hdr[2] = { (uint8_t) (len >> 8), (uint8_t) len };
      if (fd < 0 || setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
          || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0
          || connect (fd, (struct sockaddr *) &s->up[i].sa, s->up[i].len) < 0 || !tcp_io (fd, hdr, 2, true)
          || !tcp_io (fd, msg, len, true) || !tcp_io (fd, hdr, 2, false))
        continue;
      size_t alen = (size_t) hdr[0] << 8 | hdr[1];
      if (alen >= 12 && alen <= cap && tcp_io (fd, msg, alen, false))
        return (ssize_t) alen;
    }
  return -1;
}

/* A connection on a listening socket: one query (RFC 1035 4.2.2: a two-byte length first),
 * answered, then closed.  Its reads and writes wait one second at most, a forward
 * FORWARD_TIMEOUT_MS a resolver: TCP is the rare fallback of a truncated answer, so it is served
 * in line rather than with the UDP forwards' bookkeeping. */
static void
serve_tcp (struct server *s, int lfd)
{
  struct sockaddr_storage cl = { 0 };
  socklen_t clen = sizeof cl;
  cleanup_close int fd = accept4 (lfd, (struct sockaddr *) &cl, &clen, SOCK_CLOEXEC);
  struct timeval tv = { .tv_sec = 1 };
  uint8_t hdr[2], msg[MSG_MAX], out[MSG_MAX];
  if (fd < 0 || !client_ok (s, &cl) || setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
      || setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 || !tcp_io (fd, hdr, 2, false))
    return;
  size_t len = (size_t) hdr[0] << 8 | hdr[1];
  struct dns_query q;
  if (len < 12 || len > sizeof msg || !tcp_io (fd, msg, len, false))
    return;
  struct dns_rr rrs[16];
  size_t n;
  int olen = -1;
  if (dns_parse_query (msg, len, &q) < 0)
    dns_error (q.id, q.flags, DNS_RCODE_FORMERR, out), olen = 12;
  else
    {
      int rcode = q.qclass == DNS_CLASS_IN ? lookup (s, &q, &cl, rrs, ARRAY_SIZE (rrs), &n) : -1;
      if (rcode >= 0)
        olen = dns_answer (&q, msg, rcode, rrs, n, out, sizeof out);
      else if ((olen = (int) forward_tcp (s, msg, len, sizeof out)) > 0)
        memcpy (out, msg, (size_t) olen);
      else
        dns_error (q.id, q.flags, DNS_RCODE_SERVFAIL, out), olen = 12;
    }
  hdr[0] = (uint8_t) (olen >> 8);
  hdr[1] = (uint8_t) olen;
  if (olen > 0 && tcp_io (fd, hdr, 2, true))
    tcp_io (fd, out, (size_t) olen, true);
}

/* The answer of a resolver to a pending forward, relayed as it is. */
static void
relay (struct pending *p)
{
  uint8_t msg[MSG_MAX];
  ssize_t len = recv (p->fd, msg, sizeof msg, MSG_DONTWAIT);
  if (len < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (len >= 12 && memcmp (msg, p->q, 2) == 0)
    reply (p->from, &p->client, p->clen, msg, (size_t) len);
  else
    pending_fail (p);
  pending_end (p);
  p->from = -1;
}

static void
expire (struct server *s)
{
  long long now = now_ms ();
  for (size_t i = 0; i < MAX_PENDING; i++)
    {
      struct pending *p = &s->pend[i];
      if (p->fd >= 0 && now >= p->deadline && forward_next (s, p) < 0)
        {
          pending_fail (p);
          pending_end (p);
          p->from = -1;
        }
    }
}

/* Has the network a container left whose process lives?  (A lease whose container died with
 * its monitor stays until a gc: the server need not.) */
static bool
any_live_lease (struct server *s)
{
  const char *cid;
  json_t *l;
  json_object_foreach (json_object_get (s->net, "leases"), cid, l) if (!ipam_lease_stale (l)) return true;
  return false;
}

/* Whether the network is gone or has no live container left, decided under the state lock (see
 * the top of the file); the lock stays held (*lock) until the server has given up its pidfile.
 * A state directory that is gone (its store removed) is not made again for the lock. */
static bool
should_leave (struct server *s, int *lock)
{
  cleanup_err capsa_err *e = NULL;
  int dir = -1;
  *lock = -1;
  if (access (s->state_dir, F_OK) < 0)
    return true;
  /* staying needs no lock: only a leave is decided under it (every attach and detach waits for
   * that lock, and a reload at 1000 containers takes milliseconds) */
  int r = reload (s, &e);
  if (r < 0 || (r > 0 && any_live_lease (s)))
    {
      s->empty_since = 0;
      return false;
    }
  if (r > 0 && s->empty_since == 0)
    s->empty_since = now_ms ();
  if (r > 0 && now_ms () < s->empty_since + LINGER_MS)
    return false; /* (the loop looks again then) */
  capsa_err_free (&e);
  *lock = ipam_lock (s->state_dir, &dir, &e);
  if (dir >= 0)
    close (dir);
  r = reload (s, &e);
  if (r == 0 || (r > 0 && !any_live_lease (s)))
    return true;
  if (*lock >= 0)
    close (*lock);
  *lock = -1;
  return false;
}

/* The inotify events: 1 when the network's file changed, 0 not, -1 the watch failed. */
static int
file_changed (struct server *s)
{
  char buf[4096] __attribute__ ((aligned (__alignof__(struct inotify_event))));
  const char *base = strrchr (s->file, '/') + 1;
  int changed = 0;
  ssize_t n;
  while ((n = read (s->ino, buf, sizeof buf)) > 0)
    for (char *p = buf; p < buf + n;)
      {
        struct inotify_event *ev = (struct inotify_event *) p;
        if (ev->len && strcmp (ev->name, base) == 0)
          changed = 1;
        if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW))
          changed = 1;
        p += sizeof *ev + ev->len;
      }
  return n < 0 && errno != EAGAIN ? -1 : changed;
}

static void
server_free (struct server *s)
{
  for (size_t i = 0; i < ARRAY_SIZE (s->udp); i++)
    {
      cleanup_close_fn (&s->udp[i]);
      cleanup_close_fn (&s->tcp[i]);
    }
  cleanup_close_fn (&s->ino);
  for (size_t i = 0; i < MAX_PENDING; i++)
    pending_end (&s->pend[i]);
  json_decref (s->net);
  json_decref (s->seen);
}

/* The sockets and the watch, once the records are loaded. */
static int
server_open (struct server *s, capsa_err **err)
{
  s->ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (s->ino < 0
      || inotify_add_watch (s->ino, s->state_dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM) < 0)
    return capsa_fail (err, errno, "network `%s`: watch `%s`", s->name, s->state_dir);
  int r = reload (s, err);
  if (r <= 0)
    return r < 0 ? -1 : capsa_fail_as (err, ENOENT, "network `%s` does not exist", s->name);
  if (jstr (s->net, "gateway") == NULL)
    return capsa_fail_as (err, EINVAL, "network `%s` has no gateway address", s->name);
  const char *gw[2] = { jstr (s->net, "gateway"), jstr (s->net, "gateway6") };
  for (int f = 0; f < 2; f++)
    if (gw[f]
        && ((s->udp[f] = bind_gateway (f ? AF_INET6 : AF_INET, SOCK_DGRAM, gw[f], err)) < 0
            || (s->tcp[f] = bind_gateway (f ? AF_INET6 : AF_INET, SOCK_STREAM, gw[f], err)) < 0))
      return capsa_err_wrap (err, "the DNS server of network `%s`", s->name);
  return 0;
}

/* Wait for the next event: the sockets, the watch, the pending forwards' timeouts. */
static int
server_loop (struct server *s, int *leave_lock)
{
  long long check = now_ms () + LIVENESS_CHECK_MS;
  for (;;)
    {
      struct pollfd pf[FIXED + MAX_PENDING];
      size_t np = 0, map[MAX_PENDING];
      pf[np++] = (struct pollfd){ .fd = s->ino, .events = POLLIN };
      for (size_t f = 0; f < 2; f++) /* (-1: ignored by poll) */
        {
          pf[np++] = (struct pollfd){ .fd = s->udp[f], .events = POLLIN };
          pf[np++] = (struct pollfd){ .fd = s->tcp[f], .events = POLLIN };
        }
      long long next = -1, now = now_ms ();
      for (size_t i = 0; i < MAX_PENDING; i++)
        if (s->pend[i].fd >= 0)
          {
            map[np - FIXED] = i;
            pf[np++] = (struct pollfd){ .fd = s->pend[i].fd, .events = POLLIN };
            if (next < 0 || s->pend[i].deadline < next)
              next = s->pend[i].deadline;
          }
      if (next < 0 || next > check)
        next = check;
      int r = poll (pf, np, (int) (next > now ? next - now : 0));
      if (r < 0 && errno != EINTR)
        return -1;
      bool changed = r > 0 && (pf[0].revents & POLLIN) && file_changed (s) != 0;
      if ((changed || now_ms () >= check) && should_leave (s, leave_lock))
        return 0;
      if (now_ms () >= check)
        check = now_ms () + LIVENESS_CHECK_MS;
      if (s->empty_since && s->empty_since + LINGER_MS < check)
        check = s->empty_since + LINGER_MS;
      for (size_t i = 1; r > 0 && i < FIXED; i++)
        if (pf[i].revents & POLLIN)
          (i % 2 ? serve_one : serve_tcp) (s, pf[i].fd);
      for (size_t i = FIXED; r > 0 && i < np; i++)
        if (pf[i].revents & (POLLIN | POLLERR))
          relay (&s->pend[map[i - FIXED]]);
      expire (s);
    }
}

/* Say on ready_fd (when >= 0) that it serves ("0"), or why not ("ERRNO message"). */
static void
report (int ready_fd, capsa_err *e)
{
  if (ready_fd < 0)
    return;
  char buf[1024];
  int n = e ? snprintf (buf, sizeof buf, "%d %s", e->errnum, e->msg) : snprintf (buf, sizeof buf, "0");
  if (write (ready_fd, buf, (size_t) n < sizeof buf ? (size_t) n : sizeof buf - 1) < 0)
    {
      /* (the starter is gone: serve anyway) */
    }
  close (ready_fd);
}

/* Wait (2 s at most) until the server holding the pidfile has bound its sockets: it writes
 * "PID ready" there then.  (Two containers starting at once on a network both start a server;
 * the one that loses the lock must not say "serving" before the other does.) */
static void
wait_ready (int pidf)
{
  for (int i = 0; i < 40; i++)
    {
      char buf[32] = "";
      if (pread (pidf, buf, sizeof buf - 1, 0) > 0 && strstr (buf, " ready"))
        return;
      struct timespec ts = { 0, 50 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
}

int
capsa_net_dns_serve (const struct capsa_netenv *env, const struct capsa_dns_opts *o, capsa_err **err)
{
  cleanup_close int pidf = open (o->pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (pidf < 0)
    return capsa_fail (err, errno, "open `%s`", o->pidfile);
  if (flock (pidf, LOCK_EX | LOCK_NB) < 0)
    {
      if (errno != EWOULDBLOCK)
        return capsa_fail (err, errno, "lock `%s`", o->pidfile);
      wait_ready (pidf); /* another one serves the network, or is about to */
      report (o->ready_fd, NULL);
      return 0;
    }
  char pid[24];
  int pl = snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
  if (ftruncate (pidf, 0) < 0 || pwrite (pidf, pid, (size_t) pl, 0) != pl)
    return capsa_fail (err, errno, "write `%s`", o->pidfile);
  struct server s = { .name = o->network,
                      .resolv = o->resolv_conf ? o->resolv_conf : "/etc/resolv.conf",
                      .state_dir = env && env->state_dir ? env->state_dir : CAPSA_NET_STATE_DIR,
                      .udp = { -1, -1 },
                      .tcp = { -1, -1 },
                      .ino = -1,
                      .seen = json_object () };
  for (size_t i = 0; i < MAX_PENDING; i++)
    s.pend[i].fd = s.pend[i].from = -1;
  snprintf (s.file, sizeof s.file, "%s/%s.json", s.state_dir, o->network);
  int leave_lock = -1, r = server_open (&s, err);
  pl = snprintf (pid, sizeof pid, "%d ready\n", (int) getpid ());
  if (r == 0 && pwrite (pidf, pid, (size_t) pl, 0) != pl)
    r = capsa_fail (err, errno, "write `%s`", o->pidfile);
  report (o->ready_fd, r < 0 ? *err : NULL);
  if (r == 0)
    r = server_loop (&s, &leave_lock) < 0 ? capsa_fail (err, errno, "network `%s`: DNS server", o->network) : 0;
  server_free (&s);
  cleanup_close_fn (&pidf); /* given up before the state lock: the next attach starts another */
  cleanup_close_fn (&leave_lock);
  return r;
}
