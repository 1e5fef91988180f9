/* Networking pieces with exact contracts: port specs, the IPv6 IPAM, the nftables ruleset text. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hostenv.h"
#include "ipam.h"
#include "nat.h"
#include "capsa/net.h"

static void
test_port_specs (void **state)
{
  (void) state;
  struct capsa_port p;
  capsa_err *err = NULL;
  assert_int_equal (capsa_port_parse ("[fd00::0001]:8080:80/udp", &p, &err), 0);
  assert_string_equal (p.host_ip, "fd00::1");
  assert_int_equal (p.host_port, 8080);
  assert_int_equal (p.ctr_port, 80);
  assert_string_equal (p.proto, "udp");
  assert_int_equal (capsa_port_parse ("127.0.0.1:8080:80", &p, &err), 0);
  assert_string_equal (p.host_ip, "127.0.0.1");
  assert_int_equal (capsa_port_parse ("8080:80", &p, &err), 0);
  assert_string_equal (p.host_ip, "");
  /* no host port: docker's ephemeral port (0 here, chosen when it is reserved) */
  assert_int_equal (capsa_port_parse ("8095", &p, &err), 0);
  assert_int_equal (p.host_port, 0);
  assert_int_equal (p.ctr_port, 8095);
  assert_int_equal (capsa_port_parse ("127.0.0.1::53/udp", &p, &err), 0);
  assert_int_equal (p.host_port, 0);
  assert_string_equal (p.host_ip, "127.0.0.1");
  assert_string_equal (p.proto, "udp");
  assert_int_equal (capsa_port_parse ("[::1]:8080:80", &p, &err), -1);
  assert_non_null (strstr (err->msg, "::1 cannot be forwarded"));
  capsa_err_free (&err);
  assert_int_equal (capsa_port_parse ("fd00::1:8080:80", &p, &err), -1); /* IPv6 without brackets */
  capsa_err_free (&err);
  assert_int_equal (capsa_port_parse ("[fd00::1]:80", &p, &err), -1);
  capsa_err_free (&err);
}

/* Other engines' configured networks: CNI conflists (ipam.ranges) and netavark files (subnets). */
static void
test_foreign_networks (void **state)
{
  (void) state;
  char dir[] = "/tmp/capsa-foreign-XXXXXX", what[4096], f[64];
  assert_non_null (mkdtemp (dir));
  snprintf (f, sizeof f, "%s/87-podman.conflist", dir);
  FILE *fp = fopen (f, "w");
  assert_non_null (fp);
  fputs ("{\"plugins\": [{\"ipam\": {\"ranges\": [[{\"subnet\": \"10.88.0.0/16\"}]]}}]}", fp);
  fclose (fp);
  snprintf (f, sizeof f, "%s/n.json", dir);
  fp = fopen (f, "w");
  assert_non_null (fp);
  fputs ("{\"subnets\": [ { \"subnet\" :\n \"192.168.64.0/20\" }, {\"subnet\": \"fd00::/64\"} ]}", fp);
  fclose (fp);
  capsa_host_env_set (&(struct capsa_host_env){ .foreign_net_dirs = dir });
  assert_true (ipam_foreign_clash ("10.88.5.0/24", what, sizeof what));
  assert_non_null (strstr (what, "87-podman.conflist"));
  assert_true (ipam_foreign_clash ("192.168.0.0/16", what, sizeof what));
  assert_non_null (strstr (what, "n.json"));
  assert_false (ipam_foreign_clash ("172.17.0.0/16", what, sizeof what));
  assert_false (ipam_foreign_clash ("192.168.80.0/20", what, sizeof what));
  capsa_host_env_set (&(struct capsa_host_env){ 0 });
  unlink (f);
  snprintf (f, sizeof f, "%s/87-podman.conflist", dir);
  unlink (f);
  rmdir (dir);
}

