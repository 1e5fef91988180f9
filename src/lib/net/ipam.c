/* Per-network JSON files and address allocation: see ipam.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "hostenv.h"
#include "ipam.h"
#include "jsonutil.h"
#include "util.h"

static bool
has_suffix (const char *s, size_t n, const char *suf)
{
  size_t k = strlen (suf);
  return n > k && strcmp (s + n - k, suf) == 0;
}

int
ipam_lock (const char *state_dir, int *dirfd, capsa_err **err)
{
  if (mkdir_p (state_dir, 0700, err) < 0)
    return -1;
  cleanup_close int dfd = open (state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open network state `%s`", state_dir);
  cleanup_close int lfd = openat (dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lfd < 0)
    return capsa_fail (err, errno, "open `%s/.lock`", state_dir);
  while (flock (lfd, LOCK_EX) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "lock `%s/.lock`", state_dir);
  *dirfd = take_fd (&dfd);
  return take_fd (&lfd);
}

int
ipam_load (int dirfd, const char *name, json_t **out, capsa_err **err)
{
  cleanup_free char *file = xasprintf ("%s.json", name);
  cleanup_free char *buf = NULL;
  if (read_file_at (dirfd, file, &buf, NULL, err) < 0)
    return -1;
  json_error_t je;
  json_t *j = json_loads (buf, 0, &je);
  if (j == NULL || !json_is_object (j))
    {
      json_decref (j);
      return capsa_fail_as (err, EINVAL, "network `%s`: bad state file: %s", name, je.text);
    }
  if (!json_is_object (json_object_get (j, "leases")))
    json_object_set_new (j, "leases", json_object ());
  *out = j;
  return 0;
}

int
ipam_save (int dirfd, const char *name, json_t *net, capsa_err **err)
{
  cleanup_free char *file = xasprintf ("%s.json", name);
  /* compact, in insertion order: at 1000 leases sorting and indenting the file took most of a
   * save (`network inspect` shows it sorted and indented) */
  cleanup_free char *buf = json_dumps (net, JSON_COMPACT);
  if (buf == NULL)
    return capsa_fail (err, ENOMEM, "network `%s`: encode state", name);
  return write_file_atomic_at (dirfd, file, buf, strlen (buf), 0600, err);
}

int
ipam_unlink (int dirfd, const char *name, capsa_err **err)
{
  cleanup_free char *file = xasprintf ("%s.json", name);
  if (unlinkat (dirfd, file, 0) < 0 && errno != ENOENT)
    return capsa_fail (err, errno, "remove network state `%s`", file);
  return 0;
}

int
ipam_parse_cidr (const char *cidr, struct in_addr *net, int *prefix, capsa_err **err)
{
  const char *slash = cidr ? strchr (cidr, '/') : NULL;
  int64_t p;
  if (slash == NULL || parse_i64 (slash + 1, 8, 30, &p) < 0)
    return capsa_fail_as (err, EINVAL, "subnet `%s`: want an IPv4 CIDR like 10.89.0.0/24 (prefix 8 to 30)",
                          cidr ? cidr : "");
  cleanup_free char *a = strndup (cidr, (size_t) (slash - cidr));
  if (inet_pton (AF_INET, a, net) != 1)
    return capsa_fail_as (err, EINVAL, "subnet `%s`: `%s` is not an IPv4 address", cidr, a);
  uint32_t mask = ~0u << (32 - p);
  if (ntohl (net->s_addr) & ~mask)
    return capsa_fail_as (err, EINVAL, "subnet `%s`: host bits are set", cidr);
  *prefix = (int) p;
  return 0;
}

int
ipam_parse_cidr6 (const char *cidr, struct in6_addr *net, int *prefix, capsa_err **err)
{
  const char *slash = cidr ? strchr (cidr, '/') : NULL;
  int64_t p;
  if (slash == NULL || parse_i64 (slash + 1, 48, 124, &p) < 0)
    return capsa_fail_as (err, EINVAL, "subnet `%s`: want an IPv6 CIDR like fd00:1:2:3::/64 (prefix 48 to 124)",
                          cidr ? cidr : "");
  cleanup_free char *a = strndup (cidr, (size_t) (slash - cidr));
  if (inet_pton (AF_INET6, a, net) != 1)
    return capsa_fail_as (err, EINVAL, "subnet `%s`: `%s` is not an IPv6 address", cidr, a);
  for (int bit = (int) p; bit < 128; bit++)
    if (net->s6_addr[bit / 8] & (0x80 >> (bit % 8)))
      return capsa_fail_as (err, EINVAL, "subnet `%s`: host bits are set", cidr);
  *prefix = (int) p;
  return 0;
}

