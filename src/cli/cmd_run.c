/* capsa run / create / start: a container from an image, through the library directly.
 *
 * run -d and create hand the container to a monitor (ctr_monitor.c, src/monitor); run in the foreground keeps
 * it in this process (the library's run loop: pty, signals, wait), then records the exit code. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "ctr_logtee.h"
#include "fault.h"
#include "image.h"
#include "reference.h"
#include "image_rootfs.h"
#include "util.h"

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
  if (!ctr_valid_name (v))
    return capsa_fail_as (err, EINVAL, "--name: invalid container name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", v);
  return 0;
}

static int
pull_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "never") != 0 && strcmp (v, "missing") != 0)
    return capsa_fail_as (err, EINVAL, "--pull %s: pull with `capsa pull` first; run uses local images", v);
  return 0;
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

#define O struct ctr_opts
static const struct capsa_opt run_opts[] = {
  CAPSA_O_BOOL ('d', "detach", O, detach, "run in the background (a monitor keeps its logs) and print its id"),
  CAPSA_O_BOOL ('i', "interactive", O, interactive, "keep stdin open (detached: for `capsa attach`)"),
  CAPSA_O_BOOL ('t', "tty", O, tty, "allocate a pseudo-terminal (held by the monitor: `capsa attach`\n"
                                    "connects to it; with -i, run stays attached: ctrl-p ctrl-q detaches)"),
  CAPSA_O_STR (0, "detach-keys", O, detach_keys, "KEYS", "the sequence that detaches run -it (default ctrl-p,ctrl-q)"),
  CAPSA_O_BOOL (0, "rm", O, rm, "remove the container when it exits"),
  CAPSA_O_STR (0, "name", O, name, "NAME", "name the container", .check = name_ok),
  CAPSA_O_STR ('h', "hostname", O, hostname, "NAME", "the container's host name (default: its short id)"),
  CAPSA_O_LIST ('e', "env", O, env, "KEY[=VALUE]", "set an environment variable (KEY alone: from this environment)"),
  CAPSA_O_CALL (0, "env-file", set_env_file, "FILE", "read KEY=VALUE lines from FILE"),
  CAPSA_O_STR ('w', "workdir", O, workdir, "DIR", "working directory inside the container"),
  CAPSA_O_STR ('u', "user", O, user, "USER[:GROUP]", "user name or uid (and group)"),
  CAPSA_O_CALL (0, "entrypoint", set_entrypoint, "CMD", "override the image's entrypoint (\"\": none)"),
  CAPSA_O_LIST ('v', "volume", O, volumes, "SRC:DST[:ro]",
                "bind mount a host path, or a named volume (NAME:DST), or an\n"
                "anonymous volume (DST alone)",
                .check = volume_spec_ok),
  CAPSA_O_LIST (0, "mount", O, mounts, "type=bind|volume|tmpfs,source=..,target=..[,readonly][,tmpfs-size=..]", ""),
  CAPSA_O_LIST (0, "tmpfs", O, tmpfs, "DST[:OPTS]", "mount a tmpfs"),
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
  CAPSA_O_LIST (0, "device", O, devices, "HOST[:CTR][:rwm]", "give a host device"),
  CAPSA_O_LIST (0, "cap-add", O, cap_add, "CAP", "add a capability (ALL for all); the seccomp filter follows"),
  CAPSA_O_LIST (0, "cap-drop", O, cap_drop, "CAP", "drop a capability (ALL for all)"),
  CAPSA_O_BOOL (0, "privileged", O, privileged, "every capability, no seccomp, no masked paths, all devices"),
  CAPSA_O_LIST (0, "security-opt", O, security_opt, "OPT", "seccomp=unconfined|FILE, no-new-privileges"),
  CAPSA_O_BOOL (0, "init", O, init, "a tiny init as PID 1 that reaps zombies and forwards signals"),
  CAPSA_O_STR (0, "restart", O, restart, "POLICY", "no, on-failure[:MAX], always, unless-stopped (detached)"),
  CAPSA_O_LIST (0, "ulimit", O, ulimits, "NAME=SOFT[:HARD]", "resource limit (nofile=1024:2048)"),
  CAPSA_O_LIST (0, "sysctl", O, sysctls, "KEY=VALUE", "namespaced kernel parameter"),
  CAPSA_O_SIZE (0, "shm-size", O, shm_size, "BYTES", "size of /dev/shm"),
  CAPSA_O_LIST ('l', "label", O, labels, "KEY=VALUE", "metadata"),
  CAPSA_O_STR (0, "stop-signal", O, stop_signal, "SIG", "signal `capsa stop` sends first (default SIGTERM)"),
  CAPSA_O_INT (0, "stop-timeout", O, stop_timeout, -1, 86400, "SECS",
               "seconds `capsa stop` waits before SIGKILL (default 10)"),
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
  /* only local images: the value is checked, then dropped (parse_run sets image after) */
  CAPSA_O_STR (0, "pull", O, image, "never|missing", NULL, .check = pull_ok),
  CAPSA_O_HELP ('H'),
  CAPSA_O_END,
};
#undef O