static void
test_ipam6 (void **state)
{
  (void) state;
  capsa_err *err = NULL;
  struct in6_addr a;
  int prefix;
  assert_int_equal (ipam_parse_cidr6 ("fd00:1::/64", &a, &prefix, &err), 0);
  assert_int_equal (prefix, 64);
  assert_int_equal (ipam_parse_cidr6 ("fd00:1::1/64", &a, &prefix, &err), -1); /* host bits */
  capsa_err_free (&err);
  assert_int_equal (ipam_parse_cidr6 ("10.0.0.0/8", &a, &prefix, &err), -1);
  capsa_err_free (&err);
  json_t *net = json_pack ("{s:s, s:s, s:s, s:{s:{s:s}}}", "name", "n", "subnet6", "fd00:1::/124", "gateway6",
                           "fd00:1::1", "leases", "c1", "ip6", "fd00:1::2");
  char s[INET6_ADDRSTRLEN];
  assert_int_equal (ipam_pick6 (net, NULL, &a, &err), 0); /* not ::0 (anycast), ::1 (gateway), ::2 (leased) */
  assert_string_equal (inet_ntop (AF_INET6, &a, s, sizeof s), "fd00:1::3");
  for (int i = 3; i <= 15; i++)
    {
      char k[8], ip[32];
      snprintf (k, sizeof k, "c%d", i);
      snprintf (ip, sizeof ip, "fd00:1::%x", i);
      json_object_set_new (json_object_get (net, "leases"), k, json_pack ("{s:s}", "ip6", ip));
    }
  assert_int_equal (ipam_pick6 (net, NULL, &a, &err), -1); /* a /124: host parts 1 to 15 */
  assert_non_null (strstr (err->msg, "no free address"));
  capsa_err_free (&err);
  assert_int_equal (ipam_pick6 (net, "fd00:1:0::3", &a, &err), -1); /* another spelling of a leased one */
  assert_non_null (strstr (err->msg, "in use"));
  capsa_err_free (&err);
  assert_int_equal (ipam_pick6 (net, "fd00:2::3", &a, &err), -1);
  capsa_err_free (&err);
  json_decref (net);
  struct in6_addr b = a;
  inet_pton (AF_INET6, "fd00::ff", &b);
  ipam_in6_add (&b, 1);
  assert_string_equal (inet_ntop (AF_INET6, &b, s, sizeof s), "fd00::100");
}

static void
test_ruleset_families (void **state)
{
  (void) state;
  struct nat_net nets[] = { { .bridge = "br6", .subnet = "10.1.0.0/24", .subnet6 = "fd00:1::/64" },
                            { .bridge = "br4", .subnet = "10.2.0.0/24" } };
  struct nat_port ports[] = {
    { .host_port = 80, .ctr_ip = "10.1.0.2", .ctr_port = 8080, .proto = "tcp", .ctr_ip6 = "fd00:1::2" },
    { .host_ip = "127.0.0.1",
      .host_port = 81,
      .ctr_ip = "10.1.0.2",
      .ctr_port = 8080,
      .proto = "tcp",
      .ctr_ip6 = "fd00:1::2" },
    { .host_ip = "fd7d::1",
      .host_port = 82,
      .ctr_ip = "10.1.0.2",
      .ctr_port = 8080,
      .proto = "udp",
      .ctr_ip6 = "fd00:1::2" },
    { .host_port = 83, .ctr_ip = "10.2.0.2", .ctr_port = 80, .proto = "tcp" },
  };
  char *r = nat_ruleset ("t", nets, 2, ports, 4);
  assert_non_null (strstr (r, "tcp dport 80 dnat ip to 10.1.0.2:8080\n"));
  assert_non_null (strstr (r, "tcp dport 80 dnat ip6 to [fd00:1::2]:8080\n"));
  assert_non_null (strstr (r, "ip daddr 127.0.0.1 tcp dport 81 dnat ip to"));
  assert_null (strstr (r, "dport 81 dnat ip6")); /* an IPv4 host address: IPv4 only */
  assert_non_null (strstr (r, "ip6 daddr fd7d::1 udp dport 82 dnat ip6 to [fd00:1::2]:8080\n"));
  assert_null (strstr (r, "dport 82 dnat ip to"));
  assert_non_null (strstr (r, "tcp dport 83 dnat ip to 10.2.0.2:80\n"));
  assert_null (strstr (r, "dport 83 dnat ip6"));
  assert_non_null (strstr (r, "ip6 saddr fd00:1::/64 oifname != @bridges masquerade"));
  assert_non_null (strstr (r, "ct status dnat ip6 saddr fd00:1::/64 oifname \"br6\" masquerade"));
  assert_non_null (strstr (r, "iifname \"br6\" oifname @bridges oifname != \"br6\" drop"));
  free (r);
}

