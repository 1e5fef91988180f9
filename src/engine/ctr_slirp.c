/* --network slirp4netns[:OPTS]: user-mode networking for a container (the library's slirp.h).
 *
 * The namespace is the bridge's (ROOT/containers/ID/netns, made ahead, joined by path), served
 * by a slirp4netns whose files live in ROOT/containers/ID.  The process that runs ctr_net_up (the
 * monitor of a detached container, or the foreground `capsa run`) owns it: slirp4netns exits when
 * that process closes its exit fd, so a killed monitor takes it along; ctr_net_down stops it (or,
 * from another process such as `capsa rm`, kills it by its pid file).
 *
 * OPTS, podman's names, comma-separated: allow_host_loopback=true|false (default false: 10.0.2.2
 * is not the host's 127.0.0.1), mtu=N (65520), cidr=CIDR (10.0.2.0/24), enable_ipv6=true|false,
 * port_handler=slirp4netns (the only one). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctr.h"
#include "fault.h"
#include "ctr_net.h"
#include "jsonutil.h"
#include "capsa/net.h"
#include "slirp.h"
#include "strbuf.h"
#include "util.h"

#define MODE "slirp4netns"

/* The slirp4netns this process started, and the directory of its container. */
static struct capsa_slirp owned = { .pid = 0, .pidfd = -1, .exit_fd = -1 };
static char *owned_dir;

bool
ctr_net_is_slirp (const char *mode)
{
  size_t l = strlen (MODE);
  return mode && strncmp (mode, MODE, l) == 0 && (mode[l] == '\0' || mode[l] == ':');
}

static int
bool_opt (const char *key, const char *v, bool *out, capsa_err **err)
{
  if (strcmp (v, "true") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0)
    *out = false;
  else
    return capsa_fail_as (err, EINVAL, "%s=%s: expected true or false", key, v);
  return 0;
}

