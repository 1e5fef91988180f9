/* capsa run / create / start (and the hidden `capsa __monitor`): parse, call the engine
 * (capsa/engine.h), print.
 *
 * run -d and create hand the container to a monitor (capsa_ctr_run_detached, src/monitor); run in
 * the foreground keeps it in this process (capsa_ctr_run_foreground: the library's run loop, pty,
 * signals, wait); run -it starts it under a monitor and attaches (cmd_attach.c's streaming). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ctr.h"
#include "ctr_config.h"
#include "util.h"

enum
{
  O_RM = 1000, O_NAME, O_HOSTNAME, O_ENVFILE, O_ENTRYPOINT, O_MOUNT, O_TMPFS, O_READONLY, O_MEMORY, O_MEMSWAP,
  O_CPUS, O_CPUSHARES, O_CPUSET, O_PIDS, O_BLKIO, O_DEVICE, O_CAPADD, O_CAPDROP, O_PRIV, O_SECOPT, O_INIT,
  O_RESTART, O_ULIMIT, O_SYSCTL, O_SHM, O_LABEL, O_STOPSIG, O_STOPTIMEOUT, O_NETWORK, O_USERNS, O_UIDMAP, O_GIDMAP, O_PULL, O_PUBLISH, O_PUBLISH_ALL,
  O_CPUQUOTA, O_CPUPERIOD, O_DETACHKEYS,
};

static const struct option run_opts[] = {
  { "detach", no_argument, NULL, 'd' },
  { "interactive", no_argument, NULL, 'i' },
  { "tty", no_argument, NULL, 't' },
  { "rm", no_argument, NULL, O_RM },
  { "name", required_argument, NULL, O_NAME },
  { "hostname", required_argument, NULL, 'h' },
  { "env", required_argument, NULL, 'e' },
  { "env-file", required_argument, NULL, O_ENVFILE },
  { "workdir", required_argument, NULL, 'w' },
  { "user", required_argument, NULL, 'u' },
  { "entrypoint", required_argument, NULL, O_ENTRYPOINT },
  { "volume", required_argument, NULL, 'v' },
  { "mount", required_argument, NULL, O_MOUNT },
  { "tmpfs", required_argument, NULL, O_TMPFS },
  { "read-only", no_argument, NULL, O_READONLY },
  { "memory", required_argument, NULL, 'm' },
  { "memory-swap", required_argument, NULL, O_MEMSWAP },
  { "cpus", required_argument, NULL, O_CPUS },
  { "cpu-shares", required_argument, NULL, 'c' },
  { "cpu-quota", required_argument, NULL, O_CPUQUOTA },
  { "cpu-period", required_argument, NULL, O_CPUPERIOD },
  { "cpuset-cpus", required_argument, NULL, O_CPUSET },
  { "pids-limit", required_argument, NULL, O_PIDS },
  { "blkio-weight", required_argument, NULL, O_BLKIO },
  { "device", required_argument, NULL, O_DEVICE },
  { "cap-add", required_argument, NULL, O_CAPADD },
  { "cap-drop", required_argument, NULL, O_CAPDROP },
  { "privileged", no_argument, NULL, O_PRIV },
  { "security-opt", required_argument, NULL, O_SECOPT },
  { "init", no_argument, NULL, O_INIT },
  { "restart", required_argument, NULL, O_RESTART },
  { "ulimit", required_argument, NULL, O_ULIMIT },
  { "sysctl", required_argument, NULL, O_SYSCTL },
  { "shm-size", required_argument, NULL, O_SHM },
  { "label", required_argument, NULL, 'l' },
  { "stop-signal", required_argument, NULL, O_STOPSIG },
  { "stop-timeout", required_argument, NULL, O_STOPTIMEOUT },
  { "network", required_argument, NULL, O_NETWORK },
  { "publish", required_argument, NULL, 'p' },
  { "publish-all", no_argument, NULL, 'P' },
  { "net", required_argument, NULL, O_NETWORK },
  { "userns", required_argument, NULL, O_USERNS },
  { "uidmap", required_argument, NULL, O_UIDMAP },
  { "gidmap", required_argument, NULL, O_GIDMAP },
  { "pull", required_argument, NULL, O_PULL },
  { "detach-keys", required_argument, NULL, O_DETACHKEYS },
  { "help", no_argument, NULL, 'H' },
  { 0 },
};

static const char run_help[]
    = "Usage: capsa %s [OPTIONS] IMAGE [COMMAND] [ARG...]\n\n"
      "%s\n\n"
      "  -d, --detach               run in the background (a monitor keeps its logs) and print its id\n"
      "  -i, --interactive          keep stdin open (detached: for `capsa attach`)\n"
      "  -t, --tty                  allocate a pseudo-terminal (held by the monitor: `capsa attach`\n"
      "                             connects to it; with -i, run stays attached: ctrl-p ctrl-q detaches)\n"
      "      --detach-keys KEYS     the sequence that detaches run -it (default ctrl-p,ctrl-q)\n"
      "      --rm                   remove the container when it exits\n"
      "      --name NAME            name the container\n"
      "  -h, --hostname NAME        the container's host name (default: its short id)\n"
      "  -e, --env KEY[=VALUE]      set an environment variable (KEY alone: from this environment)\n"
      "      --env-file FILE        read KEY=VALUE lines from FILE\n"
      "  -w, --workdir DIR          working directory inside the container\n"
      "  -u, --user USER[:GROUP]    user name or uid (and group)\n"
      "      --entrypoint CMD       override the image's entrypoint (\"\": none)\n"
      "  -v, --volume SRC:DST[:ro]  bind mount a host path, or a named volume (NAME:DST), or an\n"
      "                             anonymous volume (DST alone)\n"
      "      --mount type=bind|volume|tmpfs,source=..,target=..[,readonly][,tmpfs-size=..]\n"
      "      --tmpfs DST[:OPTS]     mount a tmpfs\n"
      "      --read-only            read-only root filesystem\n"
      "  -m, --memory BYTES         memory limit (512m, 1g...)\n"
      "      --memory-swap BYTES    memory + swap limit (-1: unlimited)\n"
      "      --cpus N               CPU quota (0.5 = half a CPU)\n"
      "  -c, --cpu-shares N         relative CPU weight\n"
      "      --cpu-quota US         CPU time per period in microseconds (-1: none; at least 1000)\n"
      "      --cpu-period US        the CFS period in microseconds (1000 to 1000000; default 100000)\n"
      "      --cpuset-cpus LIST     CPUs allowed (0-1, 0,2)\n"
      "      --pids-limit N         most processes at once\n"
      "      --blkio-weight N       block I/O weight (10-1000)\n"
      "      --device HOST[:CTR][:rwm]  give a host device\n"
      "      --cap-add CAP, --cap-drop CAP   capabilities (ALL for all); the seccomp filter follows\n"
      "      --privileged           every capability, no seccomp, no masked paths, all devices\n"
      "      --security-opt OPT     seccomp=unconfined|FILE, no-new-privileges\n"
      "      --init                 a tiny init as PID 1 that reaps zombies and forwards signals\n"
      "      --restart POLICY       no, on-failure[:MAX], always, unless-stopped (detached)\n"
      "      --ulimit NAME=SOFT[:HARD]   resource limit (nofile=1024:2048)\n"
      "      --sysctl KEY=VALUE     namespaced kernel parameter\n"
      "      --shm-size BYTES       size of /dev/shm\n"
      "  -l, --label KEY=VALUE      metadata\n"
      "      --stop-signal SIG      signal `capsa stop` sends first (default SIGTERM)\n"
      "      --stop-timeout SECS    seconds `capsa stop` waits before SIGKILL (default 10)\n"
      "      --network MODE         bridge (root's default: the default network capsa0, NAT to the\n"
      "                             outside), none (loopback only), host, a network's name (`capsa\n"
      "                             network create`: containers on it resolve each other by name),\n"
      "                             container:NAME (share a running container's network), or\n"
      "                             slirp4netns[:OPTS] (user-mode networking, no root needed, the\n"
      "                             rootless default: tap0 10.0.2.100, DNS 10.0.2.3; OPTS:\n"
      "                             allow_host_loopback=true (reach the host's 127.0.0.1 at 10.0.2.2),\n"
      "                             mtu=N, cidr=CIDR, enable_ipv6=true, port_handler=slirp4netns)\n"
      "  -p, --publish [IP:][HOST:]CTR[/udp]  publish a port, reserved for the container's life (a\n"
      "                             bridge network or slirp4netns; no HOST: a free port; [IPV6]:HOST:CTR)\n"
      "  -P, --publish-all          publish every port the image exposes on a free host port\n"
      "      --userns MODE          host (root's default: none of its own), keep-id (rootless: your\n"
      "                             uid/gid inside as outside), auto[:size=N] (root: N free ids, 65536,\n"
      "                             from /etc/subuid's `containers` entry), ns:PATH (join it); without\n"
      "                             it a rootless container is root inside = you outside, 1..N = your\n"
      "                             /etc/subuid range\n"
      "      --uidmap C:H:S, --gidmap C:H:S   (root) map container ids C.. to host ids H.. (S of\n"
      "                             them; repeatable; --gidmap defaults to --uidmap)\n"
      "Rootless: no cgroup of its own on v1/hybrid hosts (resource flags are refused); network\n"
      "slirp4netns by default (none when it or /dev/net/tun is not usable), none or host.\n";

static char **
strv_new (void)
{
  return xmalloc0 (sizeof (char *));
}

static int
read_env_file (const char *path, char ***env, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  if (read_file_at (AT_FDCWD, path, &buf, NULL, err) < 0)
    return capsa_err_wrap (err, "--env-file");
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l; l = strtok_r (NULL, "\n", &save))
    {
      while (*l == ' ' || *l == '\t')
        l++;
      if (*l == '\0' || *l == '#')
        continue;
      l[strcspn (l, "\r")] = '\0';
      strv_append (env, l);
    }
  return 0;
}

struct parsed
{
  struct ctr_opts o;
  char **lists[16];
};

static void
parsed_free (struct ctr_opts *o)
{
  char ***all[] = { &o->env, &o->volumes, &o->mounts, &o->tmpfs, &o->devices, &o->cap_add, &o->cap_drop,
                    &o->security_opt, &o->ulimits, &o->sysctls, &o->labels, &o->publish, &o->uidmap, &o->gidmap };
  for (size_t i = 0; i < ARRAY_SIZE (all); i++)
    cleanup_strv_fn (all[i]);
}

static int
bytes_opt (const char *cmd, const char *flag, const char *v, long long *out, bool allow_minus1)
{
  if (allow_minus1 && strcmp (v, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  *out = parse_bytes (v);
  if (*out <= 0)
    return cli_usage (cmd, "%s: invalid size `%s` (a number with an optional unit: b, k, m, g)", flag, v);
  return 0;
}

static int
num_opt (const char *cmd, const char *flag, const char *v, long long min, long long max, long long *out)
{
  int64_t n;
  if (parse_i64 (v, min, max, &n) < 0)
    return cli_usage (cmd, "%s: invalid number `%s` (%lld to %lld)", flag, v, min, max);
  *out = n;
  return 0;
}

/* -v's shape, before anything is made: 1 to 3 fields split at `:`, none empty (docker: "empty
 * section between colons"); ctr_config.c checks what each field means.  (strtok there skipped
 * empty fields: `-v :/d` became an anonymous volume, `-v /tmp:` one at /tmp.) */