bool
ipam_in6_match (const struct in6_addr *a, const struct in6_addr *b, int prefix)
{
  for (int bit = 0; bit < prefix; bit++)
    if ((a->s6_addr[bit / 8] ^ b->s6_addr[bit / 8]) & (0x80 >> (bit % 8)))
      return false;
  return true;
}

void
ipam_in6_add (struct in6_addr *a, uint32_t n)
{
  for (int i = 15; i >= 0 && n; i--)
    {
      uint32_t v = a->s6_addr[i] + (n & 0xff);
      a->s6_addr[i] = (uint8_t) v;
      n = (n >> 8) + (v >> 8);
    }
}

static bool
leased (json_t *leases, const char *key, const char *ip)
{
  const char *k;
  json_t *v;
  json_object_foreach (leases, k, v) if (jstr (v, key) && strcmp (jstr (v, key), ip) == 0) return true;
  return false;
}

int
ipam_pick (json_t *net, const char *want, struct in_addr *out, capsa_err **err)
{
  const char *name = jstr (net, "name");
  struct in_addr base, gw = { 0 };
  int prefix;
  if (ipam_parse_cidr (jstr (net, "subnet"), &base, &prefix, err) < 0)
    return -1;
  if (jstr (net, "gateway"))
    inet_pton (AF_INET, jstr (net, "gateway"), &gw);
  json_t *leases = json_object_get (net, "leases");
  uint32_t first = ntohl (base.s_addr) + 1, last = ntohl (base.s_addr) + (uint32_t) ((1ull << (32 - prefix)) - 2);
  char a[INET_ADDRSTRLEN];
  if (want)
    {
      struct in_addr w;
      if (inet_pton (AF_INET, want, &w) != 1 || ntohl (w.s_addr) < first || ntohl (w.s_addr) > last)
        return capsa_fail_as (err, EINVAL, "network `%s`: address `%s` is not in subnet %s", name, want,
                              jstr (net, "subnet"));
      if (w.s_addr == gw.s_addr || leased (leases, "ip", want))
        return capsa_fail_as (err, EADDRINUSE, "network `%s`: address %s is in use", name, want);
      *out = w;
      return 0;
    }
  /* go on after the last address handed out, so that a released address is not reused at once */
  uint32_t start = first;
  json_int_t hint = json_integer_value (json_object_get (net, "next"));
  if (hint >= first && hint <= last)
    start = (uint32_t) hint;
  for (uint32_t i = 0; i <= last - first; i++)
    {
      uint32_t h = first + (start - first + i) % (last - first + 1);
      struct in_addr c = { htonl (h) };
      if (c.s_addr == gw.s_addr)
        continue;
      inet_ntop (AF_INET, &c, a, sizeof a);
      if (!leased (leases, "ip", a))
        {
          json_object_set_new (net, "next", json_integer (h == last ? first : h + 1));
          *out = c;
          return 0;
        }
    }
  return capsa_fail_as (err, ENOSPC, "network `%s`: no free address left in %s", name, jstr (net, "subnet"));
}

int
ipam_pick6 (json_t *net, const char *want, struct in6_addr *out, capsa_err **err)
{
  const char *name = jstr (net, "name"), *subnet = jstr (net, "subnet6");
  struct in6_addr base, gw = IN6ADDR_ANY_INIT, c;
  int prefix;
  if (ipam_parse_cidr6 (subnet, &base, &prefix, err) < 0)
    return -1;
  if (jstr (net, "gateway6"))
    inet_pton (AF_INET6, jstr (net, "gateway6"), &gw);
  json_t *leases = json_object_get (net, "leases");
  char a[INET6_ADDRSTRLEN];
  if (want)
    {
      /* the subnet-router anycast address (host part zero) is never handed out */
      if (inet_pton (AF_INET6, want, &c) != 1 || !ipam_in6_match (&c, &base, prefix)
          || memcmp (&c, &base, sizeof c) == 0)
        return capsa_fail_as (err, EINVAL, "network `%s`: address `%s` is not in subnet %s", name, want, subnet);
      inet_ntop (AF_INET6, &c, a, sizeof a); /* leases hold the canonical text */
      if (memcmp (&c, &gw, sizeof c) == 0 || leased (leases, "ip6", a))
        return capsa_fail_as (err, EADDRINUSE, "network `%s`: address %s is in use", name, a);
      *out = c;
      return 0;
    }
  /* host parts 1..last, as for IPv4: going on after the last one handed out */
  uint32_t last = 128 - prefix >= 32 ? 0xfffffffeu : (uint32_t) ((1ull << (128 - prefix)) - 1);
  uint32_t start = 1;
  json_int_t hint = json_integer_value (json_object_get (net, "next6"));
  if (hint >= 1 && hint <= last)
    start = (uint32_t) hint;
  for (uint32_t i = 0; i < last; i++)
    {
      uint32_t h = 1 + (start - 1 + i) % last;
      c = base;
      ipam_in6_add (&c, h);
      if (memcmp (&c, &gw, sizeof c) == 0)
        continue;
      inet_ntop (AF_INET6, &c, a, sizeof a);
      if (!leased (leases, "ip6", a))
        {
          json_object_set_new (net, "next6", json_integer (h == last ? 1 : h + 1));
          *out = c;
          return 0;
        }
    }
  return capsa_fail_as (err, ENOSPC, "network `%s`: no free address left in %s", name, subnet);
}

