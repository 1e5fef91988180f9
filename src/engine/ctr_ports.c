/* Published ports (-p): the host ports are reserved, and shown (ps, inspect, port).
 *
 * Reservation, as docker's port allocator does it: every published host port is bound, for TCP
 * or UDP, on the given address (or on every address, IPv4 and IPv6), for as long as the
 * container's network is up.  Without it the DNAT rule silently takes over a port a host program
 * listens on (`-p 22:22` would take sshd's), and two containers could publish the same port.
 * The sockets are
 * - bound and never listening: a DNATed packet never reaches them, one that does is refused;
 * - without SO_REUSEADDR, so that they conflict with every other socket on the port, listening
 *   or not, SO_REUSEADDR or not;
 * - close-on-exec, held by the process that holds the container's life: the foreground
 *   `capsa run`, or the monitor (`capsa __monitor start` hands them over with the start report);
 *   closed when it ends, after the network (and its DNAT rules) went down.
 * A host port 0 (`-p 8080`, `-p IP::8080`) is docker's ephemeral port: the kernel's choice when
 * binding port 0, reserved by that very bind.  What was reserved goes to run.json "Ports" in
 * docker's NetworkSettings.Ports shape ({"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctr.h"
#include "ctr_net.h"
#include "jsonutil.h"
#include "capsa/net.h"
#include "util.h"

/* Bind a socket of type to ip (NULL: any) and *port (0: the kernel picks, *port gets it), with
 * SO_REUSEADDR when reuse.  Returns the fd, or -errno. */
static int
bind_port (int family, const char *ip, int type, int *port, bool reuse)
{
  int fd = socket (family, type | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -errno;
  if (reuse)
    setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof (int));
  union
  {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
  } a;
  memset (&a, 0, sizeof a);
  socklen_t len;
  if (family == AF_INET6)
    {
      int one = 1; /* the IPv4 side is bound by its own socket (or not wanted) */
      setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      a.in6 = (struct sockaddr_in6){ .sin6_family = AF_INET6, .sin6_port = htons ((uint16_t) *port) };
      if (ip)
        inet_pton (AF_INET6, ip, &a.in6.sin6_addr);
      len = sizeof a.in6;
    }
  else
    {
      a.in = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons ((uint16_t) *port) };
      if (ip)
        inet_pton (AF_INET, ip, &a.in.sin_addr);
      len = sizeof a.in;
    }
  if (bind (fd, &a.sa, len) < 0 || getsockname (fd, &a.sa, &len) < 0)
    {
      int e = errno;
      close (fd);
      return -e;
    }
  *port = ntohs (family == AF_INET6 ? a.in6.sin6_port : a.in.sin_port);
  return fd;
}

static bool
any_ip (const char *ip)
{
  return !ip || !*ip || strcmp (ip, "0.0.0.0") == 0 || strcmp (ip, "::") == 0;
}

/* Does container o (running) hold port/proto on ip (or on any address)? */
static bool
holds_port (const struct ctr *o, const char *proto, const char *ip, int port)
{
  const char *key;
  json_t *v, *b;
  size_t i;
  json_object_foreach (json_object_get (o->run, "Ports"), key, v)
  {
    const char *slash = strchr (key, '/');
    if (!slash || strcmp (slash + 1, proto) != 0)
      continue;
    json_array_foreach (v, i, b)
    {
      const char *hip = jstr (b, "HostIp");
      if (atoi (jstr (b, "HostPort") ?: "0") == port && (any_ip (hip) || any_ip (ip) || strcmp (hip, ip) == 0))
        return true;
    }
  }
  return false;
}

/* Does one of the ports a network lease publishes (`network connect -p`: ctr_net_leases) match? */
static bool
lease_holds (json_t *ports, const char *proto, const char *ip, int port)
{
  json_t *b;
  size_t i;
  json_array_foreach (ports, i, b)
  {
    const char *hip = jstr (b, "host_ip");
    if (json_integer_value (json_object_get (b, "host_port")) == port && strcmp (jstr (b, "proto") ?: "", proto) == 0
        && (any_ip (hip) || any_ip (ip) || strcmp (hip, ip) == 0))
      return true;
  }
  return false;
}

/* The name of another live container that publishes port/proto on ip (at run time, or on a
 * network it was connected to); NULL when none. */
static char *
port_owner (struct capsa_engine *e, const struct ctr *c, const char *proto, const char *ip, int port)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  cleanup_json json_t *leases = ctr_net_leases (e); /* (only when a port is taken: not worth caching) */
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *o = NULL;
      if (strcmp (*id, c->id) == 0 || capsa_ctr_load (e, *id, &o, NULL) < 0)
        continue;
      if (o->status != CTR_EXITED && o->status != CTR_DEAD
          && (holds_port (o, proto, ip, port) || lease_holds (json_object_get (leases, o->id), proto, ip, port)))
        return xstrdup (capsa_ctr_name (o));
    }
  return NULL;
}

