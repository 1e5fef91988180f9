/* The capsa nftables table: see nat.h. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <nftables/libnftables.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nat.h"
#include "strbuf.h"
#include "util.h"

/* A published port's DNAT rules in the ports chain. */
static void
port_rules (struct strbuf *b, const struct nat_port *p)
{
  /* a host address publishes on its family only (0.0.0.0 and ::, on every address of it); none, on
   * both (IPv6 when the container has it) */
  bool none = p->host_ip == NULL || *p->host_ip == '\0', v6_host = !none && strchr (p->host_ip, ':');
  bool any = none || strcmp (p->host_ip, "0.0.0.0") == 0 || strcmp (p->host_ip, "::") == 0;
  if (p->ctr_ip && !v6_host)
    {
      strbuf_printf (b, "    ");
      if (!any)
        strbuf_printf (b, "ip daddr %s ", p->host_ip);
      strbuf_printf (b, "%s dport %d dnat ip to %s:%d\n", p->proto, p->host_port, p->ctr_ip, p->ctr_port);
    }
  if (p->ctr_ip6 && (none || v6_host))
    {
      strbuf_printf (b, "    ");
      if (!any)
        strbuf_printf (b, "ip6 daddr %s ", p->host_ip);
      strbuf_printf (b, "%s dport %d dnat ip6 to [%s]:%d\n", p->proto, p->host_port, p->ctr_ip6, p->ctr_port);
    }
}

/* A network's rules in the postrouting chain: out to the world (unless internal), and hairpin. */
static void
masquerade_rules (struct strbuf *b, const struct nat_net *n)
{
  if (!n->internal)
    strbuf_printf (b, "    ip saddr %s oifname != @bridges masquerade\n", n->subnet);
  /* hairpin: a container reaching a published port of its own network through the host */
  strbuf_printf (b, "    ct status dnat ip saddr %s oifname \"%s\" masquerade\n", n->subnet, n->bridge);
  if (n->subnet6 == NULL)
    return;
  if (!n->internal)
    strbuf_printf (b, "    ip6 saddr %s oifname != @bridges masquerade\n", n->subnet6);
  strbuf_printf (b, "    ct status dnat ip6 saddr %s oifname \"%s\" masquerade\n", n->subnet6, n->bridge);
}

char *
nat_ruleset (const char *table, const struct nat_net *nets, size_t nnets, const struct nat_port *ports, size_t nports)
{
  struct strbuf b = { 0 };
  /* "table" first so that "delete" always finds one: the three lines are one transaction */
  strbuf_printf (&b, "table inet %s\ndelete table inet %s\n", table, table);
  if (nnets == 0)
    return b.buf;
  strbuf_printf (&b, "table inet %s {\n", table);
  strbuf_printf (&b, "  set bridges {\n    type ifname\n    elements = { ");
  for (size_t i = 0; i < nnets; i++)
    strbuf_printf (&b, "%s\"%s\"", i ? ", " : "", nets[i].bridge);
  strbuf_printf (&b, " }\n  }\n");
  /* published ports: from outside and hairpin (prerouting), from the host itself (output) */
  strbuf_printf (&b, "  chain ports {\n");
  for (size_t i = 0; i < nports; i++)
    port_rules (&b, &ports[i]);
  strbuf_printf (&b, "  }\n");
  strbuf_printf (&b, "  chain prerouting {\n    type nat hook prerouting priority dstnat; policy accept;\n"
                     "    fib daddr type local jump ports\n  }\n");
  strbuf_printf (&b, "  chain output {\n    type nat hook output priority -100; policy accept;\n"
                     "    fib daddr type local jump ports\n  }\n");
  strbuf_printf (&b, "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n");
  for (size_t i = 0; i < nnets; i++)
    masquerade_rules (&b, &nets[i]);
  /* the host's own localhost:PORT, DNATed in output (route_localnet is set on the bridges) */
  strbuf_printf (&b, "    ip saddr 127.0.0.0/8 oifname @bridges masquerade\n  }\n");
  /* networks isolated from each other (interfaces, not addresses: both families) */
  strbuf_printf (&b, "  chain forward {\n    type filter hook forward priority filter; policy accept;\n");
  for (size_t i = 0; i < nnets; i++)
    strbuf_printf (&b, "    iifname \"%s\" oifname @bridges oifname != \"%s\" drop\n", nets[i].bridge, nets[i].bridge);
  strbuf_printf (&b, "  }\n}\n");
  return b.buf;
}