static const char run_footer[]
    = "Rootless: no cgroup of its own on v1/hybrid hosts (resource flags are refused); network\n"
      "slirp4netns by default (none when it or /dev/net/tun is not usable), none or host.\n";

const struct cli_spec cli_spec_run = { "run", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                       "Run a command in a new container from IMAGE.", run_opts, CAPSA_OPT_STOP,
                                       run_footer };
const struct cli_spec cli_spec_create = { "create", "[OPTIONS] IMAGE [COMMAND] [ARG...]",
                                          "Create a container from IMAGE (started later by `capsa start`).",
                                          run_opts, CAPSA_OPT_STOP, run_footer };

/* Parse run/create flags into o (its lists allocated: parsed_free frees them, whatever the
 * result): 1, or minus the command's exit status (0 after --help, 125), as cli_parse. */
static int
parse_run (const struct cli_spec *spec, int argc, char **argv, struct ctr_opts *o)
{
  const char *cmd = spec->name;
  o->stop_timeout = -1;
  char ***lists[] = { &o->env, &o->volumes, &o->mounts, &o->tmpfs, &o->devices, &o->cap_add, &o->cap_drop,
                      &o->security_opt, &o->ulimits, &o->sysctls, &o->labels, &o->publish, &o->uidmap, &o->gidmap };
  for (size_t i = 0; i < ARRAY_SIZE (lists); i++)
    *lists[i] = strv_new ();
  int first = cli_parse (spec, argc, argv, o);
  if (first <= 0)
    return first;
  if (first >= argc)
    return -cli_usage (cmd, "requires at least 1 argument (IMAGE)");
  o->image = argv[first];
  o->cmd = argv + first + 1;
  if (o->cpu_quota > 0 && o->cpu_quota < 1000)
    return -cli_usage (cmd, "--cpu-quota: %lld is below 1000 microseconds, the least the kernel takes "
                            "(-1 for no limit)", o->cpu_quota);
  if (o->rm && o->restart && strcmp (o->restart, "no") != 0)
    return -cli_usage (cmd, "conflicting options: --restart and --rm");
  if (o->cpus > 0 && (o->cpu_quota || o->cpu_period))
    return -cli_usage (cmd, "conflicting options: --cpus and --cpu-quota/--cpu-period (--cpus sets both)");
  return 1;
}

static void
random_name (char *buf, size_t len, const char *id, int attempt)
{
  static const char *adj[] = { "brave", "calm", "eager", "fond", "gentle", "happy", "keen", "lucid",
                               "merry", "nimble", "proud", "quiet", "sharp", "tender", "vivid", "witty" };
  static const char *noun[] = { "ada", "babbage", "curie", "dijkstra", "euler", "fermi", "gauss", "hopper",
                                "knuth", "lovelace", "noether", "pascal", "ritchie", "shannon", "turing", "wirth" };
  unsigned a = (unsigned) strtoul ((char[]){ id[0], id[1], 0 }, NULL, 16);
  unsigned b = (unsigned) strtoul ((char[]){ id[2], id[3], 0 }, NULL, 16);
  if (attempt == 0)
    snprintf (buf, len, "%s_%s", adj[a % 16], noun[b % 16]);
  else
    snprintf (buf, len, "%s_%s_%.6s", adj[a % 16], noun[b % 16], id + 4 + attempt);
}