static int
port_fail (struct capsa_engine *e, const struct ctr *c, const struct capsa_port *p, const char *ip, int errnum,
           capsa_err **err)
{
  if (errnum != EADDRINUSE)
    return capsa_fail (err, errnum, "reserve the host port %d/%s on %s", p->host_port, p->proto, ip);
  cleanup_free char *owner = port_owner (e, c, p->proto, ip, p->host_port);
  if (owner)
    return capsa_fail_as (err, errnum, "port %d/%s on %s is already allocated by container %s", p->host_port, p->proto,
                          ip, owner);
  return capsa_fail_as (err, errnum, "port %d/%s on %s is already in use by another program", p->host_port, p->proto,
                        ip);
}

static void
push_fd (struct ctr *c, int fd)
{
  c->port_fds = xrealloc (c->port_fds, (c->nport_fds + 1) * sizeof *c->port_fds);
  c->port_fds[c->nport_fds++] = fd;
}

/* One port: its address, or 0.0.0.0 and [::] (where the host has IPv6).  An ephemeral port is
 * the IPv4 bind's choice; when [::] has that port taken, another is tried. */
static int
reserve_one (struct capsa_engine *e, struct ctr *c, struct capsa_port *p, capsa_err **err)
{
  int type = strcmp (p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM;
  bool any = !*p->host_ip, v6 = strchr (p->host_ip, ':') != NULL;
  const char *shown = any ? "0.0.0.0" : p->host_ip;
  for (int tries = 0; tries < 16; tries++)
    {
      int port = p->host_port;
      int fd = bind_port (v6 ? AF_INET6 : AF_INET, any ? NULL : p->host_ip, type, &port, false);
      if (fd < 0)
        return port_fail (e, c, p, shown, -fd, err);
      int fd6 = any ? bind_port (AF_INET6, NULL, type, &port, false) : -1;
      if (fd6 == -EADDRINUSE)
        {
          close (fd);
          if (p->host_port == 0)
            continue;
          return port_fail (e, c, p, "::", EADDRINUSE, err);
        }
      /* any other failure of [::]: the host has no IPv6 (nothing to take there) */
      p->host_port = port;
      push_fd (c, fd);
      if (fd6 >= 0)
        push_fd (c, fd6);
      return 0;
    }
  return capsa_fail_as (err, EADDRINUSE, "found no free host port for %d/%s", p->ctr_port, p->proto);
}

/* -p 8000-8010:80: the first free port of the range (docker's allocator takes one of it too). */
static int
reserve_range (struct capsa_engine *e, struct ctr *c, struct capsa_port *p, capsa_err **err)
{
  int first = p->host_port, last = p->host_port_end;
  for (int port = first; port <= last; port++)
    {
      capsa_err *why = NULL;
      p->host_port = port;
      p->host_port_end = 0;
      if (reserve_one (e, c, p, &why) == 0)
        return 0;
      if (why->errnum != EADDRINUSE)
        {
          *err = why;
          return -1;
        }
      capsa_err_free (&why);
    }
  p->host_port = first;
  p->host_port_end = last;
  return capsa_fail_as (err, EADDRINUSE, "no free host port in %d-%d for %d/%s: every one is in use", first, last,
                        p->ctr_port, p->proto);
}

int
capsa_ctr_ports_reserve (struct capsa_engine *e, struct ctr *c, struct capsa_port *ports, size_t n, capsa_err **err)
{
  /* each port takes up to 2 sockets, and the monitor gets them all in one message (SCM_MAX_FD 253) */
  if (n > 120)
    return capsa_fail_as (err, E2BIG, "%zu published ports: at most 120 are supported", n);
  for (size_t i = 0; i < n; i++)
    if ((ports[i].host_port_end ? reserve_range (e, c, &ports[i], err) : reserve_one (e, c, &ports[i], err)) < 0)
      {
        ctr_ports_release (c);
        return -1;
      }
  return 0;
}

/* "A" or "A-B" (ports, A <= B) into *a, *b. */
static bool
port_range (const char *s, int *a, int *b)
{
  int64_t x, y = 0;
  const char *dash = strchr (s, '-');
  cleanup_free char *first = dash ? strndup (s, (size_t) (dash - s)) : xstrdup (s);
  if (parse_i64 (first, 1, 65535, &x) < 0 || (dash && parse_i64 (dash + 1, x, 65535, &y) < 0))
    return false;
  *a = (int) x;
  *b = dash ? (int) y : (int) x;
  return true;
}

/* The specs of a range whose parts are split: prefix ("IP:", "" or NULL for no host part), the
 * host part, the container range and proto ("" or "/udp"). */
static int
expand_ranges (const char *spec, const char *prefix, const char *host, const char *ctr, const char *proto, char ***out,
               capsa_err **err)
{
  int c0, c1, h0 = 0, h1 = 0;
  if (!port_range (ctr, &c0, &c1))
    return capsa_fail_as (err, EINVAL, "-p `%s`: Invalid containerPort: %s", spec, ctr);
  if (*host && !port_range (host, &h0, &h1))
    return capsa_fail_as (err, EINVAL, "-p `%s`: Invalid hostPort: %s", spec, host);
  if (*host && c1 - c0 != h1 - h0 && c1 != c0)
    return capsa_fail_as (err, EINVAL,
                          "-p `%s`: Invalid ranges specified for container and host Ports: %s and %s (as many host "
                          "ports as container ports, or one container port for a range of host ports)",
                          spec, ctr, host);
  for (int i = 0; i <= c1 - c0; i++)
    {
      cleanup_free char *h = NULL, *one = NULL;
      if (*host && c1 == c0 && h1 != h0)
        h = xstrdup (host); /* one port of the range, chosen at start */
      else
        h = *host ? xasprintf ("%d", h0 + i) : xstrdup ("");
      one = prefix ? xasprintf ("%s%s:%d%s", prefix, h, c0 + i, proto) : xasprintf ("%d%s", c0 + i, proto);
      strv_append (out, one);
    }
  return 0;
}

int
ctr_ports_expand (const char *spec, char ***out, capsa_err **err)
{
  cleanup_free char *s = xstrdup (spec), *proto = NULL, *prefix = NULL;
  char *slash = strrchr (s, '/'), *ctr = strrchr (s, ':'), *host = s, *colon;
  proto = slash ? xstrdup (slash) : xstrdup ("");
  if (slash)
    *slash = '\0';
  if (ctr)
    {
      *ctr++ = '\0';
      colon = strrchr (s, ':');
      if (colon && !strchr (colon, ']'))
        {
          host = colon + 1;
          prefix = strndup (s, (size_t) (host - s));
        }
      else if (colon == NULL && !strchr (s, ']'))
        prefix = xstrdup ("");
    }
  if (ctr == NULL || prefix == NULL || (!strchr (ctr, '-') && !strchr (host, '-')))
    {
      if (ctr == NULL && strchr (s, '-'))
        return expand_ranges (spec, NULL, "", s, proto, out, err);
      strv_append (out, spec); /* no range: capsa_port_parse's to check */
      return 0;
    }
  return expand_ranges (spec, prefix, host, ctr, proto, out, err);
}

/* The socket that holds the chosen port binds it with SO_REUSEADDR and never listens: libslirp
 * binds its forwarder's socket with SO_REUSEADDR too, which the kernel allows beside a socket
 * that is not listening, while a port-0 bind (or connect) of anyone else never gets the port. */
int
ctr_ports_ephemeral (struct capsa_port *p, int *hold, capsa_err **err)
{
  *hold = -1;
  if (p->host_port != 0)
    return 0;
  bool v6 = strchr (p->host_ip, ':') != NULL;
  int port = 0;
  int fd = bind_port (v6 ? AF_INET6 : AF_INET, *p->host_ip ? p->host_ip : NULL,
                      strcmp (p->proto, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM, &port, true);
  if (fd < 0)
    return capsa_fail (err, -fd, "choose a free host port for %d/%s", p->ctr_port, p->proto);
  *hold = fd;
  p->host_port = port;
  return 0;
}

json_t *
ctr_ports_json (const struct capsa_port *ports, size_t n, bool ipv6)
{
  json_t *out = json_object ();
  for (size_t i = 0; i < n; i++)
    {
      const struct capsa_port *p = &ports[i];
      cleanup_free char *key = xasprintf ("%d/%s", p->ctr_port, p->proto);
      cleanup_free char *hp = xasprintf ("%d", p->host_port);
      json_t *arr = json_object_get (out, key);
      if (arr == NULL)
        json_object_set_new (out, key, arr = json_array ());
      json_array_append_new (arr,
                             json_pack ("{s:s, s:s}", "HostIp", *p->host_ip ? p->host_ip : "0.0.0.0", "HostPort", hp));
      /* no address given: IPv6 too, for a container with an IPv6 address (capsa/net.h) */
      if (!*p->host_ip && ipv6)
        json_array_append_new (arr, json_pack ("{s:s, s:s}", "HostIp", "::", "HostPort", hp));
    }
  return out;
}

json_t *
capsa_ctr_ports_live (const struct ctr *c)
{
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED && c->status != CTR_RESTARTING)
    return NULL;
  json_t *p = json_object_get (c->run, "Ports");
  return json_is_object (p) ? p : NULL;
}

/* docker's "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp". */
char *
capsa_ctr_ports_text (const struct ctr *c)
{
  char *s = xstrdup ("");
  const char *key;
  json_t *v, *b;
  size_t i;
  json_object_foreach (capsa_ctr_ports_live (c), key, v)
  {
    json_array_foreach (v, i, b)
    {
      const char *ip = jstr (b, "HostIp") ?: "";
      bool v6 = strchr (ip, ':') != NULL;
      char *t = xasprintf ("%s%s%s%s%s:%s->%s", s, *s ? ", " : "", v6 ? "[" : "", ip, v6 ? "]" : "",
                           jstr (b, "HostPort") ?: "", key);
      free (s);
      s = t;
    }
  }
  return s;
}