static int
volume_spec_ok (const char *cmd, const char *v)
{
  int fields = 1;
  if (*v == '\0')
    return cli_usage (cmd, "-v ``: an empty volume spec (want [SOURCE:]DESTINATION[:OPTIONS])");
  for (const char *p = v; *p; p++)
    if (*p == ':')
      {
        if (p == v || p[1] == '\0' || p[1] == ':')
          return cli_usage (cmd, "-v `%s`: an empty section between colons (want [SOURCE:]DESTINATION[:OPTIONS])", v);
        fields++;
      }
  if (fields > 3)
    return cli_usage (cmd, "-v `%s`: too many colons (want [SOURCE:]DESTINATION[:OPTIONS])", v);
  return 0;
}

/* Parse run/create flags; *first_arg = index of IMAGE. Returns 0, 1 for --help, or 125. */
static int
parse_run (const char *cmd, int argc, char **argv, struct ctr_opts *o)
{
  int c;
  capsa_err *err = NULL;
  o->stop_timeout = -1;
  char ***lists[] = { &o->env, &o->volumes, &o->mounts, &o->tmpfs, &o->devices, &o->cap_add, &o->cap_drop,
                      &o->security_opt, &o->ulimits, &o->sysctls, &o->labels, &o->publish, &o->uidmap, &o->gidmap };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    *lists[i] = strv_new ();
  opterr = 0;
  while ((c = cli_getopt (argc, argv, "+ditHh:e:w:u:v:m:c:l:p:P", run_opts)) != -1)
    {
      long long n = 0;
      switch (c)
        {
        case 'd':
          o->detach = true;
          break;
        case 'i':
          o->interactive = true;
          break;
        case 't':
          o->tty = true;
          break;
        case O_RM:
          o->rm = true;
          break;
        case O_NAME:
          if (!ctr_valid_name (optarg))
            return cli_usage (cmd, "--name: invalid container name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", optarg);
          o->name = optarg;
          break;
        case 'h':
          o->hostname = optarg;
          break;
        case 'e':
          strv_append (&o->env, optarg);
          break;
        case O_ENVFILE:
          if (read_env_file (optarg, &o->env, &err) < 0)
            return cli_fail (&err);
          break;
        case 'w':
          o->workdir = optarg;
          break;
        case 'u':
          o->user = optarg;
          break;
        case O_ENTRYPOINT:
          o->entrypoint = optarg;
          o->entrypoint_set = true;
          break;
        case 'v':
          if (volume_spec_ok (cmd, optarg))
            return CLI_EXIT_ERROR;
          strv_append (&o->volumes, optarg);
          break;
        case O_MOUNT:
          strv_append (&o->mounts, optarg);
          break;
        case O_TMPFS:
          strv_append (&o->tmpfs, optarg);
          break;
        case O_READONLY:
          o->read_only = true;
          break;
        case 'm':
          if (bytes_opt (cmd, "--memory", optarg, &o->memory, false))
            return CLI_EXIT_ERROR;
          break;
        case O_MEMSWAP:
          if (bytes_opt (cmd, "--memory-swap", optarg, &o->memory_swap, true))
            return CLI_EXIT_ERROR;
          break;
        case O_CPUS:
          {
            char *end;
            o->cpus = strtod (optarg, &end);
            if (*end || o->cpus <= 0)
              return cli_usage (cmd, "--cpus: invalid number `%s`", optarg);
            break;
          }
        case 'c':
          if (num_opt (cmd, "--cpu-shares", optarg, 2, 262144, &o->cpu_shares))
            return CLI_EXIT_ERROR;
          break;
        case O_CPUQUOTA:
          /* docker's range: -1 (none) or at least 1 ms; -2 was passed on by docker and ignored by
           * runc: refused here, as the kernel has no meaning for it */
          if (num_opt (cmd, "--cpu-quota", optarg, -1, INT64_MAX / 2, &o->cpu_quota))
            return CLI_EXIT_ERROR;
          if (o->cpu_quota > 0 && o->cpu_quota < 1000)
            return cli_usage (cmd, "--cpu-quota: %s is below 1000 microseconds, the least the kernel takes "
                                   "(-1 for no limit)", optarg);
          break;
        case O_CPUPERIOD:
          if (num_opt (cmd, "--cpu-period", optarg, 1000, 1000000, &o->cpu_period))
            return CLI_EXIT_ERROR;
          break;
        case O_CPUSET:
          o->cpuset_cpus = optarg;
          break;
        case O_PIDS:
          if (num_opt (cmd, "--pids-limit", optarg, -1, INT32_MAX, &o->pids_limit))
            return CLI_EXIT_ERROR;
          break;
        case O_BLKIO:
          if (num_opt (cmd, "--blkio-weight", optarg, 10, 1000, &o->blkio_weight))
            return CLI_EXIT_ERROR;
          break;
        case O_DEVICE:
          strv_append (&o->devices, optarg);
          break;
        case O_CAPADD:
          strv_append (&o->cap_add, optarg);
          break;
        case O_CAPDROP:
          strv_append (&o->cap_drop, optarg);
          break;
        case O_PRIV:
          o->privileged = true;
          break;
        case O_SECOPT:
          strv_append (&o->security_opt, optarg);
          break;
        case O_INIT:
          o->init = true;
          break;
        case O_RESTART:
          o->restart = optarg;
          break;
        case O_ULIMIT:
          strv_append (&o->ulimits, optarg);
          break;
        case O_SYSCTL:
          strv_append (&o->sysctls, optarg);
          break;
        case O_SHM:
          if (bytes_opt (cmd, "--shm-size", optarg, &o->shm_size, false))
            return CLI_EXIT_ERROR;
          break;
        case 'l':
          strv_append (&o->labels, optarg);
          break;
        case O_STOPSIG:
          o->stop_signal = optarg;
          break;
        case O_STOPTIMEOUT:
          if (num_opt (cmd, "--stop-timeout", optarg, -1, 86400, &n))
            return CLI_EXIT_ERROR;
          o->stop_timeout = (int) n;
          break;
        case O_NETWORK:
          o->network = optarg;
          break;
        case 'p':
          strv_append (&o->publish, optarg);
          break;
        case 'P':
          o->publish_all = true;
          break;
        case O_USERNS:
          o->userns = optarg;
          break;
        case O_UIDMAP:
          strv_append (&o->uidmap, optarg);
          break;
        case O_GIDMAP:
          strv_append (&o->gidmap, optarg);
          break;
        case O_DETACHKEYS:
          o->detach_keys = optarg;
          break;
        case O_PULL:
          if (strcmp (optarg, "never") != 0 && strcmp (optarg, "missing") != 0)
            return cli_usage (cmd, "--pull %s: pull with `capsa pull` first; run uses local images", optarg);
          break;
        case 'H':
          return 1;
        default:
          return cli_usage (cmd, "unknown option `%s`", argv[optind - 1]);
        }
    }
  if (optind >= argc)
    return cli_usage (cmd, "requires at least 1 argument (IMAGE)");
  o->image = argv[optind];
  o->cmd = argv + optind + 1;
  if (o->rm && o->restart && strcmp (o->restart, "no") != 0)
    return cli_usage (cmd, "conflicting options: --restart and --rm");
  if (o->cpus > 0 && (o->cpu_quota || o->cpu_period))
    return cli_usage (cmd, "conflicting options: --cpus and --cpu-quota/--cpu-period (--cpus sets both)");
  return 0;
}