/* The bundle's config.json and container.json. */
static int
write_record (struct cli_global *g, const char *id, const char *name, const char *rootfs, json_t *config, json_t *meta,
              capsa_err **err)
{
  cleanup_free char *nm = xasprintf ("/%s", name);
  json_object_set_new (meta, "Name", json_string (nm));
  cleanup_free char *dir = xasprintf ("%s/containers/%s", g->root, id);
  cleanup_free char *bundle = xasprintf ("%s/bundle", dir);
  cleanup_free char *drvp = xasprintf ("%s/driver", dir);
  cleanup_free char *drv = NULL;
  if (read_file_at (AT_FDCWD, drvp, &drv, NULL, NULL) == 0)
    json_object_set_new (meta, "Driver", json_string (drv));
  json_object_set_new (meta, "GraphDriver",
                       json_pack ("{s:s, s:{s:s, s:s}}", "Name", drv ? drv : "overlay", "Data", "MergedDir", rootfs,
                                  "UpperDir", dir));
  /* 0711: a container root mapped to another host uid must be able to enter it (config.json
   * stays 0600) */
  if (mkdir (bundle, 0711) < 0)
    {
      capsa_fail (err, errno, "mkdir `%s`", bundle);
      return -1;
    }
  cleanup_free char *cs = json_dumps (config, JSON_INDENT (1));
  cleanup_free char *ms = json_dumps (meta, JSON_INDENT (1));
  cleanup_free char *cp = xasprintf ("%s/config.json", bundle);
  cleanup_free char *mp = xasprintf ("%s/container.json", dir);
  if (write_file_replace_at (AT_FDCWD, cp, cs, strlen (cs), 0600, err) < 0
      || write_file_replace_at (AT_FDCWD, mp, ms, strlen (ms), 0600, err) < 0) /* (its env: secrets) */
    return -1;
  return 0;
}

/* Claim --name, or a random name (a few tries), for container id. */
static int
claim_name (struct cli_global *g, const struct ctr_opts *o, const char *id, char *name, size_t len, capsa_err **err)
{
  if (o->name)
    {
      snprintf (name, len, "%s", o->name);
      return ctr_name_reserve (g, name, id, err);
    }
  for (int attempt = 0;; attempt++)
    {
      cleanup_err capsa_err *ne = NULL;
      random_name (name, len, id, attempt);
      if (ctr_name_reserve (g, name, id, &ne) == 0)
        return 0;
      if (attempt == 7)
        {
          *err = take_ptr (&ne);
          return -1;
        }
    }
}

/* Make the container: root filesystem, bundle, record.  *id_out (65 bytes) gets its id.
 * typed (may be NULL): the config just written, parsed from memory for a create in this process
 * (NULL when it does not parse: the runtime then reads the file and says why, as before). */
