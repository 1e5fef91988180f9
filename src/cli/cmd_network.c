/* capsa network create/ls/inspect/rm/connect/disconnect: a thin layer over src/lib/net/network.h.
 * Networks live under ROOT/network (one JSON file each, see ipam.h); the nftables table is
 * `capsa`. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ctr.h"
#include "ctr_net.h"
#include "jsonutil.h"
#include "network.h"
#include "util.h"

static struct capsa_netenv
net_env (struct cli_global *g, char **dir)
{
  *dir = xasprintf ("%s/network", g->eng.root);
  return (struct capsa_netenv){ .state_dir = *dir, .table = CAPSA_NET_TABLE };
}

static int
net_create (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "subnet", required_argument, NULL, 's' },  { "gateway", required_argument, NULL, 'g' },
    { "bridge", required_argument, NULL, 'b' },  { "mtu", required_argument, NULL, 'm' },
    { "internal", no_argument, NULL, 'i' },      { "driver", required_argument, NULL, 'd' },
    { "ipv6", no_argument, NULL, '6' },          { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  struct capsa_net_create_opts o = { 0 };
  int c;
  int64_t v;
  while ((c = getopt_long (argc, argv, "+d:h", opts, NULL)) != -1)
    switch (c)
      {
      /* as docker: --subnet and --gateway once per family; an IPv6 subnet implies --ipv6 */
      case 's': *(strchr (optarg, ':') ? &o.subnet6 : &o.subnet) = optarg; break;
      case 'g': *(strchr (optarg, ':') ? &o.gateway6 : &o.gateway) = optarg; break;
      case '6': o.ipv6 = true; break;
      case 'b': o.bridge = optarg; break;
      case 'i': o.internal = true; break;
      case 'm':
        if (parse_i64 (optarg, 68, 65535, &v) < 0)
          return cli_usage ("network create", "--mtu `%s`: want 68 to 65535", optarg);
        o.mtu = (int) v;
        break;
      case 'd':
        if (strcmp (optarg, "bridge") != 0)
          return cli_usage ("network create", "driver `%s`: only `bridge` is supported", optarg);
        break;
      case 'h':
        printf ("Usage: capsa network create [OPTIONS] NAME\n\n"
                "Create a bridge network: containers on it reach each other (by name too), the outside\n"
                "through NAT, and nothing of other networks.\n\n"
                "Options:\n"
                "      --subnet CIDR    IPv4 subnet (default: the first free 10.89.N.0/24); given an IPv6 one\n"
                "                       too (fd00:1:2:3::/64), the network is dual stack\n"
                "      --gateway IP     the bridge's address (default: the subnet's first); once per family\n"
                "      --ipv6           dual stack: containers get an IPv6 address and route as well (default\n"
                "                       subnet: a random unique local fdXX:XXXX:XXXX::/64)\n"
                "      --bridge DEV     the bridge device's name (default: cbr-XXXXXXXX)\n"
                "      --mtu N          the MTU of the bridge and the containers' interfaces (default 1500)\n"
                "      --internal       no NAT to the outside\n"
                "  -d, --driver bridge  the only driver\n\n"
                "Published ports of a dual-stack network's containers answer on the host's IPv6 addresses\n"
                "too, except ::1: the kernel does not forward IPv6 loopback traffic to a container (use\n"
                "127.0.0.1 or another of the host's addresses).\n");
        return 0;
      default: return cli_usage ("network create", "unknown option");
      }
  if (optind + 1 != argc)
    return cli_usage ("network create", "want one network name");
  o.name = argv[optind];
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  capsa_err *err = NULL;
  if (capsa_network_create (&env, &o, &err) < 0)
    return cli_fail (&err);
  puts (o.name);
  return 0;
}

static int
net_ls (struct cli_global *g, int argc, char **argv)
{
  bool quiet = argc > 1 && (strcmp (argv[1], "-q") == 0 || strcmp (argv[1], "--quiet") == 0);
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  capsa_err *err = NULL;
  cleanup_strv char **names = NULL;
  if (capsa_network_list (&env, &names, &err) < 0)
    return cli_fail (&err);
  if (!quiet)
    printf ("%-20s %-10s %-18s %-24s %s\n", "NAME", "DRIVER", "SUBNET", "IPV6 SUBNET", "CONTAINERS");
  for (char **n = names; *n; n++)
    {
      if (quiet)
        {
          puts (*n);
          continue;
        }
      cleanup_free char *text = NULL;
      if (capsa_network_inspect (&env, *n, &text, &err) < 0)
        return cli_fail (&err);
      json_t *j = json_loads (text, 0, NULL);
      printf ("%-20s %-10s %-18s %-24s %zu\n", *n, "bridge", json_string_value (json_object_get (j, "subnet")),
              json_string_value (json_object_get (j, "subnet6")) ?: "-", json_object_size (json_object_get (j, "leases")));
      json_decref (j);
    }
  return 0;
}

static int
net_inspect (struct cli_global *g, int argc, char **argv)
{
  if (argc < 2)
    return cli_usage ("network inspect", "want network names");
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  int rc = 0;
  printf ("[");
  for (int i = 1; i < argc; i++)
    {
      capsa_err *err = NULL;
      cleanup_free char *text = NULL;
      if (capsa_network_inspect (&env, argv[i], &text, &err) < 0)
        {
          rc = cli_fail (&err);
          continue;
        }
      printf ("%s%s", i > 1 ? ",\n" : "\n", text);
    }
  printf ("\n]\n");
  return rc;
}

