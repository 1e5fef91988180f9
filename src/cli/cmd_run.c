/* capsa run / create / start (and the hidden `capsa __monitor`): parse, call the engine
 * (capsa/engine.h), print.
 *
 * run -d and create hand the container to a monitor (capsa_ctr_run_detached, src/monitor); run in
 * the foreground keeps it in this process (capsa_ctr_run_foreground: the library's run loop, pty,
 * signals, wait); run -it starts it under a monitor and attaches (cmd_attach.c's streaming). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/fault.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

static char **
strv_new (void)
{
  return capsa_xmalloc0 (sizeof (char *));
}

static int
read_env_file (const char *path, char ***env, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  if (capsa_read_file_at (AT_FDCWD, path, &buf, NULL, err) < 0)
    return capsa_err_wrap (err, "--env-file");
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '\0' || *l == '#')
        continue;
      l[strcspn (l, "\r")] = '\0';
      capsa_strv_append (env, l);
    }
  return 0;
}

/* -e KEY and --env-file's KEY lines: KEY=its value here, or left out when it has none, as
 * docker's CLI resolves them before the engine sees them */
static void
resolve_env (char **env)
{
  size_t n = 0;
  for (char **e = env; *e; e++)
    {
      char *kv = *e;
      if (strchr (kv, '=') == NULL)
        {
          const char *v = getenv (kv);
          kv = v ? capsa_xasprintf ("%s=%s", *e, v) : NULL;
          free (*e);
        }
      if (kv)
        env[n++] = kv;
    }
  env[n] = NULL;
}

extern char **environ;

/* --env-host: this whole environment first, so that -e and --env-file come over it (podman's
 * order: the image's, the host's, then the flags'). */
static void
env_host_prepend (struct ctr_opts *o)
{
  char **v = strv_new ();
  for (char **e = environ; e && *e; e++)
    capsa_strv_append (&v, *e);
  for (char **e = o->env; *e; e++)
    capsa_strv_append (&v, *e);
  cleanup_strv_fn (&o->env);
  o->env = v;
}

/* --cidfile FILE: made before the container (docker's CLI refuses one that exists), and given
 * the id once it is created; removed when the create fails.  Returns the fd, or -1. */
static int
cidfile_open (const char *path, capsa_err **err)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0 && errno == EEXIST)
    return capsa_fail_as (err, EEXIST,
                          "--cidfile `%s`: container ID file found, make sure the other container isn't running or "
                          "delete it",
                          path);
  if (fd < 0)
    return capsa_fail (err, errno, "--cidfile `%s`", path);
  return fd;
}

static int
cidfile_done (const char *path, int fd, const char *id, capsa_err **err)
{
  if (fd < 0)
    return 0;
  int r = id ? capsa_write_all (fd, id, strlen (id)) : 0;
  int e = errno;
  close (fd);
  if (id == NULL)
    unlink (path);
  return r < 0 ? capsa_fail (err, e, "--cidfile `%s`: write the id", path) : 0;
}

struct parsed
{
  struct ctr_opts o;
  char **lists[16];
};

/* The lists of issue 18's run flags (parse_run leaves them NULL until given). */
static void
run_flags_free (struct ctr_opts *o)
{
  char ***all[] = { &o->volumes_from,     &o->group_add,        &o->annotations,      &o->device_read_bps,
                    &o->device_write_bps, &o->device_read_iops, &o->device_write_iops };
  for (size_t i = 0; i < ARRAY_SIZE (all); i++)
    cleanup_strv_fn (all[i]);
}

static void
parsed_free (struct ctr_opts *o)
{
  run_flags_free (o);
  char ***all[] = { &o->env,     &o->volumes,  &o->mounts,       &o->tmpfs,   &o->devices,
                    &o->cap_add, &o->cap_drop, &o->security_opt, &o->ulimits, &o->sysctls,
                    &o->labels,  &o->publish,  &o->uidmap,       &o->gidmap,  &o->aliases };
  for (size_t i = 0; i < ARRAY_SIZE (all); i++)
    cleanup_strv_fn (all[i]);
  cleanup_strv_fn (&o->log_opts);
  char ***dns[] = { &o->dns, &o->dns_search, &o->dns_options, &o->extra_hosts };
  for (size_t i = 0; i < ARRAY_SIZE (dns); i++)
    cleanup_strv_fn (dns[i]);
}