static int
prepare (struct cli_global *g, const struct ctr_opts *o, char *id, struct capsa_config **typed, capsa_err **err)
{
  cleanup_store struct capsa_store *s = NULL;
  json_t *idx = NULL, *imgcfg = NULL, *config = NULL, *meta = NULL;
  cleanup_free char *rootfs = NULL;
  char name[96];
  int r = -1;
  bool named = false, mounted = false;

  ctr_new_id (id);
  if (capsa_store_open (g->root, &s, err) < 0 || capsa_index_read (s, &idx, err) < 0)
    return -1;
  /* held until the record is complete: ps/rm/prune tell this creation from a dead one by it */
  int lock = ctr_creating_lock (g, id, err);
  if (lock < 0)
    {
      json_decref (idx);
      return -1;
    }
  json_t *img = capsa_image_find (idx, o->image, g->default_registry, NULL);
  if (img == NULL)
    {
      json_decref (idx);
      ctr_creating_done (g, id, lock);
      struct capsa_ref ref = { 0 };
      /* not an id nor a stored name: a malformed name says so (docker: "invalid reference format") */
      if (capsa_ref_parse (o->image, g->default_registry, &ref, err) < 0)
        return capsa_err_wrap (err, "invalid reference format");
      capsa_ref_free (&ref);
      return capsa_fail_as (err, ENOENT, "image '%s' not found locally; pull it with `capsa pull %s` (or make one "
                                         "with `capsa import`/`capsa load`)",
                            o->image, o->image);
    }
  cleanup_free char *image_id = xstrdup (json_string_value (json_object_get (img, "id")));
  json_decref (idx);
  {
    /* checked by type before anything is made: a bad config leaves no container behind */
    struct capsa_image_config ic;
    if (capsa_image_config_load (s, image_id, o->image, &ic, err) < 0)
      goto out;
    imgcfg = json_incref (ic.raw);
    capsa_image_config_free (&ic);
  }
  if (claim_name (g, o, id, name, sizeof name, err) < 0)
    goto out;
  named = true;
  capsa_fault_point ("cli:claimed");
  if (o->un && (o->un->new_ns || (o->un->path && o->un->uidmap)) && !g->rootless)
    {
      /* the shared layers seen through idmapped mounts: the container's root owns its image */
      cleanup_free char *um = ctr_userns_map_text (o->un->uidmap), *gm = ctr_userns_map_text (o->un->gidmap);
      if (capsa_rootfs_mount_idmapped (s, image_id, id, g->default_registry, um, gm, &rootfs, err) < 0)
        goto out;
    }
  else if (capsa_rootfs_mount (s, image_id, id, g->default_registry, CAPSA_ROOTFS_AUTO, &rootfs, err) < 0)
    goto out;
  mounted = true;
  capsa_fault_point ("cli:mounted");
  if (ctr_build (g, o, id, rootfs, image_id, imgcfg, &config, &meta, err) < 0)
    goto out;
  if (write_record (g, id, name, rootfs, config, meta, err) < 0)
    goto out;
  if (typed)
    cfg_parse_json (config, "config.json", typed, NULL);
  r = 0;
out:
  json_decref (imgcfg);
  json_decref (config);
  json_decref (meta);
  if (r < 0)
    {
      cleanup_err capsa_err *e = NULL;
      if (mounted)
        capsa_rootfs_unmount (s, id, &e);
      if (named)
        ctr_name_release (g, name, id);
    }
  ctr_creating_done (g, id, lock);
  return r;
}

static void
record (const char *dir, json_t *changes)
{
  cleanup_err capsa_err *e = NULL;
  char now[48];
  now_rfc3339 (now, sizeof now);
  if (!json_object_get (changes, "StartedAt") && json_object_get (changes, "ExitCode"))
    json_object_set_new (changes, "FinishedAt", json_string (now));
  ctr_run_update (dir, changes, &e);
  json_decref (changes);
}

