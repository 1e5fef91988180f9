/* rtnetlink over libmnl: see netlink.h. */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netlink.h"
#include "util.h"

struct nl_sock
{
  struct mnl_socket *s;
  unsigned portid;
  unsigned seq;
};

/* A netlink socket of `proto` (NETLINK_ROUTE: "rtnetlink", NETLINK_NETFILTER: "nfnetlink"). */
static int
nl_bind (int proto, const char *what, struct nl_sock **out, capsa_err **err)
{
  struct mnl_socket *ms = mnl_socket_open2 (proto, SOCK_CLOEXEC);
  if (ms == NULL)
    return capsa_fail (err, errno, "open %s socket", what);
  if (mnl_socket_bind (ms, 0, MNL_SOCKET_AUTOPID) < 0)
    {
      int e = errno;
      mnl_socket_close (ms);
      return capsa_fail (err, e, "bind %s socket", what);
    }
  struct nl_sock *s = xmalloc0 (sizeof *s);
  s->s = ms;
  s->portid = mnl_socket_get_portid (ms);
  s->seq = (unsigned) time (NULL);
  *out = s;
  return 0;
}

int
nl_open (struct nl_sock **out, capsa_err **err)
{
  return nl_bind (NETLINK_ROUTE, "rtnetlink", out, err);
}

int
nl_open_in_netns (int netns_fd, struct nl_sock **out, capsa_err **err)
{
  /* setns() changes only the calling thread; the socket keeps the namespace it was made in. */
  cleanup_close int self = open ("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return capsa_fail (err, errno, "open /proc/thread-self/ns/net");
  if (setns (netns_fd, CLONE_NEWNET) < 0)
    return capsa_fail (err, errno, "enter the container's network namespace");
  int r = nl_bind (NETLINK_ROUTE, "rtnetlink", out, err);
  if (setns (self, CLONE_NEWNET) < 0)
    abort (); /* cannot happen with the fd we opened; going on in the wrong namespace would be worse */
  return r;
}

void
nl_close (struct nl_sock **s)
{
  if (*s)
    {
      mnl_socket_close ((*s)->s);
      free (*s);
      *s = NULL;
    }
}

/* Send a request and read replies until the ACK (or the end of a dump).  cb (may be NULL) gets
 * each data message.  Returns 0, or -1 with errno = the kernel's error. */
static int
nl_talk (struct nl_sock *s, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlh->nlmsg_seq = ++s->seq;
  nlh->nlmsg_flags |= NLM_F_ACK;
  if (mnl_socket_sendto (s->s, nlh, nlh->nlmsg_len) < 0)
    return -1;
  for (;;)
    {
      ssize_t n = mnl_socket_recvfrom (s->s, buf, sizeof buf);
      if (n < 0)
        return -1;
      int r = mnl_cb_run (buf, (size_t) n, s->seq, s->portid, cb, data);
      if (r <= MNL_CB_STOP)
        return r < 0 ? -1 : 0;
    }
}

/* A request of type (NLM_F_REQUEST | flags) in buf with a zeroed family header of hdr_len bytes. */
static struct nlmsghdr *
request_msg (char *buf, int type, int flags, size_t hdr_len, void **hdr)
{
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = (uint16_t) type;
  nlh->nlmsg_flags = (uint16_t) (NLM_F_REQUEST | flags);
  *hdr = mnl_nlmsg_put_extra_header (nlh, hdr_len);
  return nlh;
}

static struct nlmsghdr *
link_msg (char *buf, int type, int flags, struct ifinfomsg **ifm)
{
  void *hdr;
  struct nlmsghdr *nlh = request_msg (buf, type, flags, sizeof **ifm, &hdr);
  *ifm = hdr;
  (*ifm)->ifi_family = AF_UNSPEC;
  return nlh;
}

struct link_info
{
  int index;
  unsigned char mac[6];
  bool has_mac;
};

static int
link_info_cb (const struct nlmsghdr *nlh, void *data)
{
  struct link_info *li = data;
  struct ifinfomsg *ifm = mnl_nlmsg_get_payload (nlh);
  struct nlattr *a;
  li->index = ifm->ifi_index;
  mnl_attr_for_each (a, nlh,
                     sizeof *ifm) if (mnl_attr_get_type (a) == IFLA_ADDRESS && mnl_attr_get_payload_len (a) == 6)
  {
    memcpy (li->mac, mnl_attr_get_payload (a), 6);
    li->has_mac = true;
  }
  return MNL_CB_OK;
}

static int
link_get (struct nl_sock *s, const char *name, struct link_info *li)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_GETLINK, 0, &ifm);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  memset (li, 0, sizeof *li);
  return nl_talk (s, nlh, link_info_cb, li);
}

