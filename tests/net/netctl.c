/* netctl: a test driver for capsa's networking library.
 *
 *   netctl [--state DIR] [--table NAME] network create NAME [--subnet CIDR] [--gateway IP] [--bridge DEV] [--internal]
 *                                       [--ipv6] [--subnet6 CIDR] [--gateway6 IP]
 *   netctl ... network rm NAME [--force] | network ls | network inspect NAME
 *   netctl ... attach NET CONTAINER PID [--publish SPEC]... [--hostname H] [--name N] [--ip IP] [--ip6 IP] [--etc DIR]
 *   netctl ... detach NET CONTAINER
 *   netctl ... gc
 *   netctl ... etc NET CONTAINER        (prints hosts, hostname and resolv.conf)
 *   netctl ... dns NET PIDFILE [RESOLV] (the network's DNS server, in the foreground)
 * attach prints the result as one JSON object.  Exit 1 with "netctl: MESSAGE" on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostenv.h"
#include "capsa/net.h"
#include "util.h"

static int
fail (capsa_err **err)
{
  fprintf (stderr, "netctl: %s\n", (*err)->msg);
  capsa_err_free (err);
  return 1;
}

/* True when argv[*i] is option `name`: *value is then its value, and *i moves on to it. */
static bool
opt (int argc, char **argv, int *i, const char *name, const char **value)
{
  if (strcmp (argv[*i], name) != 0)
    return false;
  if (*i + 1 >= argc)
    {
      fprintf (stderr, "netctl: %s needs a value\n", name);
      exit (2);
    }
  *value = argv[++*i];
  return true;
}

