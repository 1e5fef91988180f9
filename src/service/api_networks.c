/* /networks: capsa's bridge networks in docker's shape (capsa_networks_docker_json, with docker's
 * two built-in pseudo networks), filtered by the engine's capsa_network_filter_match. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/net.h"
#include "capsa/util.h"
#include "svc.h"

/* Every network in docker's shape (new reference), the built-in ones last. */
static json_t *
all_networks (struct svc_req *r, bool details)
{
  return capsa_networks_docker_json (&r->s->eng, details);
}

/* The network named by name, full id or unique id prefix (new reference), NULL when none. */
static json_t *
find_network (struct svc_req *r, const char *what)
{
  cleanup_json json_t *all = all_networks (r, true);
  json_t *n, *found = NULL;
  size_t i, hits = 0;
  json_array_foreach (all, i, n) if (strcmp (jstr (n, "Name"), what) == 0) return json_incref (n);
  json_array_foreach (all, i, n) if (strncmp (jstr (n, "Id"), what, strlen (what)) == 0) found = n, hits++;
  return hits == 1 ? json_incref (found) : NULL;
}

enum MHD_Result
api_net_list (struct svc_req *r)
{
  cleanup_json json_t *f = NULL;
  enum MHD_Result res;
  capsa_err *err = NULL;
  if (!svc_filters (r, &f, &res))
    return res;
  if (capsa_network_filters_check (f, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  json_t *all = all_networks (r, json_object_get (f, "dangling") != NULL), *out = json_array (), *n;
  size_t i;
  json_array_foreach (all, i, n) if (capsa_network_filter_match (n, f)) json_array_append (out, n);
  json_decref (all);
  return svc_reply_json (r, 200, out);
}

enum MHD_Result
api_net_inspect (struct svc_req *r)
{
  json_t *n = find_network (r, r->param[0]);
  if (n == NULL)
    return svc_reply_err (r, 404, "network %s not found", r->param[0]);
  return svc_reply_json (r, 200, n);
}

/* docker's IPAM.Config entries: one subnet (and gateway) per family */
static int
net_ipam (json_t *ipam, struct capsa_net_create_opts *o, capsa_err **err)
{
  json_t *c;
  size_t i;
  json_array_foreach (json_object_get (ipam, "Config"), i, c)
  {
    const char *subnet = jstr (c, "Subnet"), *gw = jstr (c, "Gateway");
    if (jstr (c, "IPRange") && *jstr (c, "IPRange"))
      return capsa_fail_as (err, EINVAL, "IPAM.Config[%zu].IPRange: capsa gives addresses from the whole subnet", i);
    bool v6 = subnet && strchr (subnet, ':');
    if (v6 ? o->subnet6 != NULL : o->subnet != NULL)
      return capsa_fail_as (err, EINVAL, "IPAM.Config: one subnet per address family");
    if (v6)
      o->subnet6 = subnet, o->gateway6 = gw;
    else
      o->subnet = subnet, o->gateway = gw;
  }
  const char *drv = jstr (ipam, "Driver");
  if (drv && *drv && strcmp (drv, "default") != 0)
    return capsa_fail_as (err, EINVAL, "IPAM.Driver `%s`: capsa has only the default one", drv);
  return 0;
}

static int
net_create_opts (json_t *body, struct capsa_net_create_opts *o, capsa_err **err)
{
  const char *driver = jstr (body, "Driver");
  o->name = jstr (body, "Name");
  if (o->name == NULL || *o->name == '\0')
    return capsa_fail_as (err, EINVAL, "a network needs a Name");
  if (driver && *driver && strcmp (driver, "bridge") != 0)
    return capsa_fail_as (err, EINVAL, "network driver `%s`: capsa has only bridge networks", driver);
  if (json_is_true (json_object_get (body, "Ingress")))
    return capsa_fail_as (err, EINVAL, "Ingress: capsa has no swarm");
  json_t *opts = json_object_get (body, "Options");
  o->bridge = jstr (opts, "com.docker.network.bridge.name");
  const char *mtu = jstr (opts, "com.docker.network.driver.mtu");
  o->mtu = mtu ? atoi (mtu) : 0;
  o->internal = json_is_true (json_object_get (body, "Internal"));
  o->ipv6 = json_is_true (json_object_get (body, "EnableIPv6"));
  return net_ipam (json_object_get (body, "IPAM"), o, err);
}

enum MHD_Result
api_net_create (struct svc_req *r)
{
  cleanup_json json_t *body = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  struct capsa_net_create_opts o = { 0 };
  if (!svc_body_json (r, false, &body, &res))
    return res;
  if (net_create_opts (body, &o, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  cleanup_json json_t *old = find_network (r, o.name);
  if (old && strcmp (jstr (old, "Name"), o.name) == 0)
    return svc_reply_err (r, 409, "network with name %s already exists", o.name);
  if (capsa_engine_network_create (&r->s->eng, &o, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  cleanup_json json_t *made = find_network (r, o.name);
  const char *warn = json_object_size (json_object_get (body, "Labels"))
                         ? "capsa keeps no labels on networks: Labels were not recorded"
                         : "";
  return svc_reply_json (r, 201, json_pack ("{s:s, s:s}", "Id", made ? jstr (made, "Id") : "", "Warning", warn));
}

enum MHD_Result
api_net_delete (struct svc_req *r)
{
  cleanup_json json_t *n = find_network (r, r->param[0]);
  cleanup_err capsa_err *err = NULL;
  if (n == NULL)
    return svc_reply_err (r, 404, "network %s not found", r->param[0]);
  const char *name = jstr (n, "Name");
  if (strcmp (name, "host") == 0 || strcmp (name, "none") == 0)
    return svc_reply_err (r, 403, "%s is a pre-defined network and cannot be removed", name);
  if (capsa_engine_network_remove (&r->s->eng, name, false, &err) < 0)
    {
      if (err->errnum == EBUSY)
        return capsa_err_free (&err),
               svc_reply_err (r, 409, "error while removing network: network %s id %s has active endpoints", name,
                              jstr (n, "Id"));
      return svc_reply_capsa_err (r, &err);
    }
  return svc_reply_empty (r, 204);
}

enum MHD_Result
api_net_prune (struct svc_req *r)
{
  cleanup_json json_t *f = NULL;
  capsa_err *perr = NULL;
  enum MHD_Result res;
  long long until;
  if (!svc_filters (r, &f, &res))
    return res;
  if (capsa_prune_filters_check (f, false, &until, &perr) < 0)
    return svc_reply_capsa_err (r, &perr);
  cleanup_json json_t *all = all_networks (r, true);
  json_t *deleted = json_array (), *n;
  size_t i;
  json_array_foreach (all, i, n)
  {
    cleanup_err capsa_err *err = NULL;
    const char *name = jstr (n, "Name");
    if (strcmp (name, CAPSA_NET_DEFAULT) == 0 || strcmp (name, "host") == 0 || strcmp (name, "none") == 0
        || json_object_size (json_object_get (n, "Containers"))
        || !capsa_prune_filter_match (json_object_get (n, "Labels"), capsa_time_unix (jstr (n, "Created")), f, until))
      continue;
    if (capsa_engine_network_remove (&r->s->eng, name, false, &err) == 0)
      json_array_append_new (deleted, json_string (name));
  }
  return svc_reply_json (r, 200, json_pack ("{s:o}", "NetworksDeleted", deleted));
}

/* connect's and disconnect's body: the network (by its name), the container */
static bool
connect_args (struct svc_req *r, json_t **body, json_t **net, struct ctr **c, enum MHD_Result *res)
{
  if (!svc_body_json (r, false, body, res))
    return false;
  *net = find_network (r, r->param[0]);
  if (*net == NULL)
    return *res = svc_reply_err (r, 404, "network %s not found", r->param[0]), false;
  const char *what = jstr (*body, "Container");
  cleanup_err capsa_err *err = NULL;
  if (what == NULL || capsa_ctr_find (&r->s->eng, what, c, &err) < 0)
    return *res = svc_reply_err (r, 404, "No such container: %s", what ?: ""), false;
  return true;
}

/* EndpointConfig.Aliases as the attach takes them (NULL-terminated, the strings borrowed from ep;
 * NULL when none); false with a 400 sent when it is no array of strings. */
static bool
connect_aliases (struct svc_req *r, json_t *ep, const char ***out, enum MHD_Result *res)
{
  json_t *v = json_object_get (ep, "Aliases"), *a;
  size_t i;
  if (v == NULL || json_is_null (v))
    return true;
  if (!json_is_array (v))
    return *res = svc_reply_err (r, 400, "EndpointConfig.Aliases: expected an array of strings"), false;
  *out = capsa_xmalloc0 ((json_array_size (v) + 1) * sizeof **out);
  json_array_foreach (v, i, a)
  {
    if (!json_is_string (a))
      return *res = svc_reply_err (r, 400, "EndpointConfig.Aliases[%zu]: expected a string", i), false;
    (*out)[i] = json_string_value (a);
  }
  return true;
}

/* connect: attach the running container to the network (its IPAMConfig addresses, Aliases);
 * disconnect: detach it */
static enum MHD_Result
connect_or_not (struct svc_req *r, bool connect)
{
  cleanup_json json_t *body = NULL, *net = NULL;
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  if (!connect_args (r, &body, &net, &c, &res))
    return res;
  if (!connect)
    return capsa_ctr_net_disconnect (&r->s->eng, c, jstr (net, "Name"), &err) < 0 ? svc_reply_capsa_err (r, &err)
                                                                                  : svc_reply_empty (r, 200);
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    return svc_reply_err (r, 409, "container %s is not running: capsa connects running containers only", c->id);
  json_t *ep = json_object_get (body, "EndpointConfig"), *ipam = json_object_get (ep, "IPAMConfig");
  cleanup_free const char **aliases = NULL;
  if (!connect_aliases (r, ep, &aliases, &res))
    return res;
  struct capsa_attach a = { .netns_fd = -1, .network = jstr (net, "Name"), .aliases = aliases };
  a.ip = jstr (ipam, "IPv4Address");
  a.ip6 = jstr (ipam, "IPv6Address");
  if (a.ip && *a.ip == '\0')
    a.ip = NULL;
  if (a.ip6 && *a.ip6 == '\0')
    a.ip6 = NULL;
  if (capsa_ctr_net_connect (&r->s->eng, c, &a, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  return svc_reply_empty (r, 200);
}

enum MHD_Result
api_net_connect (struct svc_req *r)
{
  return connect_or_not (r, true);
}

enum MHD_Result
api_net_disconnect (struct svc_req *r)
{
  return connect_or_not (r, false);
}