bool
ipam_lease_stale (json_t *lease)
{
  json_int_t pid = json_integer_value (json_object_get (lease, "pid"));
  if (pid <= 0)
    return false; /* attached by netns fd only: the caller detaches it */
  uint64_t start;
  char st;
  if (proc_stat_start ((pid_t) pid, &start, &st) < 0 || st == 'Z' || st == 'X')
    return true;
  return start != (uint64_t) json_integer_value (json_object_get (lease, "start"));
}

bool
ipam_overlap (const struct in_addr *a, int pa, const struct in_addr *b, int pb)
{
  int p = pa < pb ? pa : pb;
  uint32_t m = p ? ~0u << (32 - p) : 0;
  return (ntohl (a->s_addr) & m) == (ntohl (b->s_addr) & m);
}

/* Every "subnet": "CIDR" of a config file's text (CNI conflists nest them in ipam.ranges, netavark
 * in subnets[]: a text scan finds both); true when one overlaps net/prefix. */
static bool
text_subnet_clash (const char *text, const struct in_addr *net, int prefix)
{
  for (const char *p = strstr (text, "\"subnet\""); p; p = strstr (p + 1, "\"subnet\""))
    {
      const char *q = p + 8;
      while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r' || *q == ':')
        q++;
      const char *end = *q == '"' ? strchr (q + 1, '"') : NULL;
      if (end == NULL || end - q > 40)
        continue;
      cleanup_free char *cidr = strndup (q + 1, (size_t) (end - q - 1));
      cleanup_err capsa_err *e = NULL;
      struct in_addr b;
      int pb;
      if (ipam_parse_cidr (cidr, &b, &pb, &e) == 0 && ipam_overlap (net, prefix, &b, pb))
        return true;
    }
  return false;
}

static bool
dir_subnet_clash (const char *dirpath, const struct in_addr *net, int prefix, char *what, size_t len)
{
  cleanup_dir DIR *d = opendir (dirpath);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      size_t n = strlen (de->d_name);
      if (de->d_name[0] == '.'
          || !(has_suffix (de->d_name, n, ".conflist") || has_suffix (de->d_name, n, ".conf")
               || has_suffix (de->d_name, n, ".json")))
        continue;
      cleanup_free char *buf = NULL;
      cleanup_err capsa_err *e = NULL;
      if (read_file_at (dirfd (d), de->d_name, &buf, NULL, &e) == 0 && text_subnet_clash (buf, net, prefix))
        {
          snprintf (what, len, "%s/%s", dirpath, de->d_name);
          return true;
        }
    }
  return false;
}

bool
ipam_foreign_clash (const char *subnet, char *what, size_t len)
{
  cleanup_err capsa_err *e = NULL;
  struct in_addr net;
  int prefix;
  if (ipam_parse_cidr (subnet, &net, &prefix, &e) < 0)
    return false;
  /* CAPSA_FOREIGN_NET_DIRS (colon-separated) replaces the list: only ever more ranges to avoid */
  const char *env = capsa_host_env ()->foreign_net_dirs;
  cleanup_free char *dirs = xstrdup (env ? env : IPAM_FOREIGN_NET_DIRS);
  char *save = NULL;
  for (char *dp = strtok_r (dirs, ":", &save); dp; dp = strtok_r (NULL, ":", &save))
    if (dir_subnet_clash (dp, &net, prefix, what, len))
      return true;
  return false;
}
