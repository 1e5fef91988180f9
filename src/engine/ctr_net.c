/* Networking for capsa's containers (--network bridge|NAME|slirp4netns, -p): see ctr.h.
 *
 * As podman does, the container's network namespace is made ahead: ROOT/containers/ID/netns, an
 * nsfs file bind-mounted there by a short-lived child that unshared it.  ctr_net_up attaches it to
 * the network (veth, address, routes, published ports, and ROOT/containers/ID/etc/{hosts,
 * hostname,resolv.conf}, bind-mounted into the container and kept current by the library); the
 * OCI config joins it by path.  ctr_net_down undoes it all.  Up before the container starts (the
 * foreground run, or the monitor), down when it has stopped for good or is removed.  The published
 * host ports are reserved first (ctr_ports.c: bound sockets held by that process), so that a port a
 * host program or another container has fails the start before anything is made.
 * --network slirp4netns[:OPTS] serves the same namespace with slirp4netns instead (ctr_slirp.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "attach_proto.h"
#include "ctr.h"
#include "ctr_dns.h"
#include "ctr_net.h"
#include "fault.h"
#include "fdpass.h"
#include "jsonutil.h"
#include "capsa/net.h"
#include "util.h"

static const char *const etc_files[] = { "hosts", "hostname", "resolv.conf" };

bool
capsa_ctr_net_is_bridge (const char *mode)
{
  return mode && *mode && strcmp (mode, "none") != 0 && strcmp (mode, "host") != 0
         && strncmp (mode, "container:", 10) != 0 && !ctr_net_is_slirp (mode);
}

struct capsa_netenv
capsa_engine_netenv (const struct capsa_engine *e, char **dir)
{
  *dir = xasprintf ("%s/network", e->root);
  return (struct capsa_netenv){ .state_dir = *dir, .table = CAPSA_NET_TABLE };
}

int
ctr_net_config (struct capsa_engine *e, const char *id, const char *mode, json_t *linux_, json_t *mounts, json_t *meta,
                capsa_err **err)
{
  cleanup_free char *dir = xasprintf ("%s/containers/%s", e->root, id);
  cleanup_free char *etc = xasprintf ("%s/etc", dir);
  if (mkdir_p (etc, 0755, err) < 0 || (ctr_net_is_slirp (mode) && ctr_slirp_check (mode, err) < 0))
    return -1;
  /* the bind sources must exist at create; ctr_net_up fills them */
  for (size_t i = 0; i < ARRAY_SIZE (etc_files); i++)
    {
      cleanup_free char *f = xasprintf ("%s/%s", etc, etc_files[i]);
      if (write_file_replace_at (AT_FDCWD, f, "", 0, 0644, err) < 0)
        return -1;
      json_array_append_new (mounts, json_pack ("{s:s+, s:s, s:s, s:[s,s]}", "destination", "/etc/", etc_files[i],
                                                "type", "bind", "source", f, "options", "bind", "rw"));
    }
  json_t *ns = json_object_get (linux_, "namespaces"), *n;
  size_t i;
  json_array_foreach (ns, i, n) if (strcmp (jstr (n, "type") ?: "", "network") == 0)
      json_object_set_new (n, "path", json_sprintf ("%s/netns", dir));
  json_object_set_new (json_object_get (meta, "HostConfig"), "NetworkMode", json_string (mode));
  return 0;
}

/* The network of one container is brought up and down under an exclusive flock of its directory
 * (a directory fd: no file to create in a directory `rm` may be removing).  `capsa rm -f` writes
 * stop-requested, then tears the network down: a monitor bringing the container up meanwhile (the
 * `run -d` that started it was killed, say) either finished first, and rm undoes all it made, or
 * comes after, sees stop-requested and makes nothing.  Without this its netns mount could land
 * after rm's teardown, and rm's removal of the directory failed on it (EBUSY).  -1: no directory. */
static int
net_lock (const struct ctr *c)
{
  int fd = open (c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd >= 0 && flock (fd, LOCK_EX) < 0 && errno == EINTR)
    ;
  return fd;
}

static int
check_not_stopping (const struct ctr *c, capsa_err **err)
{
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  if (access (stop, F_OK) == 0)
    return capsa_fail_as (err, ECANCELED, "container %s is being stopped or removed: its network is not set up",
                          capsa_ctr_name (c));
  return 0;
}