/* -v's shape, before anything is made: 1 to 3 fields split at `:`, none empty (docker: "empty
 * section between colons"); ctr_config.c checks what each field means.  (strtok there skipped
 * empty fields: `-v :/d` became an anonymous volume, `-v /tmp:` one at /tmp.) */
static int
volume_spec_ok (const char *v, capsa_err **err)
{
  int fields = 1;
  if (*v == '\0')
    return capsa_fail_as (err, EINVAL, "-v ``: an empty volume spec (want [SOURCE:]DESTINATION[:OPTIONS])");
  for (const char *p = v; *p; p++)
    if (*p == ':')
      {
        if (p == v || p[1] == '\0' || p[1] == ':')
          return capsa_fail_as (err, EINVAL,
                                "-v `%s`: an empty section between colons (want [SOURCE:]DESTINATION[:OPTIONS])", v);
        fields++;
      }
  if (fields > 3)
    return capsa_fail_as (err, EINVAL, "-v `%s`: too many colons (want [SOURCE:]DESTINATION[:OPTIONS])", v);
  return 0;
}

static int
name_ok (const char *v, capsa_err **err)
{
  if (!capsa_ctr_valid_name (v))
    return capsa_fail_as (err, EINVAL, "--name: invalid container name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", v);
  return 0;
}

static int
pull_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "never") != 0 && strcmp (v, "missing") != 0 && strcmp (v, "always") != 0)
    return capsa_fail_as (err, EINVAL, "--pull %s: expected always, missing or never", v);
  return 0;
}

/* --dns, --ip, --ip6, --add-host: an address as docker's flags take it */
static int
addr_ok (const char *flag, int af, const char *v, capsa_err **err)
{
  unsigned char buf[sizeof (struct in6_addr)];
  if (inet_pton (af, v, buf) != 1)
    return capsa_fail_as (err, EINVAL, "%s %s: not an IPv%c address", flag, v, af == AF_INET ? '4' : '6');
  return 0;
}

static int
dns_ip_ok (const char *v, capsa_err **err)
{
  return addr_ok ("--dns", strchr (v, ':') ? AF_INET6 : AF_INET, v, err);
}

static int
ip4_ok (const char *v, capsa_err **err)
{
  return addr_ok ("--ip", AF_INET, v, err);
}

static int
ip6_ok (const char *v, capsa_err **err)
{
  return addr_ok ("--ip6", AF_INET6, v, err);
}

static int
add_host_ok (const char *v, capsa_err **err)
{
  const char *c = strchr (v, ':');
  if (c == NULL || c == v)
    return capsa_fail_as (err, EINVAL, "--add-host %s: bad format, want NAME:IP", v);
  if (strcmp (c + 1, "host-gateway") == 0)
    return 0;
  return addr_ok ("--add-host", strchr (c + 1, ':') ? AF_INET6 : AF_INET, c + 1, err);
}

static int
set_env_file (void *base, const char *path, capsa_err **err)
{
  struct ctr_opts *o = base;
  return read_env_file (path, &o->env, err) < 0 ? CAPSA_OPT_FAIL : 0;
}

static int
set_entrypoint (void *base, const char *v, capsa_err **err)
{
  struct ctr_opts *o = base;
  o->entrypoint = v;
  o->entrypoint_set = true;
  return 0;
}

static int
set_oom_score_adj (void *base, const char *v, capsa_err **err)
{
  struct ctr_opts *o = base;
  int64_t n;
  if (capsa_parse_i64 (v, -1000, 1000, &n) < 0)
    return capsa_fail_as (err, EINVAL, "--oom-score-adj `%s`: expected a number from -1000 to 1000", v),
           CAPSA_OPT_USAGE;
  o->oom_score_adj = (int) n;
  o->oom_score_adj_set = true;
  return 0;
}

static int
platform_ok (const char *v, capsa_err **err)
{
  return capsa_platform_check (v, err);
}