/* libnftables, loaded on first use (dlopen): linked, it and what it needs (libnftnl, libxtables,
 * libgmp) would be loaded by every start of every capsa program, and most never touch the NAT
 * table.  The header still gives the types. */
static struct
{
  __typeof__ (nft_ctx_new) *ctx_new;
  __typeof__ (nft_ctx_free) *ctx_free;
  __typeof__ (nft_ctx_buffer_output) *buffer_output;
  __typeof__ (nft_ctx_buffer_error) *buffer_error;
  __typeof__ (nft_ctx_get_error_buffer) *get_error_buffer;
  __typeof__ (nft_run_cmd_from_buffer) *run_cmd_from_buffer;
} nft;

#define NFT_SONAME "libnftables.so.1"

static int
nft_load (capsa_err **err)
{
  static const struct
  {
    const char *name;
    size_t offset;
  } syms[] = {
    { "nft_ctx_new", offsetof (__typeof__ (nft), ctx_new) },
    { "nft_ctx_free", offsetof (__typeof__ (nft), ctx_free) },
    { "nft_ctx_buffer_output", offsetof (__typeof__ (nft), buffer_output) },
    { "nft_ctx_buffer_error", offsetof (__typeof__ (nft), buffer_error) },
    { "nft_ctx_get_error_buffer", offsetof (__typeof__ (nft), get_error_buffer) },
    { "nft_run_cmd_from_buffer", offsetof (__typeof__ (nft), run_cmd_from_buffer) },
  };
  static void *lib;

  if (lib)
    return 0;
  void *h = dlopen (NFT_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return capsa_fail_as (err, ENOENT, "nftables: cannot load %s (is libnftables1 installed?): %s", NFT_SONAME,
                          dlerror ());
  for (size_t i = 0; i < ARRAY_SIZE (syms); i++)
    {
      void *f = dlsym (h, syms[i].name);
      if (f == NULL)
        {
          capsa_fail_as (err, ENOSYS, "nftables: %s has no %s: %s", NFT_SONAME, syms[i].name, dlerror ());
          dlclose (h);
          return -1;
        }
      memcpy ((char *) &nft + syms[i].offset, &f, sizeof f);
    }
  lib = h;
  return 0;
}

int
nat_apply (const char *table, const struct nat_net *nets, size_t nnets, const struct nat_port *ports, size_t nports,
           capsa_err **err)
{
  if (nft_load (err) < 0)
    return -1;
  cleanup_free char *rules = nat_ruleset (table, nets, nnets, ports, nports);
  struct nft_ctx *ctx = nft.ctx_new (NFT_CTX_DEFAULT);
  if (ctx == NULL)
    return capsa_fail (err, ENOMEM, "nftables: create context");
  nft.buffer_output (ctx);
  nft.buffer_error (ctx);
  int r = nft.run_cmd_from_buffer (ctx, rules);
  if (r != 0)
    {
      const char *msg = nft.get_error_buffer (ctx);
      cleanup_free char *m = xstrdup (msg && *msg ? msg : "failed");
      size_t n = strlen (m);
      while (n && m[n - 1] == '\n')
        m[--n] = '\0';
      nft.ctx_free (ctx);
      return capsa_fail_as (err, EINVAL, "nftables: load table inet %s: %s", table, m);
    }
  nft.ctx_free (ctx);
  return 0;
}

int
nat_sysctl (const char *path, const char *value, char *old, capsa_err **err)
{
  cleanup_free char *full = xasprintf ("/proc/sys/%s", path);
  cleanup_close int fd = open (full, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open %s", full);
  if (old)
    {
      char c = 0;
      if (pread (fd, &c, 1, 0) < 0)
        return capsa_fail (err, errno, "read %s", full);
      *old = c;
    }
  if (write (fd, value, strlen (value)) < 0)
    return capsa_fail (err, errno, "write %s", full);
  return 0;
}