static int net_up_locked (struct capsa_engine *e, struct ctr *c, const char *mode, capsa_err **err);

/* A list of the record (the network aliases, --dns...) as the attach takes it: a NULL-terminated
 * array (the caller frees it) of strings borrowed from v, a JSON array. */
static const char **
meta_strv (json_t *v)
{
  json_t *a;
  const char **out = xmalloc0 ((json_array_size (v) + 1) * sizeof *out);
  size_t i, n = 0;
  json_array_foreach (v, i, a) if (json_is_string (a)) out[n++] = json_string_value (a);
  return out;
}

/* The lists of the record an attach takes (their strings borrowed from the record). */
struct attach_lists
{
  const char **aliases, **dns, **search, **opts, **hosts;
};

static void
attach_lists_free (struct attach_lists *l)
{
  free (l->aliases);
  free (l->dns);
  free (l->search);
  free (l->opts);
  free (l->hosts);
}
#define cleanup_attach_lists __attribute__ ((cleanup (attach_lists_free)))

/* a's --network-alias, --dns..., --add-host, --ip, --ip6 and --mac-address, from the record. */
static void
attach_from_meta (struct capsa_attach *a, json_t *meta, struct attach_lists *l)
{
  json_t *hc = json_object_get (meta, "HostConfig"), *ipam = json_object_get (meta, "IPAMConfig");
  a->aliases = l->aliases = meta_strv (json_object_get (meta, "Aliases"));
  a->dns = l->dns = meta_strv (json_object_get (hc, "Dns"));
  a->dns_search = l->search = meta_strv (json_object_get (hc, "DnsSearch"));
  a->dns_options = l->opts = meta_strv (json_object_get (hc, "DnsOptions"));
  a->extra_hosts = l->hosts = meta_strv (json_object_get (hc, "ExtraHosts"));
  a->ip = jstr (ipam, "IPv4Address");
  a->ip6 = jstr (ipam, "IPv6Address");
  a->mac = jstr (json_object_get (meta, "Config"), "MacAddress");
}

int
ctr_net_up (struct capsa_engine *e, struct ctr *c, capsa_err **err)
{
  const char *mode = jstr (json_object_get (c->meta, "HostConfig"), "NetworkMode");
  if (!ctr_net_is_slirp (mode) && !capsa_ctr_net_is_bridge (mode))
    return 0;
  capsa_fault_point ("cli:net:up");
  cleanup_close int lock = net_lock (c);
  if (lock < 0)
    return capsa_fail (err, errno, "container %s: `%s`", capsa_ctr_name (c), c->dir);
  if (check_not_stopping (c, err) < 0)
    return -1;
  if (ctr_net_is_slirp (mode))
    return ctr_slirp_up (c, err);
  return net_up_locked (e, c, mode, err);
}