int
nl_link_index (struct nl_sock *s, const char *name, capsa_err **err)
{
  struct link_info li;
  if (link_get (s, name, &li) < 0)
    {
      if (errno == ENODEV)
        return 0;
      return capsa_fail (err, errno, "look up link `%s`", name);
    }
  return li.index;
}

int
nl_link_mac (struct nl_sock *s, const char *name, char *buf, size_t len, capsa_err **err)
{
  struct link_info li;
  if (link_get (s, name, &li) < 0)
    return capsa_fail (err, errno, "look up link `%s`", name);
  snprintf (buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", li.mac[0], li.mac[1], li.mac[2], li.mac[3], li.mac[4],
            li.mac[5]);
  return 0;
}

/* A link's IFLA_IFNAME, and its IFLA_MTU when mtu > 0. */
static void
put_name_mtu (struct nlmsghdr *nlh, const char *name, int mtu)
{
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (mtu > 0)
    mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
}

/* An RTM_NEWLINK request in buf (MNL_SOCKET_BUFFER_SIZE) that creates link `name` of kind `kind`;
 * its IFLA_LINKINFO nest is left open (*linkinfo) for the kind's data. */
static struct nlmsghdr *
new_link_msg (char *buf, const char *name, int mtu, const char *kind, struct nlattr **linkinfo)
{
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &ifm);
  put_name_mtu (nlh, name, mtu);
  *linkinfo = mnl_attr_nest_start (nlh, IFLA_LINKINFO);
  mnl_attr_put_strz (nlh, IFLA_INFO_KIND, kind);
  return nlh;
}

int
nl_bridge_create (struct nl_sock *s, const char *name, int mtu, bool exist_ok, capsa_err **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlattr *li;
  struct nlmsghdr *nlh = new_link_msg (buf, name, mtu, "bridge", &li);
  mnl_attr_nest_end (nlh, li);
  if (nl_talk (s, nlh, NULL, NULL) < 0 && !(exist_ok && errno == EEXIST))
    return capsa_fail (err, errno, "create bridge `%s`", name);
  return 0;
}

int
nl_veth_create (struct nl_sock *s, const char *host, const char *peer, int netns_fd, int mtu, capsa_err **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlattr *li;
  struct nlmsghdr *nlh = new_link_msg (buf, host, mtu, "veth", &li);
  struct nlattr *data = mnl_attr_nest_start (nlh, IFLA_INFO_DATA);
  struct nlattr *p = mnl_attr_nest_start (nlh, VETH_INFO_PEER);
  struct ifinfomsg *pifm = mnl_nlmsg_put_extra_header (nlh, sizeof *pifm);
  pifm->ifi_family = AF_UNSPEC;
  put_name_mtu (nlh, peer, mtu);
  if (netns_fd >= 0)
    mnl_attr_put_u32 (nlh, IFLA_NET_NS_FD, (uint32_t) netns_fd);
  mnl_attr_nest_end (nlh, p);
  mnl_attr_nest_end (nlh, data);
  mnl_attr_nest_end (nlh, li);
  if (nl_talk (s, nlh, NULL, NULL) < 0)
    return capsa_fail (err, errno, "create veth pair `%s`/`%s`", host, peer);
  return 0;
}

int
nl_link_del (struct nl_sock *s, const char *name, bool missing_ok, capsa_err **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_DELLINK, 0, &ifm);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (nl_talk (s, nlh, NULL, NULL) < 0 && !(missing_ok && errno == ENODEV))
    return capsa_fail (err, errno, "delete link `%s`", name);
  return 0;
}

