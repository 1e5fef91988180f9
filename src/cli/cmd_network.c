/* capsa network create/ls/inspect/rm/connect/disconnect: a thin layer over capsa/net.h.
 * Networks live under ROOT/network (one JSON file each, see ipam.h); the nftables table is
 * `capsa`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/net.h"
#include "capsa/template.h"
#include "capsa/util.h"
#include "cli.h"

/* as docker: --subnet and --gateway once per family; an IPv6 subnet implies --ipv6 */
static int
set_subnet (void *base, const char *v, capsa_err **err)
{
  struct capsa_net_create_opts *o = base;
  *(strchr (v, ':') ? &o->subnet6 : &o->subnet) = v;
  return 0;
}

static int
set_gateway (void *base, const char *v, capsa_err **err)
{
  struct capsa_net_create_opts *o = base;
  *(strchr (v, ':') ? &o->gateway6 : &o->gateway) = v;
  return 0;
}

static int
set_mtu (void *base, const char *v, capsa_err **err)
{
  int64_t n;
  if (capsa_parse_i64 (v, 68, 65535, &n) < 0)
    return capsa_fail_as (err, EINVAL, "--mtu `%s`: want 68 to 65535", v);
  ((struct capsa_net_create_opts *) base)->mtu = (int) n;
  return 0;
}

static int
driver_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "bridge") != 0)
    return capsa_fail_as (err, EINVAL, "driver `%s`: only `bridge` is supported", v);
  return 0;
}