/* The foreground: this process is the container's parent until it exits (a sealed copy: main.c). */
static int
run_foreground (struct cli_global *g, const struct ctr_opts *o, const char *id)
{
  capsa_err *err = NULL, *run_err = NULL;
  int code = capsa_ctr_run_foreground (&g->eng, id, o->interactive, o->tty, o->rm, &run_err, &err);
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
  if (ctr_load (&g->eng, id, &c, &err) < 0 || capsa_ctr_start (&g->eng, c, &fd, &err) < 0)
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
  const char *cmd = create ? "create" : "run";
  struct ctr_opts o = { 0 };
  char id[CTR_ID_LEN + 1];
  capsa_err *err = NULL;
  int r = parse_run (cmd, argc, argv, &o);
  if (r == 1)
    {
      printf (run_help, cmd, create ? "Create a container from IMAGE (started later by `capsa start`)."
                                    : "Run a command in a new container from IMAGE.");
      parsed_free (&o);
      return 0;
    }
  if (r != 0)
    {
      parsed_free (&o);
      return r;
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
  if (capsa_ctr_create (&g->eng, &o, id, &err) < 0)
    {
      parsed_free (&o);
      return cli_fail (&err);
    }
  fault_point ("cli:recorded");
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
  r = run_foreground (g, &o, id);
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

int
cmd_start (struct cli_global *g, int argc, char **argv)
{
  enum
  {
    O_DETACH_KEYS = 1000,
  };
  static const struct option opts[] = { { "attach", no_argument, NULL, 'a' },
                                        { "interactive", no_argument, NULL, 'i' },
                                        { "detach-keys", required_argument, NULL, O_DETACH_KEYS },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  bool attach = false, interactive = false;
  const char *keys = NULL;
  int o;
  opterr = 0;
  while ((o = getopt_long (argc, argv, "+aih", opts, NULL)) != -1)
    switch (o)
      {
      case 'a':
        attach = true;
        break;
      case 'i':
        interactive = true;
        break;
      case O_DETACH_KEYS:
        keys = optarg;
        break;
      case 'h':
        printf ("Usage: capsa start [OPTIONS] CONTAINER...\n\nStart created or stopped containers (in the "
                "background, each with its monitor).\n\n"
                "  -a, --attach               attach to its output (and exit with its code)\n"
                "  -i, --interactive          attach its input too (it was made with -i)\n"
                "      --detach-keys KEYS     the sequence that detaches (default ctrl-p,ctrl-q)\n");
        return 0;
      default:
        return cli_usage ("start", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return cli_usage ("start", "requires at least 1 argument (CONTAINER)");
  if ((attach || interactive) && optind + 1 != argc)
    return cli_usage ("start", "-a and -i attach to one container only");
  struct start_how how = { attach || interactive, interactive, keys, -1 };
  int status = cli_ctr_for_each (g, argv + optind, argc - optind, false, start_one, &how);
  return how.code >= 0 ? how.code : status;
}

/* `capsa __monitor start|stopped [--create|--final|--restart] ID`: what capsa-monitor execs for
 * the steps that need the library (capsa/engine.h). */
int
cmd_monitor_helper (struct cli_global *g, int argc, char **argv)
{
  const char *flag = argc == 4 ? argv[2] : NULL;
  if (argc != 3 && !(flag && (strcmp (flag, "--create") == 0 || strcmp (flag, "--final") == 0
                              || strcmp (flag, "--restart") == 0)))
    return cli_usage ("__monitor", "for capsa-monitor only");
  const char *id = argv[argc - 1];
  if (strcmp (argv[1], "start") == 0)
    return capsa_ctr_monitor_start (&g->eng, id, flag && strcmp (flag, "--create") == 0,
                                    flag && strcmp (flag, "--restart") == 0);
  if (strcmp (argv[1], "stopped") == 0)
    return capsa_ctr_monitor_stopped (&g->eng, id, flag && strcmp (flag, "--final") == 0);
  return cli_usage ("__monitor", "for capsa-monitor only");
}