/* mode -> options; the strings point into *buf (owned by the caller). */
static int
parse_mode (const char *mode, struct capsa_slirp_opts *o, char **buf, capsa_err **err)
{
  *o = (struct capsa_slirp_opts){ 0 };
  *buf = xstrdup (mode[strlen (MODE)] == ':' ? mode + strlen (MODE) + 1 : "");
  char *save = NULL;
  for (char *kv = strtok_r (*buf, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *v = strchr (kv, '=');
      if (v == NULL)
        return capsa_fail_as (err, EINVAL, "--network %s: option `%s` needs a value (KEY=VALUE)", mode, kv);
      *v++ = '\0';
      int64_t n;
      int r = 0;
      if (strcmp (kv, "allow_host_loopback") == 0)
        r = bool_opt (kv, v, &o->allow_host_loopback, err);
      else if (strcmp (kv, "enable_ipv6") == 0)
        r = bool_opt (kv, v, &o->enable_ipv6, err);
      else if (strcmp (kv, "mtu") == 0)
        {
          if (parse_i64 (v, 68, 65521, &n) < 0)
            r = capsa_fail_as (err, EINVAL, "mtu=%s: expected 68 to 65521", v);
          o->mtu = (int) n;
        }
      else if (strcmp (kv, "cidr") == 0)
        {
          struct capsa_slirp_addrs a;
          o->cidr = v;
          r = capsa_slirp_addresses (v, &a, err);
        }
      else if (strcmp (kv, "port_handler") == 0)
        {
          if (strcmp (v, "slirp4netns") != 0)
            r = capsa_fail_as (err, EINVAL, "port_handler=%s: only slirp4netns is there", v);
        }
      else
        r = capsa_fail_as (err, EINVAL,
                           "unknown option `%s` (allow_host_loopback, mtu, cidr, enable_ipv6, port_handler)", kv);
      if (r < 0)
        return capsa_err_wrap (err, "--network %s", mode);
    }
  return 0;
}

int
ctr_slirp_check (const char *mode, capsa_err **err)
{
  struct capsa_slirp_opts o;
  cleanup_free char *buf = NULL;
  return parse_mode (mode, &o, &buf, err);
}

#define EPHEMERAL_TRIES 8

/* 8000-8010:80: the first port of the range that slirp4netns could bind. */
static int
publish_range (const char *state_dir, struct capsa_port *p, capsa_err **err)
{
  int last = p->host_port_end;
  p->host_port_end = 0;
  for (;; p->host_port++)
    {
      if (capsa_slirp_add_hostfwd (state_dir, p, err) == 0 || p->host_port >= last)
        return *err ? -1 : 0;
      capsa_err_free (err);
    }
}

/* One published port.  An ephemeral one is held from its choice until slirp4netns has bound it
 * (ctr_ports_ephemeral); should a program binding with SO_REUSEADDR have taken it all the same
 * (slirp4netns's answer does not say why it failed), the next try has another port. */
static int
publish_one (const char *state_dir, const char *spec, struct capsa_port *p, capsa_err **err)
{
  if (capsa_port_parse (spec, p, err) < 0)
    return -1;
  if (p->host_port_end)
    return publish_range (state_dir, p, err);
  bool ephemeral = p->host_port == 0;
  for (int attempt = 1;; attempt++)
    {
      cleanup_close int hold = -1;
      if (ctr_ports_ephemeral (p, &hold, err) < 0)
        return -1;
      capsa_fault_point ("cli:slirp:port-chosen");
      int r = capsa_slirp_add_hostfwd (state_dir, p, err);
      if (r == 0 || !ephemeral || attempt == EPHEMERAL_TRIES)
        return r;
      capsa_err_free (err);
      p->host_port = 0;
    }
}

static int
publish (struct ctr *c, const char *state_dir, capsa_err **err)
{
  json_t *specs = json_object_get (json_object_get (c->meta, "HostConfig"), "Publish"), *s;
  size_t i, n = json_array_size (specs);
  cleanup_free struct capsa_port *ports = xmalloc0 ((n + 1) * sizeof *ports);
  json_array_foreach (specs, i, s)
  {
    if (publish_one (state_dir, json_string_value (s), &ports[i], err) < 0)
      return capsa_err_wrap (err, "publish `%s`", json_string_value (s));
  }
  json_t *ch = json_pack ("{s:o}", "Ports", ctr_ports_json (ports, n, false)); /* for port, ps, inspect */
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  return 0;
}

/* The values of a list (HostConfig's DnsSearch, DnsOptions) on one `key` line; false when it is
 * empty, so that the host's line is kept.  `--dns-search .` is no search domain (docker's). */
static bool
resolv_list (struct strbuf *b, const char *key, json_t *vals)
{
  json_t *v;
  size_t i;
  if (json_array_size (vals) == 0)
    return false;
  if (json_array_size (vals) == 1 && strcmp (json_string_value (json_array_get (vals, 0)) ?: "", ".") == 0)
    return true;
  strbuf_printf (b, "%s", key);
  json_array_foreach (vals, i, v) strbuf_printf (b, " %s", json_string_value (v) ?: "");
  strbuf_printf (b, "\n");
  return true;
}

/* resolv.conf: --dns's nameservers, else slirp4netns's DNS forwarder (it asks the host's
 * resolvers); --dns-search and --dns-option, else the host's search and options lines. */
static char *
slirp_resolv (json_t *hc, const struct capsa_slirp_opts *o, const struct capsa_slirp_addrs *a)
{
  struct strbuf b = { 0 };
  json_t *dns = json_object_get (hc, "Dns"), *v;
  size_t i;
  strbuf_printf (&b, "%s", "");
  json_array_foreach (dns, i, v) strbuf_printf (&b, "nameserver %s\n", json_string_value (v) ?: "");
  if (json_array_size (dns) == 0)
    strbuf_printf (&b, "nameserver %s\n%s", a->dns, o->enable_ipv6 ? "nameserver fd00::3\n" : "");
  bool search = resolv_list (&b, "search", json_object_get (hc, "DnsSearch"));
  bool options = resolv_list (&b, "options", json_object_get (hc, "DnsOptions"));
  cleanup_free char *host = NULL;
  if (read_file_at (AT_FDCWD, "/etc/resolv.conf", &host, NULL, NULL) == 0)
    for (char *save = NULL, *l = strtok_r (host, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
      if ((!search && strncmp (l, "search", 6) == 0) || (!options && strncmp (l, "options", 7) == 0))
        strbuf_printf (&b, "%s\n", l);
  return b.buf;
}

/* hosts: localhost, the container's own names, the host's address when it may reach it, and
 * --add-host NAME:IP (IP host-gateway: slirp4netns's gateway, where the host answers). */
static char *
slirp_hosts (struct ctr *c, const struct capsa_slirp_opts *o, const struct capsa_slirp_addrs *a, const char *hn)
{
  struct strbuf b = { 0 };
  char shortid[13];
  snprintf (shortid, sizeof shortid, "%s", c->id);
  const char *name = capsa_ctr_name (c);
  strbuf_printf (&b, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s %s\n", a->guest, hn,
                 strcmp (name, c->id) ? name : shortid);
  if (o->allow_host_loopback)
    strbuf_printf (&b, "%s\thost.containers.internal host.docker.internal\n", a->gateway);
  json_t *v;
  size_t i;
  json_array_foreach (json_object_get (json_object_get (c->meta, "HostConfig"), "ExtraHosts"), i, v)
  {
    const char *e = json_string_value (v), *colon = e ? strchr (e, ':') : NULL;
    if (colon)
      strbuf_printf (&b, "%s\t%.*s\n", strcmp (colon + 1, "host-gateway") == 0 ? a->gateway : colon + 1,
                     (int) (colon - e), e);
  }
  return b.buf;
}

/* hosts, hostname and resolv.conf (written in place: bind-mounted into the container). */
static int
write_etc (struct ctr *c, const struct capsa_slirp_opts *o, const struct capsa_slirp_addrs *a, capsa_err **err)
{
  cleanup_free char *etc = xasprintf ("%s/etc", c->dir);
  cleanup_close int d = open (etc, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d < 0)
    return capsa_fail (err, errno, "open `%s`", etc);
  const char *hn = jstr (json_object_get (c->meta, "Config"), "Hostname");
  char shortid[13];
  snprintf (shortid, sizeof shortid, "%s", c->id);
  if (hn == NULL || *hn == '\0')
    hn = shortid;
  cleanup_free char *hosts = slirp_hosts (c, o, a, hn), *hostname = xasprintf ("%s\n", hn);
  cleanup_free char *resolv = slirp_resolv (json_object_get (c->meta, "HostConfig"), o, a);
  if (write_file_at (d, "hosts", hosts, strlen (hosts), 0644, err) < 0
      || write_file_at (d, "hostname", hostname, strlen (hostname), 0644, err) < 0
      || write_file_at (d, "resolv.conf", resolv, strlen (resolv), 0644, err) < 0)
    return -1;
  return 0;
}

int
ctr_slirp_up (struct ctr *c, capsa_err **err)
{
  const char *mode = jstr (json_object_get (c->meta, "HostConfig"), "NetworkMode");
  cleanup_free char *ns = xasprintf ("%s/netns", c->dir), *buf = NULL;
  struct capsa_slirp_opts o;
  struct capsa_slirp_addrs a;
  if (parse_mode (mode, &o, &buf, err) < 0 || capsa_slirp_addresses (o.cidr, &a, err) < 0)
    return -1;
  capsa_slirp_kill (c->dir); /* a stale one from a crash */
  ctr_netns_remove (ns);
  if (ctr_netns_create (ns, err) < 0)
    return capsa_err_wrap (err, "--network %s", mode);
  o.netns_path = ns;
  o.state_dir = c->dir;
  if (capsa_slirp_start (&o, &owned, err) < 0)
    {
      ctr_netns_remove (ns);
      return capsa_err_wrap (err, "--network %s", mode);
    }
  free (owned_dir);
  owned_dir = xstrdup (c->dir);
  if (publish (c, c->dir, err) < 0 || write_etc (c, &o, &a, err) < 0)
    {
      ctr_slirp_down (c);
      return capsa_err_wrap (err, "--network %s", mode);
    }
  json_t *ch = json_pack ("{s:{s:s, s:s, s:i, s:s}}", "Network", "IPAddress", a.guest, "Gateway", a.gateway,
                          "IPPrefixLen", a.prefixlen, "MacAddress", "");
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  return 0;
}

int
ctr_slirp_release (struct ctr *c)
{
  if (owned_dir == NULL || strcmp (owned_dir, c->dir) != 0)
    return -1;
  int fd = owned.exit_fd;
  owned.exit_fd = -1;
  if (owned.pidfd >= 0)
    close (owned.pidfd);
  owned = (struct capsa_slirp){ .pid = 0, .pidfd = -1, .exit_fd = -1 };
  free (owned_dir);
  owned_dir = NULL;
  return fd;
}

void
ctr_slirp_down (struct ctr *c)
{
  cleanup_free char *ns = xasprintf ("%s/netns", c->dir);
  if (owned_dir && strcmp (owned_dir, c->dir) == 0)
    {
      capsa_slirp_stop (&owned, c->dir);
      free (owned_dir);
      owned_dir = NULL;
    }
  else
    capsa_slirp_kill (c->dir); /* not ours: the owner died, or this is `capsa rm` */
  ctr_netns_remove (ns);
}

/* Is the slirp4netns of state_dir still someone's?  Not when its container is gone, or is one of
 * ours whose owner (the monitor or the foreground run: MonitorPid) is dead.  Another root's
 * container is that root's business. */
static bool
slirp_wanted (const char *state_dir, void *data)
{
  struct capsa_engine *e = data;
  if (access (state_dir, F_OK) != 0)
    return false;
  cleanup_free char *prefix = xasprintf ("%s/containers/", e->root);
  if (strncmp (state_dir, prefix, strlen (prefix)) != 0)
    return true;
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_ctr_load (e, state_dir + strlen (prefix), &c, &err) < 0)
    return false;
  return ctr_monitor_alive (c);
}

int
capsa_ctr_slirp_prune (struct capsa_engine *e)
{
  cleanup_err capsa_err *err = NULL;
  int killed = 0;
  if (capsa_slirp_gc (slirp_wanted, e, &killed, &err) < 0)
    return 0;
  return killed;
}