static int
net_rm (struct cli_global *g, int argc, char **argv)
{
  bool force = false;
  int i = 1;
  if (i < argc && (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0))
    force = true, i++;
  if (i >= argc)
    return cli_usage ("network rm", "want network names");
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  int rc = 0;
  for (; i < argc; i++)
    {
      capsa_err *err = NULL;
      if (capsa_network_remove (&env, argv[i], force, &err) < 0)
        rc = cli_fail (&err);
      else
        puts (argv[i]);
    }
  return rc;
}

/* connect NET CONTAINER [--ip IP] [--ip6 IP] [-p SPEC]...: the container must be running (its init's
 * network namespace is joined). */
static int
net_connect (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "ip", required_argument, NULL, 'i' },
    { "ip6", required_argument, NULL, '6' },
    { "publish", required_argument, NULL, 'p' },
    { 0 },
  };
  struct capsa_port ports[64];
  struct capsa_attach a = { .netns_fd = -1, .ports = ports };
  capsa_err *err = NULL;
  int c;
  while ((c = getopt_long (argc, argv, "+p:", opts, NULL)) != -1)
    switch (c)
      {
      case 'i': a.ip = optarg; break;
      case '6': a.ip6 = optarg; break;
      case 'p':
        if (a.nports == ARRAY_SIZE (ports))
          return cli_usage ("network connect", "too many ports");
        if (capsa_port_parse (optarg, &ports[a.nports++], &err) < 0)
          return cli_fail (&err);
        break;
      default: return cli_usage ("network connect", "unknown option");
      }
  if (optind + 2 != argc)
    return cli_usage ("network connect", "want NETWORK CONTAINER");
  cleanup_ctr struct ctr *ct = NULL;
  if (ctr_find (&g->eng, argv[optind + 1], &ct, &err) < 0)
    return cli_fail (&err);
  if (ct->status != CTR_RUNNING && ct->status != CTR_PAUSED)
    return capsa_fail_as (&err, EINVAL, "container `%s` is not running", argv[optind + 1]), cli_fail (&err);
  a.network = argv[optind];
  a.container_id = ct->id;
  a.name = ctr_name (ct);
  a.pid = ct->pid;
  /* a container on a bridge network has its /etc/hosts bind-mounted from ROOT/containers/ID/etc:
   * that file gets the new network's peers too (docker), and keeps its hostname */
  cleanup_free char *etc = xasprintf ("%s/etc", ct->dir);
  if (ctr_net_is_bridge (jstr (json_object_get (ct->meta, "HostConfig"), "NetworkMode")))
    a.etc_dir = etc;
  a.hostname = jstr (json_object_get (ct->meta, "Config"), "Hostname");
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  struct capsa_attach_result r;
  /* a host port another program or container has is refused here too (an ephemeral one is
   * chosen); this short-lived process cannot hold them for the container's life: bound, released */
  if (ctr_ports_reserve (&g->eng, ct, ports, a.nports, &err) < 0)
    return cli_fail (&err);
  ctr_ports_release (ct);
  if (capsa_net_attach (&env, &a, &r, &err) < 0)
    return cli_fail (&err);
  return 0;
}

static int
net_disconnect (struct cli_global *g, int argc, char **argv)
{
  if (argc != 3)
    return cli_usage ("network disconnect", "want NETWORK CONTAINER");
  capsa_err *err = NULL;
  cleanup_ctr struct ctr *ct = NULL;
  if (ctr_find (&g->eng, argv[2], &ct, &err) < 0)
    return cli_fail (&err);
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = net_env (g, &dir);
  if (capsa_net_detach (&env, argv[1], ct->id, &err) < 0)
    return cli_fail (&err);
  return 0;
}

static const struct
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const char *help;
} subs[] = {
  { "create", net_create, "create a network (--subnet, --gateway, --ipv6, --bridge, --mtu, --internal)" },
  { "ls", net_ls, "list networks (also `list`; -q: names only)" },
  { "list", net_ls, NULL },
  { "inspect", net_inspect, "print networks' details as JSON" },
  { "rm", net_rm, "remove networks (-f: detach their containers)" },
  { "connect", net_connect, "attach a running container to a network (--ip, --ip6, -p)" },
  { "disconnect", net_disconnect, "detach a container from a network" },
};

static const struct cli_sub_usage net_usage[] = {
  { "ls", "Usage: capsa network ls [-q]\n\nList networks (also `list`; -q: names only).\n" },
  { "list", "Usage: capsa network ls [-q]\n\nList networks (also `list`; -q: names only).\n" },
  { "inspect", "Usage: capsa network inspect NETWORK...\n\nNetworks' details as JSON.\n" },
  { "rm", "Usage: capsa network rm [-f] NETWORK...\n\nRemove networks (-f: detach their containers).\n" },
  { "connect", "Usage: capsa network connect [--ip IP] [--ip6 IP] [-p PORTS] NETWORK CONTAINER\n\n"
               "Attach a running container to a network.\n" },
  { "disconnect", "Usage: capsa network disconnect NETWORK CONTAINER\n\nDetach a container from a network.\n" },
};

int
cmd_network (struct cli_global *g, int argc, char **argv)
{
  if (cli_sub_help (net_usage, ARRAY_SIZE (net_usage), argc, argv))
    return 0;
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *f = argc < 2 ? stderr : stdout;
      fprintf (f, "Usage: capsa network COMMAND [OPTIONS] ARGS...\n\nCommands:\n");
      for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
        if (subs[i].help)
          fprintf (f, "  %-11s %s\n", subs[i].name, subs[i].help);
      return argc < 2 ? CLI_EXIT_ERROR : 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      {
        optind = 1;
        return subs[i].fn (g, argc - 1, argv + 1);
      }
  return cli_usage ("network", "unknown command `%s`", argv[1]);
}