/* The detached deleter: only system calls (a fork of a process that may have threads: _Fork, not
 * fork, which runs the atfork handlers), no fd of the caller's kept (a lock, a pipe someone waits
 * on), and nothing to wait for. */
static void __attribute__ ((noreturn)) link_del_child (const struct nlmsghdr *nlh)
{
  if (_Fork () == 0)
    {
      close_range (0, ~0U, 0);
      int fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
      if (fd >= 0)
        sendto (fd, nlh, nlh->nlmsg_len, 0, (const struct sockaddr *) &kernel, sizeof kernel);
    }
  _exit (0);
}

int
nl_link_del_detached (struct nl_sock *s, const char *name, capsa_err **err)
{
  int index = nl_link_index (s, name, err);
  if (index <= 0)
    return index;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_DELLINK, 0, &ifm);
  ifm->ifi_index = index;
  pid_t a = fork ();
  if (a < 0)
    return nl_link_del (s, name, true, err);
  if (a == 0)
    link_del_child (nlh);
  while (waitpid (a, NULL, 0) < 0 && errno == EINTR)
    ;
  return 0;
}

int
nl_link_set (struct nl_sock *s, const char *name, const char *new_name, const char *master, int mtu, bool up,
             capsa_err **err)
{
  int master_index = 0;
  if (master)
    {
      master_index = nl_link_index (s, master, err);
      if (master_index < 0)
        return -1;
      if (master_index == 0)
        return capsa_fail (err, ENODEV, "set master of `%s` to `%s`", name, master);
    }
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_NEWLINK, 0, &ifm);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  if (new_name)
    {
      /* a rename needs the link by index, IFLA_IFNAME then carries the new name */
      int idx = nl_link_index (s, name, err);
      if (idx <= 0)
        return idx < 0 ? -1 : capsa_fail (err, ENODEV, "rename link `%s`", name);
      nlh = link_msg (buf, RTM_NEWLINK, 0, &ifm);
      ifm->ifi_index = idx;
      mnl_attr_put_strz (nlh, IFLA_IFNAME, new_name);
    }
  if (master_index > 0)
    mnl_attr_put_u32 (nlh, IFLA_MASTER, (uint32_t) master_index);
  if (mtu > 0)
    mnl_attr_put_u32 (nlh, IFLA_MTU, (uint32_t) mtu);
  if (up)
    {
      ifm->ifi_change = IFF_UP;
      ifm->ifi_flags = IFF_UP;
    }
  if (nl_talk (s, nlh, NULL, NULL) < 0)
    return capsa_fail (err, errno, "configure link `%s`", name);
  return 0;
}

int
nl_link_set_mac (struct nl_sock *s, const char *name, const unsigned char mac[6], capsa_err **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct ifinfomsg *ifm;
  struct nlmsghdr *nlh = link_msg (buf, RTM_NEWLINK, 0, &ifm);
  mnl_attr_put_strz (nlh, IFLA_IFNAME, name);
  mnl_attr_put (nlh, IFLA_ADDRESS, 6, mac);
  if (nl_talk (s, nlh, NULL, NULL) < 0)
    return capsa_fail (err, errno, "set the MAC address of link `%s`", name);
  return 0;
}