/* The hosts lines of a user network's containers: a peer by its id, hostname, name and aliases
 * (capsa_net_etc_files reads the network's state file, written here as attach records it). */
static void
test_hosts_aliases (void **state)
{
  (void) state;
  char dir[] = "/tmp/capsa-test-net-XXXXXX";
  assert_non_null (mkdtemp (dir));
  char file[64];
  snprintf (file, sizeof file, "%s/n1.json", dir);
  FILE *f = fopen (file, "w");
  assert_non_null (f);
  fputs ("{\"name\": \"n1\", \"dns\": true, \"gateway\": \"10.1.0.1\", \"leases\": {"
         "\"aaaa\": {\"ip\": \"10.1.0.2\", \"hostname\": \"ha\", \"name\": \"web\", \"aliases\": [\"www\", \"front\"],"
         " \"extra_hosts\": [\"db:10.9.9.9\", \"gw.host:host-gateway\"], \"dns_servers\": [\"9.9.9.9\"],"
         " \"dns_search\": [\"a.example\", \"b.example\"], \"dns_options\": [\"ndots:2\"]},"
         "\"bbbb\": {\"ip\": \"10.1.0.3\", \"ip6\": \"fd00::3\", \"hostname\": \"hb\"}}}",
         f);
  fclose (f);
  struct capsa_netenv env = { .state_dir = dir };
  capsa_err *err = NULL;
  char *hosts = NULL;
  assert_int_equal (capsa_net_etc_files (&env, "n1", "bbbb", &hosts, NULL, NULL, &err), 0);
  /* its own lines only: the peers are the network's DNS server's */
  assert_null (strstr (hosts, "10.1.0.2"));
  assert_non_null (strstr (hosts, "10.1.0.3\thb bbbb\n"));
  assert_non_null (strstr (hosts, "fd00::3\thb bbbb\n"));
  free (hosts);
  char *resolv = NULL;
  assert_int_equal (capsa_net_etc_files (&env, "n1", "bbbb", NULL, NULL, &resolv, &err), 0);
  assert_string_equal (strtok (resolv, "\n"), "nameserver 10.1.0.1");
  free (resolv);
  assert_int_equal (capsa_net_etc_files (&env, "n1", "aaaa", &hosts, NULL, &resolv, &err), 0);
  assert_non_null (strstr (hosts, "10.1.0.2\tha aaaa web www front\n"));
  assert_non_null (strstr (hosts, "10.9.9.9\tdb\n"));
  assert_non_null (strstr (hosts, "10.1.0.1\tgw.host\n"));
  assert_null (strstr (hosts, "10.1.0.3"));
  assert_string_equal (resolv, "nameserver 9.9.9.9\nsearch a.example b.example\noptions ndots:2\n");
  free (hosts);
  free (resolv);
  char lock[64];
  snprintf (lock, sizeof lock, "%s/.lock", dir);
  unlink (lock);
  unlink (file);
  rmdir (dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_port_specs),       cmocka_unit_test (test_ipam6),
    cmocka_unit_test (test_foreign_networks), cmocka_unit_test (test_ruleset_families),
    cmocka_unit_test (test_hosts_aliases),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