/* The foreground: this process is the container's parent until it exits. */
static int
run_foreground (struct cli_global *g, const struct ctr_opts *o, const char *id, struct capsa_config *typed)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  if (ctr_load (g, id, &c, &err) < 0)
    return cli_fail (&err);
  if (!o->interactive)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      dup2 (null, 0);
      close (null);
    }
  uint64_t start = 0;
  char now[48];
  now_rfc3339 (now, sizeof now);
  proc_stat_start (getpid (), &start, NULL);
  record (c->dir, json_pack ("{s:I, s:I, s:s}", "MonitorPid", (json_int_t) getpid (), "MonitorStart",
                             (json_int_t) start, "StartedAt", now));
  cleanup_free char *bundle = xasprintf ("%s/bundle", c->dir);
  long long ooms = -1;
  struct capsa_create_opts co = { .root = c->oci_root, .id = c->id, .bundle = bundle, .oom_kills = &ooms,
                                  .config = typed };
  int status = 0, code;
  if (ctr_net_up (g, c, &err) < 0)
    {
      record (c->dir, json_pack ("{s:i, s:s}", "ExitCode", CLI_EXIT_ERROR, "Error", err->msg));
      if (o->rm)
        {
          cleanup_err capsa_err *re = NULL;
          ctr_remove (g, c, true, true, &re);
        }
      return cli_fail (&err);
    }
  /* its output to ctr.log too, as a monitor would (with -t: what the pty's master gives, all of
   * it stdout, as docker logs a tty container) */
  struct ctr_logtee tee = { .pid = -1 };
  if (ctr_logtee_start (&tee, c->dir, &err) < 0)
    capsa_err_free (&err); /* (the run goes on without a log) */
  int ran = capsa_container_run (&co, &status, &err);
  ctr_logtee_stop (&tee);
  if (ran < 0)
    {
      code = ctr_exec_error_code (err);
      record (c->dir, json_pack ("{s:i, s:s}", "ExitCode", code, "Error", err->msg));
      fprintf (stderr, "capsa: %s\n", err->msg);
      capsa_err_free (&err);
    }
  else
    {
      code = status;
      record (c->dir, json_pack ("{s:i, s:b}", "ExitCode", code, "OOMKilled", ooms > 0));
    }
  ctr_net_down (g, c);
  ctr_refresh (g, c);
  if (o->rm)
    {
      if (ctr_remove (g, c, true, true, &err) < 0)
        cli_fail (&err);
    }
  else if (ctr_root_release (g, c->id, &err) < 0)
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
  if (ctr_load (g, id, &c, &err) < 0 || ctr_start_attach (g, c, &fd, &err) < 0)
    {
      if (fd >= 0)
        close (fd);
      return cli_fail (&err);
    }
  int code = ctr_attach_stream (g, c, fd, true, true, keys, &err);
  if (code < 0)
    return cli_fail (&err);
  /* --rm: gone when run returns, as docker's; its monitor removes it once it has exited (not
   * when detached: it runs on) */
  bool rm = json_is_true (json_object_get (json_object_get (c->meta, "HostConfig"), "AutoRemove"));
  for (int i = 0; rm && i < 250 && access (c->dir, F_OK) == 0 && ctr_monitor_alive (c); i++)
    {
      ctr_refresh (g, c);
      if (c->status == CTR_RUNNING || c->status == CTR_PAUSED)
        break;
      nanosleep (&(struct timespec){ 0, 20 * 1000000 }, NULL);
    }
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
  struct ctr_userns un = { .lockfd = -1 };
  if (ctr_userns_resolve (g, &o, &un, &err) < 0)
    {
      ctr_userns_free (&un);
      parsed_free (&o);
      return cli_fail (&err);
    }
  o.un = &un;
  cleanup_config struct capsa_config *typed = NULL;
  r = prepare (g, &o, id, o.detach ? NULL : &typed, &err);
  ctr_userns_free (&un); /* (the auto range is recorded now: its lock can go) */
  o.un = NULL;
  if (r < 0)
    {
      parsed_free (&o);
      return cli_fail (&err);
    }
  capsa_fault_point ("cli:recorded");
  if (o.detach)
    {
      int code;
      if (ctr_monitor_spawn (g, id, create || attached, &code, &err) < 0)
        {
          fprintf (stderr, "capsa: %s\n", err->msg);
          capsa_err_free (&err);
          cleanup_ctr struct ctr *c = NULL;
          if (ctr_load (g, id, &c, NULL) == 0 && (o.rm || code == CLI_EXIT_ERROR))
            {
              /* nothing ran: leave nothing behind (docker keeps a created record; capsa does not) */
              ctr_remove (g, c, true, true, &err);
              capsa_err_free (&err);
            }
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

/* Release a created container's init (its monitor is there since create). */
static int
start_created (struct ctr *c, capsa_err **err)
{
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  unlink (stop);
  if (capsa_container_start (c->oci_root, c->id, err) < 0)
    return -1;
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_t *ch = json_pack ("{s:s}", "StartedAt", now);
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  return 0;
}

/* Start a created container, or a stopped one again (a new monitor).  With attach_fd, connected
 * to the monitor before the container runs, so that none of its output is missed: a stopped one
 * is created first, then attached, then started. */
int
ctr_start_attach (struct cli_global *g, struct ctr *c, int *attach_fd, capsa_err **err)
{
  cleanup_free char *oci = xasprintf ("%s/%s", c->oci_root, c->id);
  switch (c->status)
    {
    case CTR_RUNNING:
    case CTR_RESTARTING:
      return attach_fd ? ctr_attach_connect (c, attach_fd, err) : 0;
    case CTR_PAUSED:
      return capsa_fail_as (err, EINVAL, "container %s is paused: unpause it with `capsa unpause %s`", ctr_name (c),
                            ctr_name (c));
    case CTR_DEAD:
      return capsa_fail_as (err, EINVAL, "container %s was not fully created (its `capsa run` or `create` died): "
                                         "remove it with `capsa rm %s`",
                            ctr_name (c), ctr_name (c));
    case CTR_CREATED:
      if (access (oci, F_OK) == 0)
        {
          if (attach_fd && ctr_attach_connect (c, attach_fd, err) < 0)
            return -1;
          return start_created (c, err);
        }
      /* fall through: a record without a runtime container (its create never finished) */
      __attribute__ ((fallthrough));
    case CTR_EXITED:
    default:
      {
        cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
        cleanup_err capsa_err *de = NULL;
        if (access (oci, F_OK) == 0)
          capsa_container_delete (c->oci_root, c->id, true, &de);
        unlink (stop);
        json_t *ch = json_pack ("{s:n, s:n, s:b}", "FinishedAt", "Error", "Restarting", 0);
        json_object_del (ch, "FinishedAt");
        ctr_run_update (c->dir, ch, NULL);
        json_decref (ch);
        /* The last run's monitor records the exit first and releases the network after: a new
         * monitor attaching before that release ends would see it undone (its netns, its lease). */
        for (int i = 0; i < 250 && ctr_monitor_alive (c); i++)
          nanosleep (&(struct timespec){ 0, 20 * 1000000 }, NULL);
        if (ctr_monitor_alive (c))
          return capsa_fail_as (err, EBUSY, "container %s is still stopping", ctr_name (c));
        /* run.json keeps the last exit until the new start is recorded */
        int code;
        if (ctr_monitor_spawn (g, c->id, attach_fd != NULL, &code, err) < 0)
          return -1;
        if (attach_fd == NULL)
          return 0;
        if (ctr_attach_connect (c, attach_fd, err) < 0)
          return -1;
        return start_created (c, err);
      }
    }
}

int
ctr_start (struct cli_global *g, struct ctr *c, capsa_err **err)
{
  return ctr_start_attach (g, c, NULL, err);
}

struct start_opts
{
  bool attach, interactive;
  const char *keys;
};

static const struct capsa_opt start_opts[] = {
  CAPSA_O_BOOL ('a', "attach", struct start_opts, attach, "attach to its output (and exit with its code)"),
  CAPSA_O_BOOL ('i', "interactive", struct start_opts, interactive, "attach its input too (it was made with -i)"),
  CAPSA_O_STR (0, "detach-keys", struct start_opts, keys, "KEYS", "the sequence that detaches (default ctrl-p,ctrl-q)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_start
    = { "start", "[OPTIONS] CONTAINER...",
        "Start created or stopped containers (in the background, each with its monitor).", start_opts,
        CAPSA_OPT_STOP, NULL };

int
cmd_start (struct cli_global *g, int argc, char **argv)
{
  struct start_opts so = { 0 };
  int status = 0, first = cli_parse (&cli_spec_start, argc, argv, &so);
  if (first <= 0)
    return -first;
  bool attach = so.attach, interactive = so.interactive;
  const char *keys = so.keys;
  if (first >= argc)
    return cli_usage ("start", "requires at least 1 argument (CONTAINER)");
  if ((attach || interactive) && first + 1 != argc)
    return cli_usage ("start", "-a and -i attach to one container only");
  for (int i = first; i < argc; i++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      int fd = -1;
      if (ctr_find (g, argv[i], &c, &err) < 0
          || ctr_start_attach (g, c, attach || interactive ? &fd : NULL, &err) < 0)
        {
          if (fd >= 0)
            close (fd);
          status = cli_fail (&err);
        }
      else if (fd >= 0)
        {
          int code = ctr_attach_stream (g, c, fd, interactive, true, keys, &err);
          return code < 0 ? cli_fail (&err) : code;
        }
      else
        printf ("%s\n", argv[i]);
    }
  return status;
}
