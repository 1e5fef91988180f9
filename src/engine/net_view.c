/* capsa's networks in docker's shape (capsa/engine.h), for `network ls --format` and the API's
 * /networks, with docker's two built-in pseudo networks (host, none) listed as dockerd lists
 * them.  A network's Id is the sha256 of its name and creation time: stable for its life, new
 * for a network made again under the same name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/net.h"
#include "sha256.h"
#include "util.h"

static void
net_id (const char *name, const char *created, char out[65])
{
  cleanup_free char *s = xasprintf ("%s\n%s", name, created ?: "");
  sha256_hex (s, strlen (s), out);
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
    cleanup_free char *v4 = xasprintf ("%s%s", jstr (l, "ip") ?: "", slash ? slash : "");
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

json_t *
capsa_network_docker_json (json_t *n, bool details)
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

json_t *
capsa_networks_docker_json (struct capsa_engine *e, bool details)
{
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &dir);
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
        json_array_append_new (arr, capsa_network_docker_json (j, details));
    }
  json_array_append_new (arr, net_builtin ("host"));
  json_array_append_new (arr, net_builtin ("none"));
  return arr;
}
