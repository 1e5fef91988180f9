/* slirp4netns, started, fed ports and stopped: see slirp.h. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "hostenv.h"
#include "slirp.h"
#include "util.h"

#define SOCK_NAME "slirp4netns.sock"
#define LOG_NAME "slirp4netns.log"
#define PID_NAME "slirp4netns.pid"
#define ENV_KEY "CAPSA_SLIRP_DIR="

extern char **environ;

/* fds as slirp4netns sees them (set up between fork and exec) */
enum
{
  CHILD_EXIT_FD = 3,
  CHILD_READY_FD,
  CHILD_NETNS_FD,
  CHILD_USERNS_FD,
};

static int
pidfd_open_ (pid_t pid)
{
  return (int) syscall (SYS_pidfd_open, pid, 0);
}

static int
pidfd_kill (int pidfd, int sig)
{
  return (int) syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Wait up to ms for the process behind pidfd to exit; true when it has. */
static bool
pidfd_wait (int pidfd, int ms)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int n;
  while ((n = poll (&p, 1, ms)) < 0 && errno == EINTR)
    ;
  return n > 0;
}

int
capsa_slirp_addresses (const char *cidr, struct capsa_slirp_addrs *out, capsa_err **err)
{
  const char *c = cidr ? cidr : CAPSA_SLIRP_DEFAULT_CIDR;
  char ip[INET_ADDRSTRLEN];
  const char *slash = strchr (c, '/');
  int64_t prefix;
  struct in_addr a;
  if (slash == NULL || (size_t) (slash - c) >= sizeof ip || parse_i64 (slash + 1, 1, 25, &prefix) < 0)
    return capsa_fail_as (err, EINVAL,
                          "cidr `%s`: expected an IPv4 network with a prefix of 1 to 25 bits "
                          "(10.0.2.0/24)",
                          c);
  memcpy (ip, c, (size_t) (slash - c));
  ip[slash - c] = '\0';
  if (inet_pton (AF_INET, ip, &a) != 1)
    return capsa_fail_as (err, EINVAL, "cidr `%s`: `%s` is not an IPv4 address", c, ip);
  uint32_t net = ntohl (a.s_addr) & (0xffffffffu << (32 - prefix));
  struct
  {
    char *buf;
    uint32_t off;
  } want[] = { { out->guest, 100 }, { out->gateway, 2 }, { out->dns, 3 } };
  for (size_t i = 0; i < ARRAY_SIZE (want); i++)
    {
      struct in_addr x = { .s_addr = htonl (net + want[i].off) };
      inet_ntop (AF_INET, &x, want[i].buf, INET_ADDRSTRLEN);
    }
  out->prefixlen = (int) prefix;
  return 0;
}