/* --health-interval and the like: Go's durations, as docker's */
static int
duration_ok (const char *v, capsa_err **err)
{
  if (capsa_duration_parse (v) >= 0 || v[0] == '-') /* (a negative one: the engine says so) */
    return 0;
  return capsa_fail_as (err, EINVAL, "invalid duration `%s` (30s, 1m30s, 500ms)", v);
}

#define O struct ctr_opts
static const struct capsa_opt run_opts[] = {
  CAPSA_O_BOOL ('d', "detach", O, detach, "run in the background (a monitor keeps its logs) and print its id"),
  CAPSA_O_BOOL ('i', "interactive", O, interactive, "keep stdin open (detached: for `capsa attach`)"),
  CAPSA_O_BOOL ('t', "tty", O, tty,
                "allocate a pseudo-terminal (held by the monitor: `capsa attach`\n"
                "connects to it; with -i, run stays attached: ctrl-p ctrl-q detaches)"),
  CAPSA_O_STR (0, "detach-keys", O, detach_keys, "KEYS", "the sequence that detaches run -it (default ctrl-p,ctrl-q)"),
  CAPSA_O_BOOL (0, "rm", O, rm, "remove the container when it exits"),
  CAPSA_O_STR (0, "name", O, name, "NAME", "name the container", .check = name_ok),
  CAPSA_O_STR (0, "cidfile", O, cidfile, "FILE", "write the container's id to FILE (which must not exist)"),
  CAPSA_O_STR ('h', "hostname", O, hostname, "NAME", "the container's host name (default: its short id)"),
  CAPSA_O_LIST ('e', "env", O, env, "KEY[=VALUE]", "set an environment variable (KEY alone: from this environment)"),
  CAPSA_O_CALL (0, "env-file", set_env_file, "FILE", "read KEY=VALUE lines from FILE"),
  CAPSA_O_BOOL (0, "env-host", O, env_host, "this whole environment, under the image's (-e and --env-file over it)"),
  CAPSA_O_STR ('w', "workdir", O, workdir, "DIR", "working directory inside the container"),
  CAPSA_O_STR ('u', "user", O, user, "USER[:GROUP]", "user name or uid (and group)"),
  CAPSA_O_LIST (0, "group-add", O, group_add, "GROUP",
                "another group of the process (a name of the image's /etc/group, or a gid)"),
  CAPSA_O_CALL (0, "entrypoint", set_entrypoint, "CMD", "override the image's entrypoint (\"\": none)"),
  CAPSA_O_LIST ('v', "volume", O, volumes, "SRC:DST[:ro]",
                "bind mount a host path, or a named volume (NAME:DST), or an\n"
                "anonymous volume (DST alone)",
                .check = volume_spec_ok),
  CAPSA_O_LIST (0, "mount", O, mounts, "type=bind|volume|tmpfs,source=..,target=..[,readonly][,tmpfs-size=..]", ""),
  CAPSA_O_LIST (0, "tmpfs", O, tmpfs, "DST[:OPTS]", "mount a tmpfs"),
  CAPSA_O_LIST (0, "volumes-from", O, volumes_from, "CTR[:ro|rw]",
                "the binds and volumes of another container, at the same places"),
  CAPSA_O_BOOL (0, "read-only", O, read_only, "read-only root filesystem"),
  CAPSA_O_SIZE ('m', "memory", O, memory, "BYTES", "memory limit (512m, 1g...)"),
  CAPSA_O_SIZE (0, "memory-swap", O, memory_swap, "BYTES", "memory + swap limit (-1: unlimited)",
                .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_NUMBER (0, "cpus", O, cpus, "N", "CPU quota (0.5 = half a CPU)"),
  CAPSA_O_INT64 ('c', "cpu-shares", O, cpu_shares, 2, 262144, "N", "relative CPU weight"),
  /* docker's range: -1 (none) or at least 1 ms (checked after); -2 was passed on by docker and
   * ignored by runc: refused here, as the kernel has no meaning for it */
  CAPSA_O_INT64 (0, "cpu-quota", O, cpu_quota, -1, INT64_MAX / 2, "US",
                 "CPU time per period in microseconds (-1: none; at least 1000)"),
  CAPSA_O_INT64 (0, "cpu-period", O, cpu_period, 1000, 1000000, "US",
                 "the CFS period in microseconds (1000 to 1000000; default 100000)"),
  CAPSA_O_STR (0, "cpuset-cpus", O, cpuset_cpus, "LIST", "CPUs allowed (0-1, 0,2)"),
  CAPSA_O_INT64 (0, "pids-limit", O, pids_limit, -1, INT32_MAX, "N", "most processes at once"),
  CAPSA_O_INT64 (0, "blkio-weight", O, blkio_weight, 10, 1000, "N", "block I/O weight (10-1000)"),
  CAPSA_O_LIST (0, "device-read-bps", O, device_read_bps, "DEV:RATE", "most bytes read per second from DEV (1m...)"),
  CAPSA_O_LIST (0, "device-write-bps", O, device_write_bps, "DEV:RATE", "most bytes written per second to DEV"),
  CAPSA_O_LIST (0, "device-read-iops", O, device_read_iops, "DEV:N", "most reads per second from DEV"),
  CAPSA_O_LIST (0, "device-write-iops", O, device_write_iops, "DEV:N", "most writes per second to DEV"),
  CAPSA_O_SIZE (0, "memory-reservation", O, memory_reservation, "BYTES", "memory soft limit"),
  CAPSA_O_STR (0, "cpuset-mems", O, cpuset_mems, "LIST", "memory nodes allowed (0-1, 0,2)"),
  CAPSA_O_BOOL (0, "oom-kill-disable", O, oom_kill_disable, "no OOM kill at the memory limit (cgroup v1)"),
  CAPSA_O_CALL (0, "oom-score-adj", set_oom_score_adj, "N",
                "the process's OOM score adjustment (-1000 to 1000; below capsa's\n"
                "own needs CAP_SYS_RESOURCE)"),
  CAPSA_O_STR (0, "cgroup-parent", O, cgroup_parent, "PATH", "the cgroup the container's goes under (PATH/ID)"),
  CAPSA_O_LIST (0, "device", O, devices, "HOST[:CTR][:rwm]", "give a host device"),
  CAPSA_O_LIST (0, "cap-add", O, cap_add, "CAP", "add a capability (ALL for all); the seccomp filter follows"),
  CAPSA_O_LIST (0, "cap-drop", O, cap_drop, "CAP", "drop a capability (ALL for all)"),
  CAPSA_O_BOOL (0, "privileged", O, privileged, "every capability, no seccomp, no masked paths, all devices"),
  CAPSA_O_LIST (0, "security-opt", O, security_opt, "OPT", "seccomp=unconfined|FILE, no-new-privileges"),
  CAPSA_O_LIST (0, "annotation", O, annotations, "KEY=VALUE", "an OCI annotation of the container (config.json)"),
  CAPSA_O_BOOL (0, "init", O, init, "a tiny init as PID 1 that reaps zombies and forwards signals"),
  CAPSA_O_STR (0, "restart", O, restart, "POLICY", "no, on-failure[:MAX], always, unless-stopped (detached)"),
  CAPSA_O_LIST (0, "ulimit", O, ulimits, "NAME=SOFT[:HARD]", "resource limit (nofile=1024:2048)"),
  CAPSA_O_LIST (0, "sysctl", O, sysctls, "KEY=VALUE", "namespaced kernel parameter"),
  CAPSA_O_SIZE (0, "shm-size", O, shm_size, "BYTES", "size of /dev/shm"),
  CAPSA_O_LIST ('l', "label", O, labels, "KEY=VALUE", "metadata"),
  CAPSA_O_STR (0, "log-driver", O, log_driver, "DRIVER",
               "json-file (default: docker's), k8s-file (podman's), none, or\n"
               "passthrough (the container's stdout and stderr are this command's:\n"
               "not with -t; -d: they outlive it; `logs` has nothing)"),
  CAPSA_O_LIST (0, "log-opt", O, log_opts, "KEY=VALUE",
                "max-size=SIZE (rotate past it), max-file=N (files kept),\n"
                "labels=K,..., env=V,... (attributes: logs --details), path=FILE (k8s-file)"),
  CAPSA_O_STR (0, "stop-signal", O, stop_signal, "SIG", "signal `capsa stop` sends first (default SIGTERM)"),
  CAPSA_O_INT (0, "stop-timeout", O, stop_timeout, -1, 86400, "SECS",
               "seconds `capsa stop` waits before SIGKILL (default 10)"),
  CAPSA_O_STR (0, "health-cmd", O, health_cmd, "CMD",
               "command to run to check health (run by /bin/sh -c; exit 0: healthy)"),
  CAPSA_O_STR (0, "health-interval", O, health_interval, "DURATION", "time between checks (ms|s|m|h; default 30s)",
               .check = duration_ok),
  CAPSA_O_STR (0, "health-timeout", O, health_timeout, "DURATION",
               "longest a check may run: then it is killed and counts as failed\n(default 30s)", .check = duration_ok),
  CAPSA_O_INT (0, "health-retries", O, health_retries, 0, INT32_MAX, "N",
               "consecutive failures that make it unhealthy (default 3)"),
  CAPSA_O_STR (0, "health-start-period", O, health_start_period, "DURATION",
               "time to start in, whose failures do not count (default 0s)", .check = duration_ok),
  CAPSA_O_STR (0, "health-start-interval", O, health_start_interval, "DURATION",
               "time between checks in the start period (default: the interval)", .check = duration_ok),
  CAPSA_O_BOOL (0, "no-healthcheck", O, no_healthcheck, "disable any healthcheck (the image's HEALTHCHECK too)"),
  CAPSA_O_STR (0, "health-on-failure", O, health_on_failure, "ACTION",
               "what an unhealthy container gets: none (default), kill, restart or\nstop (detached containers)"),
  CAPSA_O_STR (0, "network", O, network, "MODE",
               "bridge (root's default: the default network capsa0, NAT to the\n"
               "outside), none (loopback only), host, a network's name (`capsa\n"
               "network create`: containers on it resolve each other by name),\n"
               "container:NAME (share a running container's network), or\n"
               "slirp4netns[:OPTS] (user-mode networking, no root needed, the\n"
               "rootless default: tap0 10.0.2.100, DNS 10.0.2.3; OPTS:\n"
               "allow_host_loopback=true (reach the host's 127.0.0.1 at 10.0.2.2),\n"
               "mtu=N, cidr=CIDR, enable_ipv6=true, port_handler=slirp4netns)"),
  CAPSA_O_STR (0, "net", O, network, "MODE", NULL, .flags = CAPSA_OPTF_HIDDEN), /* docker's old name */
  CAPSA_O_LIST (0, "network-alias", O, aliases, "NAME",
                "another name the containers of its network resolve it by (a user\n"
                "network only; repeatable)"),
  CAPSA_O_LIST (0, "dns", O, dns, "IP", "a nameserver for its resolv.conf, over the network's (repeatable)",
                .check = dns_ip_ok),
  CAPSA_O_LIST (0, "dns-search", O, dns_search, "DOMAIN", "a search domain for its resolv.conf (repeatable)"),
  CAPSA_O_LIST (0, "dns-option", O, dns_options, "OPT", "a resolv.conf option (ndots:2; repeatable)"),
  CAPSA_O_LIST (0, "add-host", O, extra_hosts, "NAME:IP",
                "a line of its /etc/hosts (IP host-gateway: the network's gateway;\n"
                "repeatable)",
                .check = add_host_ok),
  CAPSA_O_STR (0, "ip", O, ip, "ADDR", "its IPv4 address on a user network", .check = ip4_ok),
  CAPSA_O_STR (0, "ip6", O, ip6, "ADDR", "its IPv6 address on a user network with IPv6", .check = ip6_ok),
  CAPSA_O_STR (0, "mac-address", O, mac_address, "MAC", "its MAC address on a bridge network (02:42:ac:11:00:02)"),
  CAPSA_O_LIST ('p', "publish", O, publish, "[IP:][HOST:]CTR[/udp]",
                "publish a port, reserved for the container's life (a\n"
                "bridge network or slirp4netns; no HOST: a free port; [IPV6]:HOST:CTR)"),
  CAPSA_O_BOOL ('P', "publish-all", O, publish_all, "publish every port the image exposes on a free host port"),
  CAPSA_O_STR (0, "userns", O, userns, "MODE",
               "host (root's default: none of its own), keep-id (rootless: your\n"
               "uid/gid inside as outside), auto[:size=N] (root: N free ids, 65536,\n"
               "from /etc/subuid's `containers` entry), ns:PATH (join it); without\n"
               "it a rootless container is root inside = you outside, 1..N = your\n"
               "/etc/subuid range"),
  CAPSA_O_LIST (0, "uidmap", O, uidmap, "C:H:S",
                "(root) map container ids C.. to host ids H.. (S of\n"
                "them; repeatable)"),
  CAPSA_O_LIST (0, "gidmap", O, gidmap, "C:H:S", "the same for group ids (default: as --uidmap)"),
  CAPSA_O_STR (0, "pid", O, pid_mode, "MODE", "host (the host's PID namespace) or container:NAME (a running one's)"),
  CAPSA_O_STR (0, "ipc", O, ipc_mode, "MODE",
               "private (default), shareable, none (no /dev/shm), host, or\n"
               "container:NAME (its IPC namespace; /dev/shm stays this one's)"),
  CAPSA_O_STR (0, "uts", O, uts_mode, "MODE", "host: the host's UTS namespace (its host name)"),
  CAPSA_O_STR (0, "cgroupns", O, cgroupns_mode, "MODE", "private (default: a cgroup namespace of its own) or host"),
  /* only local images: the value is checked, then dropped (parse_run sets image after) */
  CAPSA_O_STR (0, "pull", O, pull, "POLICY", "missing (default: pull an image the store lacks), always, or never",
               .check = pull_ok),
  CAPSA_O_STR (0, "platform", O, platform, "OS/ARCH[/VARIANT]",
               "the image's platform (pulled for it; a local image of another is refused)", .check = platform_ok),
  CAPSA_O_HELP ('H'),
  CAPSA_O_END,
};
#undef O

static const char run_footer[]
    = "Rootless: no cgroup of its own on v1/hybrid hosts (resource flags are refused); network\n"
      "slirp4netns by default (none when it or /dev/net/tun is not usable), none or host.\n";

const struct cli_spec cli_spec_run = { "run",
                                       "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                       "Run a command in a new container from IMAGE.",
                                       run_opts,
                                       CAPSA_OPT_STOP,
                                       run_footer };
const struct cli_spec cli_spec_create = { "create",
                                          "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                          "Create a container from IMAGE (started later by `capsa start`).",
                                          run_opts,
                                          CAPSA_OPT_STOP,
                                          run_footer };

/* Parse run/create flags into o (its lists allocated: parsed_free frees them, whatever the
 * result): 1, or minus the command's exit status (0 after --help, 125), as cli_parse. */
static int
parse_run (const struct cli_spec *spec, int argc, char **argv, struct ctr_opts *o)
{
  const char *cmd = spec->name;
  o->stop_timeout = -1;
  char ***lists[] = { &o->env,     &o->volumes,  &o->mounts,       &o->tmpfs,   &o->devices,
                      &o->cap_add, &o->cap_drop, &o->security_opt, &o->ulimits, &o->sysctls,
                      &o->labels,  &o->publish,  &o->uidmap,       &o->gidmap,  &o->aliases };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    *lists[i] = strv_new ();
  o->log_opts = strv_new ();
  int first = cli_parse (spec, argc, argv, o);
  if (first <= 0)
    return first;
  if (first >= argc)
    return -cli_usage (cmd, "requires at least 1 argument (IMAGE)");
  if (o->env_host)
    env_host_prepend (o);
  resolve_env (o->env);
  o->image = argv[first];
  if (o->oom_kill_disable && o->memory == 0)
    fprintf (stderr, "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be "
                     "dangerous.\n");
  o->cmd = argv + first + 1;
  if (o->cpu_quota > 0 && o->cpu_quota < 1000)
    return -cli_usage (cmd,
                       "--cpu-quota: %lld is below 1000 microseconds, the least the kernel takes "
                       "(-1 for no limit)",
                       o->cpu_quota);
  if (o->rm && o->restart && strcmp (o->restart, "no") != 0)
    return -cli_usage (cmd, "conflicting options: --restart and --rm");
  if (o->cpus > 0 && (o->cpu_quota || o->cpu_period))
    return -cli_usage (cmd, "conflicting options: --cpus and --cpu-quota/--cpu-period (--cpus sets both)");
  return 1;
}

/* The foreground: this process is the container's parent until it exits (a sealed copy: main.c). */
static int
run_foreground (struct cli_global *g, const struct ctr_opts *o, const char *id, struct capsa_config *typed)
{
  capsa_err *err = NULL, *run_err = NULL;
  int code = capsa_ctr_run_foreground (&g->eng, id, typed, o->interactive, o->tty, o->rm, &run_err, &err);
  if (code < 0)
    return cli_fail (&err);
  if (run_err)
    {
      fprintf (stderr, "capsa: %s\n", run_err->msg);
      capsa_err_free (&run_err);
    }
  if (err)
    cli_fail (&err);
  return code;
}

/* run -it: start the created container attached (its input, output and terminal), until it
 * exits (its code) or the detach keys. */
static int
run_attached (struct cli_global *g, const char *id, const char *keys)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int fd = -1;
  if (capsa_ctr_load (&g->eng, id, &c, &err) < 0 || capsa_ctr_start (&g->eng, c, &fd, &err) < 0)
    {
      if (fd >= 0)
        close (fd);
      return cli_fail (&err);
    }
  int code = ctr_attach_stream (g, c, fd, true, true, keys, &err);
  if (code < 0)
    return cli_fail (&err);
  /* --rm: gone when run returns, as docker's */
  capsa_ctr_wait_removed (&g->eng, c);
  return code;
}