int
main (int argc, char **argv)
{
  struct capsa_netenv env = { 0 };
  cleanup_err capsa_err *err = NULL;
  int i = 1;
  capsa_host_env_load (getenv);
  for (; i < argc && strncmp (argv[i], "--", 2) == 0; i++)
    {
      const char *v;
      if (opt (argc, argv, &i, "--state", &v))
        env.state_dir = v;
      else if (opt (argc, argv, &i, "--table", &v))
        env.table = v;
      else
        {
          fprintf (stderr, "netctl: unknown option %s\n", argv[i]);
          return 2;
        }
    }
  if (i >= argc)
    {
      fprintf (stderr, "usage: netctl [--state DIR] [--table T] network|attach|detach|gc|etc ...\n");
      return 2;
    }
  const char *cmd = argv[i++];
  if (strcmp (cmd, "network") == 0 && i < argc)
    {
      const char *sub = argv[i++];
      if (strcmp (sub, "create") == 0 && i < argc)
        {
          struct capsa_net_create_opts o = { .name = argv[i++] };
          for (; i < argc; i++)
            {
              const char *v;
              if (opt (argc, argv, &i, "--subnet", &v))
                o.subnet = v;
              else if (opt (argc, argv, &i, "--gateway", &v))
                o.gateway = v;
              else if (opt (argc, argv, &i, "--bridge", &v))
                o.bridge = v;
              else if (opt (argc, argv, &i, "--subnet6", &v))
                o.subnet6 = v;
              else if (opt (argc, argv, &i, "--gateway6", &v))
                o.gateway6 = v;
              else if (strcmp (argv[i], "--internal") == 0)
                o.internal = true;
              else if (strcmp (argv[i], "--ipv6") == 0)
                o.ipv6 = true;
              else
                return fprintf (stderr, "netctl: unknown option %s\n", argv[i]), 2;
            }
          return capsa_network_create (&env, &o, &err) < 0 ? fail (&err) : 0;
        }
      if (strcmp (sub, "rm") == 0 && i < argc)
        {
          bool force = i + 1 < argc && strcmp (argv[i + 1], "--force") == 0;
          return capsa_network_remove (&env, argv[i], force, &err) < 0 ? fail (&err) : 0;
        }
      if (strcmp (sub, "ls") == 0)
        {
          cleanup_strv char **names = NULL;
          if (capsa_network_list (&env, &names, &err) < 0)
            return fail (&err);
          for (char **n = names; *n; n++)
            puts (*n);
          return 0;
        }
      if (strcmp (sub, "inspect") == 0 && i < argc)
        {
          cleanup_free char *j = NULL;
          if (capsa_network_inspect (&env, argv[i], &j, &err) < 0)
            return fail (&err);
          puts (j);
          return 0;
        }
    }
  else if (strcmp (cmd, "attach") == 0 && i + 2 < argc)
    {
      struct capsa_attach a = { .network = argv[i], .container_id = argv[i + 1], .netns_fd = -1 };
      int64_t pid;
      if (parse_i64 (argv[i + 2], 1, 1 << 30, &pid) < 0)
        return fprintf (stderr, "netctl: bad pid %s\n", argv[i + 2]), 2;
      a.pid = (pid_t) pid;
      struct capsa_port ports[16];
      for (i += 3; i < argc; i++)
        {
          const char *v;
          if (opt (argc, argv, &i, "--publish", &v))
            {
              if (a.nports == 16)
                return fprintf (stderr, "netctl: too many ports\n"), 2;
              if (capsa_port_parse (v, &ports[a.nports++], &err) < 0)
                return fail (&err);
            }
          else if (opt (argc, argv, &i, "--name", &v))
            a.name = v;
          else if (opt (argc, argv, &i, "--hostname", &v))
            a.hostname = v;
          else if (opt (argc, argv, &i, "--ip", &v))
            a.ip = v;
          else if (opt (argc, argv, &i, "--ip6", &v))
            a.ip6 = v;
          else if (opt (argc, argv, &i, "--etc", &v))
            a.etc_dir = v;
          else
            return fprintf (stderr, "netctl: unknown option %s\n", argv[i]), 2;
        }
      a.ports = ports;
      struct capsa_attach_result r;
      if (capsa_net_attach (&env, &a, &r, &err) < 0)
        return fail (&err);
      printf ("{\"ifname\": \"%s\", \"host_ifname\": \"%s\", \"address\": \"%s\", \"prefixlen\": %d, "
              "\"gateway\": \"%s\", \"mac\": \"%s\", \"bridge\": \"%s\", \"address6\": \"%s\", \"prefixlen6\": %d, "
              "\"gateway6\": \"%s\"}\n",
              r.ifname, r.host_ifname, r.address, r.prefixlen, r.gateway, r.mac, r.bridge, r.address6, r.prefixlen6,
              r.gateway6);
      return 0;
    }
  else if (strcmp (cmd, "detach") == 0 && i + 1 < argc)
    return capsa_net_detach (&env, argv[i], argv[i + 1], &err) < 0 ? fail (&err) : 0;
  else if (strcmp (cmd, "gc") == 0)
    {
      int n = 0;
      if (capsa_net_gc (&env, &n, &err) < 0)
        return fail (&err);
      printf ("%d\n", n);
      return 0;
    }
  else if (strcmp (cmd, "etc") == 0 && i + 1 < argc)
    {
      cleanup_free char *h = NULL, *hn = NULL, *rc = NULL;
      if (capsa_net_etc_files (&env, argv[i], argv[i + 1], &h, &hn, &rc, &err) < 0)
        return fail (&err);
      printf ("%s--\n%s--\n%s", h, hn, rc);
      return 0;
    }
  else if (strcmp (cmd, "dns") == 0 && i + 1 < argc)
    {
      struct capsa_dns_opts o = {
        .network = argv[i], .pidfile = argv[i + 1], .resolv_conf = argv[i + 2], .ready_fd = 1
      };
      return capsa_net_dns_serve (&env, &o, &err) < 0 ? fail (&err) : 0;
    }
  fprintf (stderr, "netctl: bad command line (see the comment at the top of tests/net/netctl.c)\n");
  return 2;
}
