/* The DNS servers of the user networks: see ctr_dns.h, and src/lib/net/dns_server.c for the
 * server itself and why it is podman's design.
 *
 * The server is a hidden subcommand of the front end that started it (`capsa __dns NETWORK`,
 * e->monitor_exe or this program, as the monitor's steps are), not a program of its own: it needs
 * the store as the front end resolved it (--root, the network state directory), and capsa starts
 * fast enough (it links no HTTP or TLS library) that a separate binary would only be one more to
 * install and find.  Its pidfile, ROOT/dns/NETWORK.pid, is flocked while it serves: never two for
 * one network, and "is one serving?" is a non-blocking lock attempt. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capsa/net.h"
#include "capsa/runtime.h"
#include "ctr_dns.h"
#include "util.h"

#define DNS_REPORT_FD 3
#define DNS_READY_TIMEOUT_MS 5000

static char *
dns_pidfile (struct capsa_engine *e, const char *network)
{
  return xasprintf ("%s/dns/%s.pid", e->root, network);
}

/* Does a server hold the pidfile's lock? */
static bool
dns_serving (const char *pidfile)
{
  cleanup_close int fd = open (pidfile, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  if (flock (fd, LOCK_EX | LOCK_NB) == 0)
    return false; /* (released with fd) */
  return errno == EWOULDBLOCK;
}

/* The grandchild: its own session, fd 3 the report pipe, nothing else of ours. */
static void __attribute__ ((noreturn)) dns_exec (const char *exe, char **argv, int report)
{
  setsid ();
  if (fork () != 0)
    _exit (0);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null < 0 || dup2 (report, DNS_REPORT_FD) < 0 || dup2 (null, 0) < 0 || dup2 (null, 1) < 0 || dup2 (null, 2) < 0)
    _exit (127);
  close_range (DNS_REPORT_FD + 1, ~0U, 0); /* a monitor's report socket, a container's pipes */
  if (chdir ("/") < 0)                     /* (not pinning the caller's directory: a mount there must stay removable) */
    _exit (127);
  execv (exe, argv);
  _exit (127);
}

/* The server's report: "0", or "ERRNO message"; nothing when it died. */
static int
dns_wait_ready (int fd, const char *network, capsa_err **err)
{
  char buf[1024];
  size_t len = 0;
  struct pollfd pf = { .fd = fd, .events = POLLIN };
  while (len < sizeof buf - 1)
    {
      int r = poll (&pf, 1, DNS_READY_TIMEOUT_MS);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return capsa_fail_as (err, ETIMEDOUT, "network `%s`: its DNS server did not report in %d s", network,
                              DNS_READY_TIMEOUT_MS / 1000);
      ssize_t n = read (fd, buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (size_t) n;
    }
  buf[len] = '\0';
  int code = -1, off = 0;
  if (len == 0 || sscanf (buf, "%d %n", &code, &off) < 1)
    return capsa_fail_as (err, EIO, "network `%s`: its DNS server (`capsa __dns %s`) died before it served", network,
                          network);
  if (code != 0)
    return capsa_fail_as (err, code, "%s", buf + off);
  return 0;
}

int
ctr_dns_ensure (struct capsa_engine *e, const char *network, capsa_err **err)
{
  if (network == NULL || strcmp (network, CAPSA_NET_DEFAULT) == 0)
    return 0;
  cleanup_free char *dir = xasprintf ("%s/dns", e->root), *pidfile = dns_pidfile (e, network), *exe = NULL;
  if (mkdir_p (dir, 0755, err) < 0)
    return -1;
  if (dns_serving (pidfile))
    return 0;
  if (e->monitor_exe)
    exe = xstrdup (e->monitor_exe);
  else if (capsa_exe_path (&exe, err) < 0)
    return -1;
  char *argv[] = { exe, (char *) "--root", (char *) e->root, (char *) "__dns", (char *) network, NULL };
  int rep[2];
  if (pipe2 (rep, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  if (pid == 0)
    dns_exec (exe, argv, rep[1]);
  close (rep[1]);
  cleanup_close int r = rep[0];
  if (pid < 0)
    return capsa_fail (err, errno, "fork the DNS server of network `%s`", network);
  waitpid (pid, NULL, 0);
  return dns_wait_ready (r, network, err);
}

int
capsa_engine_dns_main (struct capsa_engine *e, const char *network, const char *resolv_conf, capsa_err **err)
{
  cleanup_free char *dir = NULL, *sdir = NULL, *pidfile = dns_pidfile (e, network);
  dir = xasprintf ("%s/dns", e->root);
  if (mkdir_p (dir, 0755, err) < 0)
    return -1;
  struct capsa_netenv env = capsa_engine_netenv (e, &sdir);
  struct capsa_dns_opts o = { .network = network,
                              .pidfile = pidfile,
                              .resolv_conf = resolv_conf,
                              .ready_fd = fcntl (DNS_REPORT_FD, F_GETFD) >= 0 ? DNS_REPORT_FD : -1 };
  return capsa_net_dns_serve (&env, &o, err);
}