static int
run_or_create (struct cli_global *g, int argc, char **argv, bool create)
{
  struct ctr_opts o = { 0 };
  char id[CTR_ID_LEN + 1];
  capsa_err *err = NULL;
  int r = parse_run (create ? &cli_spec_create : &cli_spec_run, argc, argv, &o);
  if (r <= 0)
    {
      parsed_free (&o);
      return -r;
    }
  /* run -it as docker runs it: the container under a monitor and this process attached to it
   * (start -ai's path), so that ctrl-p ctrl-q (--detach-keys) leaves it running */
  bool attached = !create && !o.detach && o.tty && o.interactive;
  if (create || attached)
    o.detach = true;
  /* the foreground run makes the container's init in this process: from a sealed copy (main.c) */
  if (!o.detach && cli_exe_protect (g, &err) < 0)
    {
      parsed_free (&o);
      return cli_fail (&err);
    }
  cleanup_capsa_config struct capsa_config *typed = NULL;
  if ((r = cli_run_pull (g, argc, o.image, o.pull, o.platform)) != 0)
    {
      parsed_free (&o);
      return r;
    }
  int cidfd = o.cidfile ? cidfile_open (o.cidfile, &err) : -1;
  if ((o.cidfile && cidfd < 0) || capsa_ctr_create (&g->eng, &o, id, o.detach ? NULL : &typed, &err) < 0)
    {
      cidfile_done (o.cidfile, cidfd, NULL, NULL);
      parsed_free (&o);
      return cli_fail (&err);
    }
  if (cidfile_done (o.cidfile, cidfd, id, &err) < 0)
    cli_fail (&err); /* (the container is made: docker goes on too) */
  capsa_fault_point ("cli:recorded");
  if (o.detach)
    {
      int code;
      if (capsa_ctr_run_detached (&g->eng, id, create || attached, o.rm, &code, &err) < 0)
        {
          cli_fail (&err);
          parsed_free (&o);
          return code ? code : CLI_EXIT_ERROR;
        }
      if (attached)
        r = run_attached (g, id, o.detach_keys);
      else
        printf ("%s\n", id);
      parsed_free (&o);
      return attached ? r : 0;
    }
  r = run_foreground (g, &o, id, typed);
  parsed_free (&o);
  return r;
}

