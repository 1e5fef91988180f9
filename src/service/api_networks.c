/* /networks: capsa's bridge networks in docker's shape, with docker's two built-in pseudo
 * networks (host, none) listed as dockerd lists them.  A network's Id is the sha256 of its name
 * and creation time: stable for its life, new for a network made again under the same name. */
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

static void
net_id (const char *name, const char *created, char out[65])
{
  char d[CAPSA_DIGEST_LEN + 1];
  cleanup_free char *s = capsa_xasprintf ("%s\n%s", name, created ?: "");
  capsa_sha256_buf (s, strlen (s), d);
  memcpy (out, d + 7, 64);
  out[64] = '\0';
}

static json_t *
ipam_config (json_t *n)
{
  json_t *cfg = json_array ();
  json_array_append_new (
      cfg, json_pack ("{s:s, s:s}", "Subnet", jstr (n, "subnet") ?: "", "Gateway", jstr (n, "gateway") ?: ""));
  if (jstr (n, "subnet6"))
    json_array_append_new (
        cfg, json_pack ("{s:s, s:s}", "Subnet", jstr (n, "subnet6"), "Gateway", jstr (n, "gateway6") ?: ""));
  return cfg;
}

static json_t *
net_containers (json_t *n)
{
  json_t *out = json_object (), *l;
  const char *cid;
  const char *subnet = jstr (n, "subnet"), *slash = subnet ? strchr (subnet, '/') : NULL;
  json_object_foreach (json_object_get (n, "leases"), cid, l)
  {
    cleanup_free char *v4 = capsa_xasprintf ("%s%s", jstr (l, "ip") ?: "", slash ? slash : "");
    json_object_set_new (out, cid,
                         json_pack ("{s:s, s:s, s:s, s:s, s:s}", "Name", jstr (l, "name") ?: "", "EndpointID", "",
                                    "MacAddress", "", "IPv4Address", v4, "IPv6Address", jstr (l, "ip6") ?: ""));
  }
  return out;
}

/* The Options a network was made with, as dockerd reports them (docker-compose compares them with
 * its file's driver_opts, and wants the network made again when they differ): the default
 * network's bridge and MTU; a user network's bridge when it was named (not capsa's cbr-XXXXXXXX)
 * and MTU when it is not the default 1500 (capsa records 1500 when none was given). */
static json_t *
net_options (json_t *n)
{
  const char *br = jstr (n, "bridge") ?: "";
  long long mtu = (long long) json_integer_value (json_object_get (n, "mtu"));
  bool dflt = strcmp (jstr (n, "name") ?: "", CAPSA_NET_DEFAULT) == 0;
  json_t *o = json_object ();
  if (dflt || !(strncmp (br, "cbr-", 4) == 0 && strlen (br) == 12))
    json_object_set_new (o, "com.docker.network.bridge.name", json_string (br));
  if (dflt || (mtu > 0 && mtu != 1500))
    json_object_set_new (o, "com.docker.network.driver.mtu", json_sprintf ("%lld", mtu > 0 ? mtu : 1500));
  return o;
}

/* docker's network object of capsa's network state n (capsa_network_inspect) */
static json_t *
net_docker (json_t *n, bool details)
{
  const char *name = jstr (n, "name"), *created = jstr (n, "created");
  char id[65];
  net_id (name, created, id);
  json_t *d = json_pack (
      "{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:o}, s:b, s:b, s:b, s:{s:s}, s:b, s:o, s:o, s:{}}", "Name", name,
      "Id", id, "Created", created ?: "0001-01-01T00:00:00Z", "Scope", "local", "Driver", "bridge", "EnableIPv6",
      json_is_true (json_object_get (n, "ipv6")), "IPAM", "Driver", "default", "Options", "Config", ipam_config (n),
      "Internal", json_is_true (json_object_get (n, "internal")), "Attachable", 0, "Ingress", 0, "ConfigFrom",
      "Network", "", "ConfigOnly", 0, "Containers", details ? net_containers (n) : json_object (), "Options",
      net_options (n), "Labels");
  return d;
}

static json_t *
net_builtin (const char *name)
{
  char id[65];
  net_id (name, "builtin", id);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:b, s:{s:s, s:n, s:[]}, s:b, s:b, s:b, s:{s:s}, s:b, s:{}, s:{}, "
                    "s:{}}",
                    "Name", name, "Id", id, "Created", "0001-01-01T00:00:00Z", "Scope", "local", "Driver",
                    strcmp (name, "host") == 0 ? "host" : "null", "EnableIPv6", 0, "IPAM", "Driver", "default",
                    "Options", "Config", "Internal", 0, "Attachable", 0, "Ingress", 0, "ConfigFrom", "Network", "",
                    "ConfigOnly", 0, "Containers", "Options", "Labels");
}

/* Every network in docker's shape (new reference), the built-in ones last. */
static json_t *
all_networks (struct svc_req *r, bool details)
{
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (&r->s->eng, &dir);
  cleanup_strv char **names = NULL;
  cleanup_err capsa_err *err = NULL;
  json_t *arr = json_array ();
  if (capsa_network_list (&env, &names, &err) < 0)
    names = NULL;
  for (char **n = names; n && *n; n++)
    {
      cleanup_free char *text = NULL;
      if (capsa_network_inspect (&env, *n, &text, &err) < 0)
        {
          capsa_err_free (&err);
          continue;
        }
      cleanup_json json_t *j = json_loads (text, 0, NULL);
      if (j)
        json_array_append_new (arr, net_docker (j, details));
    }
  json_array_append_new (arr, net_builtin ("host"));
  json_array_append_new (arr, net_builtin ("none"));
  return arr;
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

static bool
net_match (json_t *f, json_t *n)
{
  json_t *names = json_object_get (f, "name"), *v;
  size_t i;
  bool ok = json_array_size (names) == 0;
  json_array_foreach (names, i, v) ok |= strstr (jstr (n, "Name"), json_string_value (v)) != NULL;
  json_t *ids = json_object_get (f, "id");
  bool id_ok = json_array_size (ids) == 0;
  json_array_foreach (ids, i, v) id_ok |= strncmp (jstr (n, "Id"), json_string_value (v),
                                                   strlen (json_string_value (v)))
                                          == 0;
  bool builtin = strcmp (jstr (n, "Name"), "host") == 0 || strcmp (jstr (n, "Name"), "none") == 0
                 || strcmp (jstr (n, "Name"), CAPSA_NET_DEFAULT) == 0;
  return ok && id_ok && svc_filter_match (f, "driver", jstr (n, "Driver"))
         && svc_filter_match (f, "type", builtin ? "builtin" : "custom") && svc_filter_match (f, "scope", "local")
         && json_array_size (json_object_get (f, "label")) == 0; /* (capsa's networks have no labels) */
}

enum MHD_Result
api_net_list (struct svc_req *r)
{
  cleanup_json json_t *f = NULL;
  enum MHD_Result res;
  if (!svc_filters (r, &f, &res))
    return res;
  json_t *all = all_networks (r, false), *out = json_array (), *n;
  size_t i;
  json_array_foreach (all, i, n) if (net_match (f, n)) json_array_append (out, n);
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
  cleanup_json json_t *all = all_networks (r, true);
  json_t *deleted = json_array (), *n;
  size_t i;
  json_array_foreach (all, i, n)
  {
    cleanup_err capsa_err *err = NULL;
    const char *name = jstr (n, "Name");
    if (strcmp (name, CAPSA_NET_DEFAULT) == 0 || strcmp (name, "host") == 0 || strcmp (name, "none") == 0
        || json_object_size (json_object_get (n, "Containers")))
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