/* RTM_NEWADDR for AF_INET (addr: struct in_addr) or AF_INET6 (struct in6_addr) */
static int
addr_add (struct nl_sock *s, const char *ifname, int af, const void *addr, int prefixlen, bool exist_ok,
          capsa_err **err)
{
  int idx = nl_link_index (s, ifname, err);
  if (idx <= 0)
    return idx < 0 ? -1 : capsa_fail (err, ENODEV, "add address to `%s`", ifname);
  char buf[MNL_SOCKET_BUFFER_SIZE];
  void *hdr;
  struct nlmsghdr *nlh = request_msg (buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof (struct ifaddrmsg), &hdr);
  struct ifaddrmsg *ifa = hdr;
  ifa->ifa_family = (unsigned char) af;
  ifa->ifa_prefixlen = (unsigned char) prefixlen;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned) idx;
  size_t alen = af == AF_INET ? sizeof (struct in_addr) : sizeof (struct in6_addr);
  mnl_attr_put (nlh, IFA_LOCAL, alen, addr);
  mnl_attr_put (nlh, IFA_ADDRESS, alen, addr);
  if (af == AF_INET && prefixlen < 31)
    {
      uint32_t a = ((const struct in_addr *) addr)->s_addr;
      uint32_t mask = prefixlen ? htonl (~0u << (32 - prefixlen)) : 0;
      mnl_attr_put_u32 (nlh, IFA_BROADCAST, a | ~mask);
    }
  /* no duplicate address detection: the IPAM made the address unique, and a tentative address
   * could not be used (bound, routed from) for the second DAD takes */
  if (af == AF_INET6)
    {
      ifa->ifa_flags = IFA_F_NODAD;
      mnl_attr_put_u32 (nlh, IFA_FLAGS, IFA_F_NODAD);
    }
  if (nl_talk (s, nlh, NULL, NULL) < 0 && !(exist_ok && errno == EEXIST))
    {
      int e = errno;
      char a[INET6_ADDRSTRLEN];
      inet_ntop (af, addr, a, sizeof a);
      return capsa_fail (err, e, "add address %s/%d to `%s`", a, prefixlen, ifname);
    }
  return 0;
}

int
nl_addr_add (struct nl_sock *s, const char *ifname, struct in_addr addr, int prefixlen, bool exist_ok, capsa_err **err)
{
  return addr_add (s, ifname, AF_INET, &addr, prefixlen, exist_ok, err);
}

int
nl_addr6_add (struct nl_sock *s, const char *ifname, const struct in6_addr *addr, int prefixlen, bool exist_ok,
              capsa_err **err)
{
  return addr_add (s, ifname, AF_INET6, addr, prefixlen, exist_ok, err);
}

static int
route_default (struct nl_sock *s, int af, const void *gw, capsa_err **err)
{
  char buf[MNL_SOCKET_BUFFER_SIZE];
  void *hdr;
  struct nlmsghdr *nlh = request_msg (buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof (struct rtmsg), &hdr);
  struct rtmsg *rtm = hdr;
  rtm->rtm_family = (unsigned char) af;
  rtm->rtm_dst_len = 0;
  rtm->rtm_table = RT_TABLE_MAIN;
  rtm->rtm_protocol = RTPROT_BOOT;
  rtm->rtm_scope = RT_SCOPE_UNIVERSE;
  rtm->rtm_type = RTN_UNICAST;
  mnl_attr_put (nlh, RTA_GATEWAY, af == AF_INET ? sizeof (struct in_addr) : sizeof (struct in6_addr), gw);
  if (nl_talk (s, nlh, NULL, NULL) < 0)
    return capsa_fail (err, errno, "add %s default route", af == AF_INET ? "IPv4" : "IPv6");
  return 0;
}

int
nl_route_default (struct nl_sock *s, struct in_addr gw, capsa_err **err)
{
  return route_default (s, AF_INET, &gw, err);
}

int
nl_route6_default (struct nl_sock *s, const struct in6_addr *gw, capsa_err **err)
{
  return route_default (s, AF_INET6, gw, err);
}

int
nl_nft_table_exists (const char *name, capsa_err **err)
{
  struct nl_sock *s;
  if (nl_bind (NETLINK_NETFILTER, "nfnetlink", &s, err) < 0)
    return -1;
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = mnl_nlmsg_put_header (buf);
  nlh->nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header (nlh, sizeof *nfg);
  nfg->nfgen_family = NFPROTO_INET;
  nfg->version = NFNETLINK_V0;
  mnl_attr_put_strz (nlh, NFTA_TABLE_NAME, name);
  int r = nl_talk (s, nlh, NULL, NULL);
  int e = errno;
  nl_close (&s);
  if (r == 0)
    return 1;
  if (e == ENOENT)
    return 0;
  return capsa_fail (err, e, "look up nftables table inet %s", name);
}