int
cmd_run (struct cli_global *g, int argc, char **argv)
{
  return run_or_create (g, argc, argv, false);
}

int
cmd_create (struct cli_global *g, int argc, char **argv)
{
  return run_or_create (g, argc, argv, true);
}

struct start_how
{
  bool attach, interactive;
  const char *keys;
  int code; /* attached: the container's exit code; -1 */
};

/* Start one container; with -a/-i, stream it until it exits (or is detached from). */
static int
start_one (struct cli_global *g, struct ctr *c, const char *name, void *data, capsa_err **err)
{
  struct start_how *h = data;
  int fd = -1;
  if (capsa_ctr_start (&g->eng, c, h->attach ? &fd : NULL, err) < 0)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  if (fd < 0)
    {
      printf ("%s\n", name);
      return 0;
    }
  h->code = ctr_attach_stream (g, c, fd, h->interactive, true, h->keys, err);
  return h->code < 0 ? -1 : 0;
}

struct start_opts
{
  bool attach, interactive;
  const char *keys;
  bool all_restart; /* --all-restart (boot) */
};

static const struct capsa_opt start_opts[] = {
  CAPSA_O_BOOL ('a', "attach", struct start_opts, attach, "attach to its output (and exit with its code)"),
  CAPSA_O_BOOL ('i', "interactive", struct start_opts, interactive, "attach its input too (it was made with -i)"),
  CAPSA_O_STR (0, "detach-keys", struct start_opts, keys, "KEYS", "the sequence that detaches (default ctrl-p,ctrl-q)"),
  CAPSA_O_BOOL (0, "all-restart", struct start_opts, all_restart,
                "after a reboot: start every container whose restart policy is always, or\n"
                "unless-stopped and not stopped by the user (the boot hook; no CONTAINER)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_start = {
  "start",
  "[OPTIONS] CONTAINER...\n       capsa start --all-restart",
  "Start created or stopped containers (in the background, each with its monitor).",
  start_opts,
  CAPSA_OPT_STOP,
  NULL
};

/* --all-restart: a line for each container started (or not), stdout or stderr */
static void
boot_report (void *data, struct ctr *c, const char *policy, capsa_err **err)
{
  (void) data;
  if (err == NULL)
    {
      printf ("%s: started (restart policy %s)\n", capsa_ctr_name (c), policy);
      fflush (stdout);
      return;
    }
  capsa_err_wrap (err, "%s (restart policy %s): not started", capsa_ctr_name (c), policy);
  cli_fail (err);
}

static int
start_all_restart (struct cli_global *g, int operands, bool attach)
{
  if (operands > 0 || attach)
    return cli_usage ("start", "--all-restart takes no container, nor -a or -i");
  return capsa_ctr_start_all_restart (&g->eng, boot_report, NULL) > 0 ? CLI_EXIT_ERROR : 0;
}

int
cmd_start (struct cli_global *g, int argc, char **argv)
{
  struct start_opts so = { 0 };
  int first = cli_parse (&cli_spec_start, argc, argv, &so);
  if (first <= 0)
    return -first;
  bool attach = so.attach, interactive = so.interactive;
  const char *keys = so.keys;
  if (so.all_restart)
    return start_all_restart (g, argc - first, attach || interactive);
  if (first >= argc)
    return cli_usage ("start", "requires at least 1 argument (CONTAINER)");
  if ((attach || interactive) && first + 1 != argc)
    return cli_usage ("start", "-a and -i attach to one container only");
  struct start_how how = { attach || interactive, interactive, keys, -1 };
  int status = cli_ctr_for_each (g, argv + first, argc - first, false, start_one, &how);
  return how.code >= 0 ? how.code : status;
}

/* `capsa __monitor start|stopped [--create|--final|--restart] ID`: what capsa-monitor execs for
 * the steps that need the library (capsa/engine.h). */
int
cmd_monitor_helper (struct cli_global *g, int argc, char **argv)
{
  int r = capsa_ctr_monitor_main (&g->eng, argc, argv);
  if (r >= 0)
    return r;
  return cli_usage ("__monitor", "for capsa-monitor only");
}