static int
net_up_locked (struct capsa_engine *e, struct ctr *c, const char *mode, capsa_err **err)
{
  json_t *hc = json_object_get (c->meta, "HostConfig");
  cleanup_free char *ns = xasprintf ("%s/netns", c->dir), *etc = xasprintf ("%s/etc", c->dir), *sdir = NULL;
  cleanup_close int nsfd = -1;
  cleanup_attach_lists struct attach_lists lists = { NULL };
  json_t *specs = json_object_get (hc, "Publish");
  size_t n = json_array_size (specs), i;
  cleanup_free struct capsa_port *ports = xmalloc0 ((n + 1) * sizeof *ports);
  json_t *s;
  json_array_foreach (specs, i, s) if (capsa_port_parse (json_string_value (s), &ports[i], err)
                                       < 0) return capsa_err_wrap (err, "--network %s", mode);
  /* the host ports first: a taken one fails the start before anything is made */
  ctr_ports_release (c);
  if (capsa_ctr_ports_reserve (e, c, ports, n, err) < 0)
    return -1;
  ctr_netns_remove (ns); /* a stale one from a crash */
  if (ctr_netns_create (ns, err) < 0)
    {
      ctr_ports_release (c);
      return -1;
    }
  capsa_fault_point ("cli:net:netns");
  nsfd = open (ns, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0)
    {
      capsa_fail (err, errno, "open `%s`", ns);
      goto fail;
    }
  struct capsa_netenv env = capsa_engine_netenv (e, &sdir);
  const char *name = capsa_ctr_name (c);
  struct capsa_attach a = { .network = strcmp (mode, "bridge") == 0 ? NULL : mode,
                            .container_id = c->id,
                            .netns_fd = nsfd,
                            .pid = c->net_owner ? c->net_owner : getpid (),
                            .ports = ports,
                            .nports = n,
                            .name = name && strcmp (name, c->id) ? name : NULL,
                            .hostname = jstr (json_object_get (c->meta, "Config"), "Hostname"),
                            .etc_dir = etc };
  attach_from_meta (&a, c->meta, &lists);
  struct capsa_attach_result res;
  if (capsa_net_attach (&env, &a, &res, err) < 0)
    goto fail;
  if (ctr_dns_ensure (e, a.network, err) < 0)
    {
      cleanup_err capsa_err *e2 = NULL;
      capsa_net_detach (&env, a.network, c->id, &e2);
      goto fail;
    }
  capsa_fault_point ("cli:net:attached");
  capsa_engine_net_event (e, "connect", mode, c->id);
  json_t *ch = json_pack ("{s:{s:s, s:s, s:i, s:s, s:s, s:s, s:i}, s:o}", "Network", "IPAddress", res.address,
                          "Gateway", res.gateway, "IPPrefixLen", res.prefixlen, "MacAddress", res.mac,
                          "GlobalIPv6Address", res.address6, "IPv6Gateway", res.gateway6, "GlobalIPv6PrefixLen",
                          res.prefixlen6, "Ports", ctr_ports_json (ports, n, *res.address6 != '\0'));
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  return 0;

fail:
  ctr_ports_release (c);
  ctr_netns_remove (ns);
  return capsa_err_wrap (err, "--network %s", mode);
}

void
ctr_net_down (struct capsa_engine *e, struct ctr *c)
{
  const char *mode = jstr (json_object_get (c->meta, "HostConfig"), "NetworkMode");
  if (!ctr_net_is_slirp (mode) && !capsa_ctr_net_is_bridge (mode))
    return;
  {
    cleanup_close int lock = net_lock (c);
    if (ctr_net_is_slirp (mode))
      ctr_slirp_down (c);
    else
      {
        cleanup_free char *ns = xasprintf ("%s/netns", c->dir), *sdir = NULL;
        cleanup_err capsa_err *err = NULL;
        struct capsa_netenv env = capsa_engine_netenv (e, &sdir);
        /* its own network and those `network connect` added (none left when its monitor's
         * stopped step did it) */
        cleanup_strv char **gone = NULL;
        capsa_net_detach_all (&env, c->id, &gone, &err);
        for (char **g = gone; g && *g; g++)
          capsa_engine_net_event (e, "disconnect", *g, c->id);
        ctr_netns_remove (ns);
        ctr_ports_release (c); /* after the DNAT rules went: the host ports are free again */
      }
  }
  capsa_fault_point ("cli:net:down");
}

/* After `rename`: the leases of every network get the new name, and the hosts files are
 * rewritten (best effort: the rename itself is done; a network state that cannot be read is
 * the network commands' error to report). */
void
ctr_net_renamed (struct capsa_engine *e, struct ctr *c)
{
  cleanup_free char *sdir = NULL;
  cleanup_err capsa_err *err = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &sdir);
  capsa_net_rename (&env, c->id, capsa_ctr_name (c), &err);
}

json_t *
ctr_net_leases (struct capsa_engine *e)
{
  cleanup_free char *sdir = NULL;
  cleanup_err capsa_err *err = NULL;
  cleanup_strv char **names = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &sdir);
  json_t *out = json_object ();
  if (capsa_network_list (&env, &names, &err) < 0)
    return out;
  for (char **n = names; *n; n++)
    {
      cleanup_free char *text = NULL;
      cleanup_json json_t *net = NULL;
      const char *cid;
      json_t *l;
      if (capsa_network_inspect (&env, *n, &text, &err) < 0 || (net = json_loads (text, 0, NULL)) == NULL)
        {
          capsa_err_free (&err);
          continue;
        }
      json_object_foreach (json_object_get (net, "leases"), cid, l)
      {
        json_t *all = json_object_get (out, cid);
        if (all == NULL)
          json_object_set_new (out, cid, all = json_array ());
        json_array_extend (all, json_object_get (l, "ports"));
      }
    }
  return out;
}