/* The binary: o->binary, $CAPSA_SLIRP4NETNS, or the first slirp4netns on $PATH. */
static char *
find_binary (const struct capsa_slirp_opts *o, capsa_err **err)
{
  const char *b = o->binary ? o->binary : capsa_host_env ()->slirp4netns;
  if (b && *b)
    {
      if (access (b, X_OK) == 0)
        return xstrdup (b);
      capsa_fail (err, errno, "slirp4netns `%s`", b);
      return NULL;
    }
  const char *path = capsa_host_env ()->path;
  if (path == NULL || *path == '\0')
    path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  cleanup_free char *dirs = xstrdup (path);
  char *save = NULL;
  for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
    {
      char *p = xasprintf ("%s/slirp4netns", d);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  capsa_fail_as (err, ENOENT, "slirp4netns is not installed (Debian: `apt-get install slirp4netns`)");
  return NULL;
}

bool
capsa_slirp_usable (void)
{
  struct capsa_slirp_opts o = { 0 };
  cleanup_err capsa_err *err = NULL;
  cleanup_free char *b = find_binary (&o, &err);
  return b != NULL && access ("/dev/net/tun", R_OK | W_OK) == 0;
}

/* Which of --enable-sandbox and --enable-seccomp the binary knows (from its --help, as podman
 * does: both came in 0.4, and a build without libseccomp lacks the second). */
static void
probe_features (const char *bin, bool *sandbox, bool *seccomp)
{
  *sandbox = *seccomp = false;
  int p[2];
  if (pipe2 (p, O_CLOEXEC) < 0)
    return;
  char *const argv[] = { (char *) bin, (char *) "--help", NULL };
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (p[1], 1);
      dup2 (p[1], 2);
      execve (bin, argv, environ);
      _exit (127);
    }
  close (p[1]);
  char buf[8192];
  size_t len = 0;
  ssize_t n;
  while (pid > 0 && len < sizeof buf - 1
         && ((n = read (p[0], buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      len += (size_t) n;
  buf[len] = '\0';
  close (p[0]);
  if (pid > 0)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
  *sandbox = strstr (buf, "--enable-sandbox") != NULL;
  *seccomp = strstr (buf, "--enable-seccomp") != NULL;
}

/* The owner of the network namespace when slirp4netns must join it first: the namespace
 * belongs to a user namespace that is not ours and we are not root (rootless: only inside that
 * user namespace do we have the rights to make a tap device there).  -1: no need. */
static int
userns_to_join (int netns_fd, capsa_err **err)
{
  if (geteuid () == 0)
    return 0;
  int u = ioctl (netns_fd, NS_GET_USERNS);
  if (u < 0)
    return errno == EPERM ? 0 : capsa_fail (err, errno, "find the user namespace of the network namespace");
  struct stat theirs, ours;
  if (fstat (u, &theirs) < 0 || stat ("/proc/self/ns/user", &ours) < 0)
    {
      int e = errno;
      close (u);
      return capsa_fail (err, e, "stat the user namespaces");
    }
  if (theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino)
    {
      close (u);
      return 0;
    }
  return u;
}

/* slirp4netns's reason when it failed: the line before its "child failed(N)" or "parent failed"
 * (warnings skipped; perror's "what: why"), else its first line. */
static char *
log_reason (int dirfd)
{
  cleanup_free char *log = NULL;
  if (read_file_at (dirfd, LOG_NAME, &log, NULL, NULL) < 0)
    return xstrdup ("(no output)");
  const char *first = NULL, *prev = NULL;
  for (char *save = NULL, *l = strtok_r (log, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      if (strncmp (l, "WARNING", 7) == 0)
        continue;
      if ((strstr (l, "child failed") || strcmp (l, "parent failed") == 0) && prev)
        return xstrdup (prev);
      first = first ? first : l;
      prev = l;
    }
  return xstrdup (first ? first : "(no output)");
}

static char **
child_env (const char *state_dir)
{
  size_t n = 0;
  for (char **e = environ; *e; e++)
    n++;
  char **env = xmalloc0 ((n + 2) * sizeof *env);
  size_t k = 0;
  for (char **e = environ; *e; e++)
    if (strncmp (*e, ENV_KEY, strlen (ENV_KEY)) != 0)
      env[k++] = *e;
  env[k] = xasprintf (ENV_KEY "%s", state_dir);
  return env;
}

/* Between fork and exec: only async-signal-safe calls.  Every fd given is >= 10 (moved there
 * before the fork), so the dup2s onto 0..6 never clobber one another. */
static void __attribute__ ((noreturn))
child_exec (const char *bin, char **argv, char **envp, int dirfd, int null, int log, const int fds[4])
{
  sigset_t all;
  sigfillset (&all);
  sigprocmask (SIG_UNBLOCK, &all, NULL);
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  setsid (); /* out of the caller's process group: a ^C there is the container's, not slirp's */
  if (fchdir (dirfd) < 0 || dup2 (null, 0) < 0 || dup2 (log, 1) < 0 || dup2 (log, 2) < 0)
    _exit (127);
  for (int i = 0; i < 4; i++)
    if (fds[i] >= 0 && dup2 (fds[i], CHILD_EXIT_FD + i) < 0)
      _exit (127);
  syscall (SYS_close_range, CHILD_EXIT_FD + 4, ~0U, 0);
  execve (bin, argv, envp);
  _exit (127);
}

static int
high_fd (int fd)
{
  int h = fd < 0 ? -1 : fcntl (fd, F_DUPFD_CLOEXEC, 10);
  if (fd >= 0)
    close (fd);
  return h;
}

static int
write_pidfile (int dirfd, pid_t pid, capsa_err **err)
{
  uint64_t start = 0;
  if (proc_stat_start (pid, &start, NULL) < 0)
    return capsa_fail_as (err, ESRCH, "slirp4netns (pid %d) is gone", (int) pid);
  char buf[64];
  int n = snprintf (buf, sizeof buf, "%d %llu\n", (int) pid, (unsigned long long) start);
  return write_file_replace_at (dirfd, PID_NAME, buf, (size_t) n, 0644, err);
}

/* Wait for "1" on the ready pipe, the process's exit, or the timeout. */
static int
wait_ready (int ready, int pidfd, int timeout_ms, int dirfd, capsa_err **err)
{
  for (;;)
    {
      struct pollfd p = { .fd = ready, .events = POLLIN };
      int n = poll (&p, 1, timeout_ms);
      if (n < 0 && errno == EINTR)
        continue;
      if (n == 0)
        return capsa_fail_as (err, ETIMEDOUT, "slirp4netns was not ready after %d ms", timeout_ms);
      char c;
      ssize_t r = read (ready, &c, 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r == 1 && c == '1')
        return 0;
      /* EOF: it exited without configuring the namespace */
      pidfd_wait (pidfd, 1000);
      cleanup_free char *why = log_reason (dirfd);
      return capsa_fail_as (err, EIO, "slirp4netns failed: %s%s", why,
                            strstr (why, "/dev/net/tun") && geteuid () != 0
                                ? " (unprivileged users need /dev/net/tun read-write: mode 0666, Debian's default)"
                                : "");
    }
}

/* The user namespace slirp4netns joins: o's, or the owner of the netns when it is not ours
 * (*userns -1: none to join). */
static int
open_userns (const struct capsa_slirp_opts *o, int netns, int *userns, capsa_err **err)
{
  if (o->userns_path)
    {
      *userns = open (o->userns_path, O_RDONLY | O_CLOEXEC);
      if (*userns < 0)
        return capsa_fail (err, errno, "open `%s`", o->userns_path);
      return 0;
    }
  if ((*userns = userns_to_join (netns, err)) < 0)
    return -1;
  if (*userns == 0)
    *userns = -1;
  return 0;
}

/* What slirp4netns gets, every fd moved to >= 10 (see child_exec): its state dir (its cwd),
 * /dev/null, its log, and fds: the exit pipe, the ready pipe, the netns, the userns (or -1). */
struct slirp_child
{
  int dir, null, log;
  int fds[4];
};

/* Open the child's files and pipes: out->exit_fd and *ready get the parent's ends. */
static int
child_files (const struct capsa_slirp_opts *o, int dirfd, struct capsa_slirp *out, int *ready, struct slirp_child *ch,
             capsa_err **err)
{
  cleanup_close int log = openat (dirfd, LOG_NAME, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  cleanup_close int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  cleanup_close int netns = open (o->netns_path, O_RDONLY | O_CLOEXEC);
  if (log < 0 || null < 0 || netns < 0)
    return capsa_fail (err, errno, "open `%s`", log < 0 ? LOG_NAME : null < 0 ? "/dev/null" : o->netns_path);
  int userns = -1;
  if (open_userns (o, netns, &userns, err) < 0)
    return -1;
  int exitp[2], readyp[2];
  if (pipe2 (exitp, O_CLOEXEC) < 0)
    {
      int e = errno;
      if (userns >= 0)
        close (userns);
      return capsa_fail (err, e, "pipe");
    }
  if (pipe2 (readyp, O_CLOEXEC) < 0)
    {
      int e = errno;
      close (exitp[0]), close (exitp[1]);
      if (userns >= 0)
        close (userns);
      return capsa_fail (err, e, "pipe");
    }
  *ready = readyp[0];
  out->exit_fd = exitp[1];
  *ch = (struct slirp_child){ .dir = fcntl (dirfd, F_DUPFD_CLOEXEC, 10),
                              .null = fcntl (null, F_DUPFD_CLOEXEC, 10),
                              .log = fcntl (log, F_DUPFD_CLOEXEC, 10),
                              .fds = { high_fd (exitp[0]), high_fd (readyp[1]), fcntl (netns, F_DUPFD_CLOEXEC, 10),
                                       high_fd (userns) } };
  return 0;
}

/* slirp4netns's command line (argv points into the struct). */
struct slirp_cmd
{
  char mtu[32], cidr[64], exitfd[32], readyfd[32], usernsp[64], netnsp[64];
  const char *argv[24];
};

static void
slirp_cmd (const struct capsa_slirp_opts *o, const char *bin, bool userns, struct slirp_cmd *c)
{
  bool sandbox, seccomp;
  probe_features (bin, &sandbox, &seccomp);
  snprintf (c->mtu, sizeof c->mtu, "--mtu=%d", o->mtu ? o->mtu : CAPSA_SLIRP_DEFAULT_MTU);
  snprintf (c->cidr, sizeof c->cidr, "--cidr=%s", o->cidr ? o->cidr : CAPSA_SLIRP_DEFAULT_CIDR);
  snprintf (c->exitfd, sizeof c->exitfd, "--exit-fd=%d", CHILD_EXIT_FD);
  snprintf (c->readyfd, sizeof c->readyfd, "--ready-fd=%d", CHILD_READY_FD);
  snprintf (c->usernsp, sizeof c->usernsp, "--userns-path=/proc/self/fd/%d", CHILD_USERNS_FD);
  snprintf (c->netnsp, sizeof c->netnsp, "/proc/self/fd/%d", CHILD_NETNS_FD);
  size_t a = 0;
  c->argv[a++] = bin;
  c->argv[a++] = "--configure";
  c->argv[a++] = c->mtu;
  c->argv[a++] = c->cidr;
  c->argv[a++] = "--api-socket=" SOCK_NAME; /* relative to state_dir, its cwd */
  c->argv[a++] = c->exitfd;
  c->argv[a++] = c->readyfd;
  if (!o->allow_host_loopback)
    c->argv[a++] = "--disable-host-loopback";
  if (o->enable_ipv6)
    c->argv[a++] = "--enable-ipv6";
  if (sandbox && geteuid () == 0) /* it needs root where it runs (podman's rootless runs it in its userns) */
    c->argv[a++] = "--enable-sandbox";
  if (seccomp)
    c->argv[a++] = "--enable-seccomp";
  if (userns)
    c->argv[a++] = c->usernsp;
  c->argv[a++] = "--netns-type=path";
  c->argv[a++] = c->netnsp;
  c->argv[a++] = CAPSA_SLIRP_TAP;
  c->argv[a] = NULL;
}

/* Fork and exec slirp4netns (ch's fds are closed here); out->pid and out->pidfd get it. */
static int
spawn (const char *bin, const struct slirp_cmd *cmd, const char *state_dir, struct slirp_child *ch,
       struct capsa_slirp *out, capsa_err **err)
{
  cleanup_free char **envp = child_env (state_dir);
  cleanup_free char *envkey = envp[strv_len (envp) - 1];

  pid_t pid = -1;
  if (ch->fds[0] >= 0 && ch->fds[1] >= 0 && ch->fds[2] >= 0 && ch->dir >= 0 && ch->null >= 0 && ch->log >= 0)
    pid = fork ();
  int fork_errno = errno;
  if (pid == 0)
    child_exec (bin, (char **) cmd->argv, envp, ch->dir, ch->null, ch->log, ch->fds);
  for (int i = 0; i < 4; i++)
    if (ch->fds[i] >= 0)
      close (ch->fds[i]);
  close (ch->dir), close (ch->null), close (ch->log);
  if (pid < 0)
    {
      capsa_slirp_stop (out, NULL);
      return capsa_fail (err, fork_errno, "start slirp4netns");
    }
  out->pid = pid;
  out->pidfd = pidfd_open_ (pid); /* our child, not reaped yet: the pid is still its own */
  if (out->pidfd < 0)
    {
      int e = errno;
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
      out->pid = 0;
      capsa_slirp_stop (out, NULL);
      return capsa_fail (err, e, "pidfd_open slirp4netns");
    }
  return 0;
}

int
capsa_slirp_start (const struct capsa_slirp_opts *o, struct capsa_slirp *out, capsa_err **err)
{
  *out = (struct capsa_slirp){ .pid = 0, .pidfd = -1, .exit_fd = -1 };
  struct capsa_slirp_addrs addrs;
  if (capsa_slirp_addresses (o->cidr, &addrs, err) < 0)
    return -1;
  if (o->mtu != 0 && (o->mtu < 68 || o->mtu > 65521))
    return capsa_fail_as (err, EINVAL, "mtu %d: expected 68 to 65521", o->mtu);
  cleanup_free char *bin = find_binary (o, err);
  if (bin == NULL)
    return -1;
  cleanup_close int dirfd = open (o->state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return capsa_fail (err, errno, "open `%s`", o->state_dir);
  unlinkat (dirfd, SOCK_NAME, 0); /* a stale one: slirp4netns would fail to bind */
  cleanup_close int ready = -1;
  struct slirp_child ch;
  struct slirp_cmd cmd;
  if (child_files (o, dirfd, out, &ready, &ch, err) < 0)
    return -1;
  slirp_cmd (o, bin, ch.fds[3] >= 0, &cmd);
  if (spawn (bin, &cmd, o->state_dir, &ch, out, err) < 0)
    return -1;
  if (wait_ready (ready, out->pidfd, o->timeout_ms > 0 ? o->timeout_ms : 10000, dirfd, err) < 0
      || write_pidfile (dirfd, out->pid, err) < 0)
    {
      capsa_slirp_stop (out, o->state_dir);
      return -1;
    }
  return 0;
}

static void
remove_files (const char *state_dir)
{
  cleanup_close int d = state_dir ? open (state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (d < 0)
    return;
  unlinkat (d, PID_NAME, 0);
  unlinkat (d, SOCK_NAME, 0);
}

void
capsa_slirp_stop (struct capsa_slirp *s, const char *state_dir)
{
  if (s->exit_fd >= 0)
    close (s->exit_fd);
  s->exit_fd = -1;
  if (s->pidfd >= 0)
    {
      if (!pidfd_wait (s->pidfd, 1000))
        {
          pidfd_kill (s->pidfd, SIGKILL);
          pidfd_wait (s->pidfd, 1000);
        }
      siginfo_t si;
      /* reap it unless someone else did (a run loop that waits for any child) */
      waitid (P_PIDFD, (id_t) s->pidfd, &si, WEXITED | WNOHANG);
      close (s->pidfd);
    }
  s->pidfd = -1;
  s->pid = 0;
  remove_files (state_dir);
}

/* Is pid a live slirp4netns started with start time `start` (0: any)? */
static bool
is_slirp (pid_t pid, uint64_t start)
{
  uint64_t got;
  char st, path[64], comm[32] = "";
  if (proc_stat_start (pid, &got, &st) < 0 || (start && got != start) || st == 'Z' || st == 'X')
    return false;
  snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read (fd, comm, sizeof comm - 1);
  return n > 0 && strncmp (comm, "slirp4netns\n", 12) == 0;
}

/* SIGKILL pid, checked through a pidfd (no reused pid is hit), and wait a little for it. */
static bool
kill_checked (pid_t pid, uint64_t start)
{
  cleanup_close int pfd = pidfd_open_ (pid);
  if (pfd < 0 || !is_slirp (pid, start) || pidfd_kill (pfd, SIGKILL) < 0)
    return false;
  pidfd_wait (pfd, 1000);
  return true;
}

int
capsa_slirp_kill (const char *state_dir)
{
  cleanup_close int d = open (state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  if (d < 0 || read_file_at (d, PID_NAME, &buf, NULL, NULL) < 0)
    return 0;
  int pid = 0;
  unsigned long long start = 0;
  bool killed = sscanf (buf, "%d %llu", &pid, &start) == 2 && pid > 0 && kill_checked (pid, start);
  remove_files (state_dir);
  return killed ? 1 : 0;
}

/* The CAPSA_SLIRP_DIR of process pid, or NULL. */
static char *
state_dir_of (pid_t pid)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/environ", (int) pid);
  cleanup_free char *env = NULL;
  size_t len = 0;
  if (read_file_at (AT_FDCWD, path, &env, &len, NULL) < 0)
    return NULL;
  for (size_t i = 0; i < len; i += strlen (env + i) + 1)
    if (strncmp (env + i, ENV_KEY, strlen (ENV_KEY)) == 0)
      return xstrdup (env + i + strlen (ENV_KEY));
  return NULL;
}

int
capsa_slirp_gc (bool (*wanted) (const char *state_dir, void *data), void *data, int *killed, capsa_err **err)
{
  cleanup_dir DIR *proc = opendir ("/proc");
  if (proc == NULL)
    return capsa_fail (err, errno, "open /proc");
  int n = 0;
  struct dirent *de;
  while ((de = readdir (proc)))
    {
      int64_t pid;
      struct stat st;
      /* only our own user's: another user's environment could name any directory */
      if (parse_i64 (de->d_name, 1, INT32_MAX, &pid) < 0 || fstatat (dirfd (proc), de->d_name, &st, 0) < 0
          || st.st_uid != geteuid () || !is_slirp ((pid_t) pid, 0))
        continue;
      cleanup_free char *dir = state_dir_of ((pid_t) pid);
      if (dir == NULL || wanted (dir, data))
        continue;
      if (kill_checked ((pid_t) pid, 0))
        n++;
      remove_files (dir);
    }
  if (killed)
    *killed = n;
  return 0;
}

int
capsa_slirp_add_hostfwd (const char *state_dir, const struct capsa_port *p, capsa_err **err)
{
  const char *hostip = p->host_ip[0] ? p->host_ip : "0.0.0.0";
  cleanup_close int d = open (state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int s = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (d < 0 || s < 0)
    return capsa_fail (err, errno, "open the API socket of slirp4netns in `%s`", state_dir);
  /* through the directory's fd: a deep state_dir would not fit in sun_path */
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  snprintf (sa.sun_path, sizeof sa.sun_path, "/proc/self/fd/%d/" SOCK_NAME, d);
  struct timeval tv = { .tv_sec = 5 };
  setsockopt (s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect (s, (struct sockaddr *) &sa, sizeof sa) < 0)
    return capsa_fail (err, errno, "connect to slirp4netns's API socket `%s/%s`", state_dir, SOCK_NAME);
  json_t *req = json_pack ("{s:s, s:{s:s, s:s, s:i, s:i}}", "execute", "add_hostfwd", "arguments", "proto", p->proto,
                           "host_addr", hostip, "host_port", p->host_port, "guest_port", p->ctr_port);
  cleanup_free char *text = json_dumps (req, JSON_COMPACT);
  json_decref (req);
  if (write_all (s, text, strlen (text)) < 0)
    return capsa_fail (err, errno, "send add_hostfwd to slirp4netns");
  shutdown (s, SHUT_WR);
  char buf[4096];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && ((n = read (s, buf + len, sizeof buf - 1 - len)) > 0 || (n < 0 && errno == EINTR)))
    if (n > 0)
      len += (size_t) n;
  buf[len] = '\0';
  json_t *resp = json_loads (buf, 0, NULL);
  json_t *e = json_object_get (resp, "error");
  int r = 0;
  if (resp == NULL)
    r = capsa_fail_as (err, EIO, "slirp4netns answered add_hostfwd with `%s`", buf);
  else if (e)
    r = capsa_fail_as (err, EADDRINUSE, "slirp4netns: %s",
                       json_string_value (json_object_get (e, "desc")) ?: "add_hostfwd failed");
  json_decref (resp);
  return r;
}