/* (the driver's value is checked, then dropped: name is set after) */
#define N struct capsa_net_create_opts
static const struct capsa_opt create_opts[] = {
  CAPSA_O_CALL (0, "subnet", set_subnet, "CIDR",
                "IPv4 subnet (default: the first free 10.89.N.0/24); given an IPv6 one\n"
                "too (fd00:1:2:3::/64), the network is dual stack"),
  CAPSA_O_CALL (0, "gateway", set_gateway, "IP", "the bridge's address (default: the subnet's first); once per family"),
  CAPSA_O_BOOL (0, "ipv6", N, ipv6,
                "dual stack: containers get an IPv6 address and route as well (default\n"
                "subnet: a random unique local fdXX:XXXX:XXXX::/64)"),
  CAPSA_O_STR (0, "bridge", N, bridge, "DEV", "the bridge device's name (default: cbr-XXXXXXXX)"),
  CAPSA_O_CALL (0, "mtu", set_mtu, "N", "the MTU of the bridge and the containers' interfaces (default 1500)"),
  CAPSA_O_BOOL (0, "internal", N, internal, "no NAT to the outside"),
  CAPSA_O_STR ('d', "driver", N, name, "bridge", "the only driver", .check = driver_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef N
static const struct cli_spec create_spec = {
  "network create",
  "[OPTIONS] NAME",
  "Create a bridge network: containers on it reach each other (by name too), the outside\n"
  "through NAT, and nothing of other networks.",
  create_opts,
  CAPSA_OPT_STOP,
  "\nPublished ports of a dual-stack network's containers answer on the host's IPv6 addresses\n"
  "too, except ::1: the kernel does not forward IPv6 loopback traffic to a container (use\n"
  "127.0.0.1 or another of the host's addresses).\n"
};

static int
net_create (struct cli_global *g, int argc, char **argv)
{
  struct capsa_net_create_opts o = { 0 };
  int first = cli_parse (&create_spec, argc, argv, &o);
  if (first <= 0)
    return -first;
  if (first + 1 != argc)
    return cli_usage ("network create", "want one network name");
  o.name = argv[first];
  capsa_err *err = NULL;
  if (capsa_engine_network_create (&g->eng, &o, &err) < 0)
    return cli_fail (&err);
  puts (o.name);
  return 0;
}

struct net_ls_opts
{
  bool quiet, notrunc;
  const char *format;
  char **filters;
};
static const struct capsa_opt ls_opts[] = {
  CAPSA_O_BOOL ('q', "quiet", struct net_ls_opts, quiet, "ids only (12 characters)"),
  CAPSA_O_BOOL (0, "no-trunc", struct net_ls_opts, notrunc, "full ids in -q and --format"),
  CAPSA_O_STR (0, "format", struct net_ls_opts, format, "FORMAT",
               "json (docker's fields, an object a line), a Go template ({{.Name}} {{.ID}}\n"
               "{{.Driver}}) or `table TEMPLATE`; host and none are listed as docker lists them"),
  CAPSA_O_LIST ('f', "filter", struct net_ls_opts, filters, "KEY=VALUE",
                "name, id, label, driver, type=custom|builtin, dangling=true|false (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct capsa_opt inspect_opts[] = {
  { .name = "format",
    .letter = 'f',
    .kind = CAPSA_OPT_STRING,
    .arg = "TEMPLATE",
    .help = "a Go template over docker's network object ({{.Name}} {{.IPAM.Config}})" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct cli_spec ls_spec = {
  "network ls", "[-q] [--format FORMAT] [-f KEY=VALUE]...", "List networks (also `list`; -q: ids only).", ls_opts, 0,
  NULL
};
static const struct cli_spec inspect_spec = {
  "network inspect", "[-f TEMPLATE] NETWORK...", "Networks' details as JSON.", inspect_opts, 0, NULL
};
static const struct capsa_opt rm_opts[] = {
  { .name = "force", .letter = 'f', .kind = CAPSA_OPT_BOOL, .help = "detach their containers" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct cli_spec rm_spec = {
  "network rm", "[-f] NETWORK...", "Remove networks (-f: detach their containers).", rm_opts, 0, NULL
};
static const struct cli_spec disconnect_spec = {
  "network disconnect", "NETWORK CONTAINER", "Detach a container from a network.", cli_no_options, 0, NULL
};

/* docker's network ls row (its NetworkContext) of a network object */
static json_t *
net_row (json_t *n, bool notrunc)
{
  char created[64];
  cli_docker_time (jstr (n, "Created"), created, sizeof created);
  cleanup_free char *labels = cli_labels_text (json_object_get (n, "Labels"));
  return json_pack ("{s:s, s:s, s:s#, s:s, s:s, s:s, s:s, s:s}", "CreatedAt", created, "Driver", jstr (n, "Driver"),
                    "ID", jstr (n, "Id"), notrunc ? 64 : 12, "IPv6",
                    json_is_true (json_object_get (n, "EnableIPv6")) ? "true" : "false", "Internal",
                    json_is_true (json_object_get (n, "Internal")) ? "true" : "false", "Labels", labels, "Name",
                    jstr (n, "Name"), "Scope", jstr (n, "Scope"));
}

/* capsa's own table: name, driver, subnets, the count of containers */
static int
net_table_row (struct capsa_netenv *env, const char *name, capsa_err **err)
{
  cleanup_free char *text = NULL;
  if (capsa_network_inspect (env, name, &text, err) < 0)
    return -1;
  cleanup_json json_t *j = json_loads (text, 0, NULL);
  printf ("%-20s %-10s %-18s %-24s %zu\n", name, "bridge", jstr (j, "subnet") ?: "", jstr (j, "subnet6") ?: "-",
          json_object_size (json_object_get (j, "leases")));
  return 0;
}

static int
net_ls (struct cli_global *g, int argc, char **argv)
{
  struct net_ls_opts o = { 0 };
  int first = cli_parse (&ls_spec, argc, argv, &o);
  cleanup_strv char **filter_args = o.filters;
  if (first <= 0)
    return -first;
  capsa_err *err = NULL;
  cleanup_json json_t *filters = NULL;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_network_filters_check (filters, &err) < 0)
    return cli_fail (&err);
  const char *format = o.format && strcmp (o.format, "table") != 0 ? o.format : NULL;
  cleanup_json json_t *all = capsa_networks_docker_json (&g->eng, json_object_get (filters, "dangling") != NULL);
  cleanup_json json_t *rows = json_array ();
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (&g->eng, &dir);
  size_t i;
  json_t *n;
  if (!o.quiet && !format)
    printf ("%-20s %-10s %-18s %-24s %s\n", "NAME", "DRIVER", "SUBNET", "IPV6 SUBNET", "CONTAINERS");
  json_array_foreach (all, i, n)
  {
    const char *name = jstr (n, "Name");
    if (!capsa_network_filter_match (n, filters))
      continue;
    if (format)
      json_array_append_new (rows, net_row (n, o.notrunc));
    else if (o.quiet)
      printf ("%.*s\n", o.notrunc ? 64 : 12, jstr (n, "Id")); /* (docker's: ids, host and none too) */
    else if (strcmp (name, "host") == 0 || strcmp (name, "none") == 0)
      continue; /* (docker's pseudo networks: capsa's table lists its own) */
    else if (net_table_row (&env, name, &err) < 0)
      return cli_fail (&err);
  }
  return format ? cli_print_rows (format, rows, cli_network_headers) : 0;
}

/* -f: docker's network objects through the template */
static int
net_inspect_format (struct cli_global *g, const char *format, int argc, char **argv)
{
  cleanup_json json_t *all = capsa_networks_docker_json (&g->eng, true), *sel = json_array ();
  capsa_err *err = NULL;
  int rc = 0;
  for (int i = 0; i < argc; i++)
    {
      json_t *n, *found = NULL;
      size_t j;
      json_array_foreach (all, j, n) if (strcmp (jstr (n, "Name"), argv[i]) == 0
                                         || strncmp (jstr (n, "Id"), argv[i], strlen (argv[i])) == 0) found
          = n;
      if (found)
        json_array_append (sel, found);
      else
        {
          capsa_fail_as (&err, ENOENT, "network %s not found", argv[i]);
          rc = cli_fail (&err);
        }
    }
  if (capsa_template_print_each (format, sel, &err) < 0)
    return cli_fail (&err);
  return rc;
}

static int
net_inspect (struct cli_global *g, int argc, char **argv)
{
  const char *format = NULL;
  int first = cli_parse (&inspect_spec, argc, argv, &format);
  if (first <= 0)
    return -first;
  if (first >= argc)
    return cli_usage ("network inspect", "want network names");
  if (format)
    return net_inspect_format (g, format, argc - first, argv + first);
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (&g->eng, &dir);
  int rc = 0;
  printf ("[");
  for (int i = first; i < argc; i++)
    {
      capsa_err *err = NULL;
      cleanup_free char *text = NULL;
      if (capsa_network_inspect (&env, argv[i], &text, &err) < 0)
        {
          rc = cli_fail (&err);
          continue;
        }
      printf ("%s%s", i > first ? ",\n" : "\n", text);
    }
  printf ("\n]\n");
  return rc;
}

static int
net_rm (struct cli_global *g, int argc, char **argv)
{
  bool force = false;
  int i = cli_parse (&rm_spec, argc, argv, &force);
  if (i <= 0)
    return -i;
  if (i >= argc)
    return cli_usage ("network rm", "want network names");
  int rc = 0;
  for (; i < argc; i++)
    {
      capsa_err *err = NULL;
      if (capsa_engine_network_remove (&g->eng, argv[i], force, &err) < 0)
        rc = cli_fail (&err);
      else
        puts (argv[i]);
    }
  return rc;
}

/* connect NET CONTAINER [--ip IP] [--ip6 IP] [-p SPEC]...: the container must be running (its init's
 * network namespace is joined). */
struct connect_flags
{
  struct capsa_attach a;
  struct capsa_port ports[64];
};

static int
add_port (void *base, const char *v, capsa_err **err)
{
  struct connect_flags *f = base;
  if (f->a.nports == ARRAY_SIZE (f->ports))
    return capsa_fail_as (err, EINVAL, "too many ports");
  return capsa_port_parse (v, &f->ports[f->a.nports++], err) < 0 ? CAPSA_OPT_FAIL : 0;
}

static const struct capsa_opt connect_opts[] = {
  CAPSA_O_STR (0, "ip", struct connect_flags, a.ip, "IP", "its IPv4 address on the network"),
  CAPSA_O_STR (0, "ip6", struct connect_flags, a.ip6, "IP", "its IPv6 address on the network"),
  CAPSA_O_CALL ('p', "publish", add_port, "[IP:][HOST:]CTR[/udp]", "publish a port (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct cli_spec connect_spec = { "network connect",
                                              "[--ip IP] [--ip6 IP] [-p PORTS] NETWORK CONTAINER",
                                              "Attach a running container to a network.",
                                              connect_opts,
                                              CAPSA_OPT_STOP,
                                              NULL };

static int
net_connect (struct cli_global *g, int argc, char **argv)
{
  struct connect_flags f = { .a = { .netns_fd = -1 } };
  struct capsa_port *ports = f.ports;
  struct capsa_attach a;
  capsa_err *err = NULL;
  int first = cli_parse (&connect_spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  a = f.a;
  a.ports = ports;
  if (first + 2 != argc)
    return cli_usage ("network connect", "want NETWORK CONTAINER");
  cleanup_ctr struct ctr *ct = NULL;
  if (capsa_ctr_find (&g->eng, argv[first + 1], &ct, &err) < 0)
    return cli_fail (&err);
  if (ct->status != CTR_RUNNING && ct->status != CTR_PAUSED)
    return capsa_fail_as (&err, EINVAL, "container `%s` is not running", argv[first + 1]), cli_fail (&err);
  a.network = argv[first];
  if (capsa_ctr_net_connect (&g->eng, ct, &a, &err) < 0)
    return cli_fail (&err);
  return 0;
}

static int
net_disconnect (struct cli_global *g, int argc, char **argv)
{
  int first = cli_parse (&disconnect_spec, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first != 2)
    return cli_usage ("network disconnect", "want NETWORK CONTAINER");
  capsa_err *err = NULL;
  cleanup_ctr struct ctr *ct = NULL;
  if (capsa_ctr_find (&g->eng, argv[first + 1], &ct, &err) < 0)
    return cli_fail (&err);
  if (capsa_ctr_net_disconnect (&g->eng, ct, argv[first], &err) < 0)
    return cli_fail (&err);
  return 0;
}

static const struct cli_sub net_subs[] = {
  { "create", net_create, &create_spec, "create a network (--subnet, --gateway, --ipv6, --bridge, --mtu, --internal)" },
  { "ls", net_ls, &ls_spec, "list networks (also `list`; -q: names only)" },
  { "list", net_ls, &ls_spec, NULL, true },
  { "inspect", net_inspect, &inspect_spec, "print networks' details as JSON" },
  { "rm", net_rm, &rm_spec, "remove networks (-f: detach their containers)" },
  { "connect", net_connect, &connect_spec, "attach a running container to a network (--ip, --ip6, -p)" },
  { "disconnect", net_disconnect, &disconnect_spec, "detach a container from a network" },
};
const struct cli_group cli_group_network = { "network", net_subs, ARRAY_SIZE (net_subs) };

int
cmd_network (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_network, argc, argv);
}

/* `capsa __dns NETWORK` (hidden): the DNS server of a user network, which the engine starts
 * (capsa_engine_dns_main).  CAPSA_DNS_RESOLV_CONF (for tests) names the host's resolvers' file
 * instead of /etc/resolv.conf. */
int
cmd_dns_helper (struct cli_global *g, int argc, char **argv)
{
  if (argc != 2)
    return cli_usage ("__dns", "for the engine only: __dns NETWORK");
  cleanup_err capsa_err *err = NULL;
  if (capsa_engine_dns_main (&g->eng, argv[1], getenv ("CAPSA_DNS_RESOLV_CONF"), &err) < 0)
    return cli_fail (&err);
  return 0;
}
