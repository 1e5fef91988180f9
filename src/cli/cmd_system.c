/* capsa inspect (containers, then images), info, version, system df, and `capsa container ...`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <getopt.h>

#include "cli.h"
#include "ctr.h"
#include "ctr_net.h"
#include "template.h"
#include "network.h"
#include "ctr_isolation.h"
#include "fsops.h"
#include "image.h"
#include "util.h"

int cmd_container_prune (struct cli_global *g, int argc, char **argv);

static json_t *
ctr_inspect_json (struct ctr *c)
{
  json_t *out = json_deep_copy (c->meta);
  json_t *run = c->run;
  json_object_del (out, "AnonymousVolumes");
  json_object_del (out, "ImageName");
  json_object_set_new (
      out, "State",
      json_pack ("{s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:i, s:s, s:s, s:s}", "Status", ctr_status_name (c->status),
                 "Running", c->status == CTR_RUNNING || c->status == CTR_PAUSED, "Paused", c->status == CTR_PAUSED,
                 "Restarting", c->status == CTR_RESTARTING, "OOMKilled", json_is_true (json_object_get (run, "OOMKilled")), "Dead", c->status == CTR_DEAD, "Pid", (json_int_t) c->pid,
                 "ExitCode", c->exit_code < 0 ? 0 : c->exit_code, "Error",
                 json_string_value (json_object_get (run, "Error")) ?: "", "StartedAt",
                 json_string_value (json_object_get (run, "StartedAt")) ?: "0001-01-01T00:00:00Z", "FinishedAt",
                 json_string_value (json_object_get (run, "FinishedAt")) ?: "0001-01-01T00:00:00Z"));
  json_object_set_new (out, "RestartCount", json_integer (json_integer_value (json_object_get (run, "RestartCount"))));
  json_object_set_new (out, "LogPath", json_string (""));
  cleanup_free char *lp = xasprintf ("%s/ctr.log", c->dir);
  json_object_set_new (out, "LogPath", json_string (lp));
  /* docker's shape: the addresses at the top and under Networks.NAME (one network per container) */
  json_t *ns = json_pack ("{s:{}}", "Ports"), *addrs = json_object_get (run, "Network");
  const char *mode = json_string_value (json_object_get (json_object_get (c->meta, "HostConfig"), "NetworkMode"));
  if (json_is_object (addrs) && c->status != CTR_CREATED && c->status != CTR_EXITED && c->status != CTR_DEAD)
    {
      json_object_update (ns, addrs);
      json_object_set_new (ns, "Networks", json_pack ("{s:O}", mode ?: "bridge", addrs));
    }
  json_t *ports = ctr_ports_live (c); /* docker's {"80/tcp": [{"HostIp", "HostPort"}]} */
  if (ports)
    json_object_set (ns, "Ports", ports);
  json_object_set_new (out, "NetworkSettings", ns);
  return out;
}

json_t *inspect_one (struct cli_global *g, struct capsa_store *s, json_t *img, capsa_err **err); /* cmd_inspect.c */

/* One NAME of `capsa inspect`: a container first, else (unless only_ctr) an image; what is neither
 * is reported and the others still printed, as docker ("no such object", exit 1).  *s and *idx:
 * the image store and index, opened at the first name that is not a container. */
static int
inspect_lookup (struct cli_global *g, const char *name, bool only_ctr, bool isolation, json_t *arr,
                struct capsa_store **s, json_t **idx, capsa_err **err)
{
  cleanup_ctr struct ctr *c = NULL;
  if (ctr_find (&g->eng, name, &c, err) == 0)
    {
      json_t *rep = NULL;
      if (isolation && ctr_isolation (&g->eng, c, &rep, err) < 0)
        return -1;
      json_array_append_new (arr, isolation ? rep : ctr_inspect_json (c));
      return 0;
    }
  if (only_ctr)
    return -1;
  capsa_err_free (err);
  if (*s == NULL && capsa_store_open (g->eng.root, s, err) < 0)
    return -1;
  if (*idx == NULL && capsa_index_read (*s, idx, err) < 0)
    return -1;
  json_t *img = capsa_image_find (*idx, name, g->eng.default_registry, NULL);
  if (img == NULL)
    return capsa_fail_as (err, ENOENT, "no such object: %s", name);
  json_t *one = inspect_one (g, *s, img, err);
  if (one == NULL)
    return -1;
  json_array_append_new (arr, one);
  return 0;
}

/* capsa inspect / container inspect: containers first, then images. */
int
cmd_inspect_any (struct cli_global *g, int argc, char **argv)
{
  const char *format = NULL;
  bool only_ctr = strcmp (argv[0], "container-inspect") == 0;
  bool isolation = false;
  json_t *arr = json_array (), *idx = NULL;
  cleanup_store struct capsa_store *store = NULL;
  int nargs = 0, status = 0;
  for (int i = 1; i < argc; i++)
    if (strcmp (argv[i], "--isolation") == 0)
      isolation = true;
  if (isolation)
    only_ctr = true;
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          json_decref (arr);
          printf ("Usage: capsa inspect [--format TEMPLATE] [--isolation] NAME...\n\n"
                  "Details of containers or images as JSON.\n\n"
                  "  -f, --format TEMPLATE  a Go template for each one ({{.Name}} {{.Id}}, {{json .State}},\n"
                  "                         {{range}}, {{index}}, {{if}}); with --isolation:\n"
                  "                         json, table (the default) or a template\n"
                  "      --isolation        how isolated a running container is, read live from the kernel:\n"
                  "                         namespaces against the host's, user mapping, cgroup limits in\n"
                  "                         force, capabilities, no_new_privs, seccomp, masked and read-only\n"
                  "                         paths, and what is still shared with the host\n");
          return 0;
        }
      if (strcmp (argv[i], "--isolation") == 0)
        continue;
      if ((strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--format") == 0) && i + 1 < argc)
        {
          format = argv[++i];
          continue;
        }
      if (strncmp (argv[i], "--format=", 9) == 0)
        {
          format = argv[i] + 9;
          continue;
        }
      if (strcmp (argv[i], "--type") == 0 && i + 1 < argc)
        {
          only_ctr = strcmp (argv[++i], "container") == 0;
          continue;
        }
      nargs++;
      capsa_err *err = NULL;
      if (inspect_lookup (g, argv[i], only_ctr, isolation, arr, &store, &idx, &err) < 0)
        status = isolation ? cli_fail (&err) : (cli_fail (&err), 1); /* docker's inspect: 1 */
    }
  json_decref (idx);
  if (nargs == 0)
    {
      json_decref (arr);
      return cli_usage ("inspect", "requires at least 1 argument");
    }
  size_t i;
  json_t *v;
  if (isolation && (format == NULL || strcmp (format, "table") == 0))
    json_array_foreach (arr, i, v)
    {
      if (i > 0)
        putchar ('\n');
      ctr_isolation_print (v);
    }
  else if (isolation && strcmp (format, "json") == 0)
    {
      char *s = json_dumps (arr, JSON_INDENT (4));
      puts (s);
      free (s);
    }
  else if (format)
    {
      capsa_err *err = NULL;
      int r = cli_template_print_each (format, arr, &err);
      json_decref (arr);
      return r < 0 ? cli_fail (&err) : status;
    }
  else
    {
      char *s = json_dumps (arr, JSON_INDENT (4));
      puts (s);
      free (s);
    }
  json_decref (arr);
  return status;
}

int
cmd_version (struct cli_global *g, int argc, char **argv)
{
  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: capsa version\n\nPrint the version.\n");
      return 0;
    }
  struct utsname u;
  uname (&u);
  printf ("Client/Engine: capsa (daemonless)\n Version:     %s\n OS/Arch:     linux/%s\n Kernel:      %s\n",
          CAPSA_VERSION, capsa_host_arch (NULL), u.release);
  return 0;
}

static void
count_ctrs (struct cli_global *g, int *all, int *running, int *paused, int *stopped)
{
  cleanup_strv char **ids = ctr_list_ids (&g->eng);
  *all = *running = *paused = *stopped = 0;
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      if (ctr_load (&g->eng, *id, &c, NULL) < 0)
        continue;
      (*all)++;
      if (c->status == CTR_RUNNING)
        (*running)++;
      else if (c->status == CTR_PAUSED)
        (*paused)++;
      else
        (*stopped)++;
    }
}

static const struct cli_sub_usage system_usage[] = {
  { "df", "Usage: capsa system df\n\nDisk space used by images, containers and volumes.\n" },
  { "info", "Usage: capsa system info\n\nWhat capsa sees: containers, images, storage, kernel (also `capsa info`).\n" },
};

int
cmd_info (struct cli_global *g, int argc, char **argv)
{
  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      fputs (system_usage[1].usage, stdout);
      return 0;
    }
  int all, running, paused, stopped;
  struct utsname u;
  count_ctrs (g, &all, &running, &paused, &stopped);
  uname (&u);
  cleanup_store struct capsa_store *s = NULL;
  json_t *idx = NULL;
  capsa_err *err = NULL;
  size_t nimg = 0;
  if (capsa_store_open (g->eng.root, &s, &err) == 0 && capsa_index_read (s, &idx, &err) == 0)
    nimg = json_array_size (json_object_get (idx, "images"));
  capsa_err_free (&err);
  json_decref (idx);
  printf ("Containers: %d\n Running: %d\n Paused: %d\n Stopped: %d\nImages: %zu\n", all, running, paused, stopped,
          nimg);
  printf ("Storage Driver: overlay (vfs fallback)\nRoot Dir: %s\nRuntime: capsa library (in-process; a monitor per "
          "detached container)\nSecurity Options: seccomp (default profile from %s)\nKernel Version: %s\n"
          "Architecture: %s\nNetworking: none, host, bridge (capsa0), user networks, container:NAME\n"
          "Capsa Version: %s\n",
          g->eng.root, ctr_share_dir () ?: "(not found)", u.release, u.machine, CAPSA_VERSION);
  return 0;
}

/* capsa system prune: stopped containers, then what networking no one uses any more (stale
 * leases of containers gone without a detach, user networks without containers), then images
 * without a name (with -a: every image no container uses). */
static int
system_prune (struct cli_global *g, int argc, char **argv)
{
  if (argc >= 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: capsa system prune [-a] [-f]\n\nRemove stopped containers, stray slirp4netns processes, stale "
              "network leases, user networks without containers and unnamed images (-a: every image no container uses).\n");
      return 0;
    }
  bool all = false;
  for (int i = 1; i < argc; i++)
    all |= strcmp (argv[i], "-a") == 0 || strcmp (argv[i], "--all") == 0 || strcmp (argv[i], "-af") == 0
           || strcmp (argv[i], "-fa") == 0;
  if (!cli_confirm (argc, argv, all ? "  - all stopped containers\n  - all networks not used by at least one container\n"
                                      "  - all images without at least one container associated to them"
                                    : "  - all stopped containers\n  - all networks not used by at least one container\n"
                                      "  - all dangling images"))
    return 0;
  long long bytes = 0;
  cli_container_prune (g, &bytes);
  int killed = ctr_slirp_prune (&g->eng);
  if (killed)
    printf ("Stopped %d stray slirp4netns process%s\n", killed, killed == 1 ? "" : "es");
  cleanup_free char *dir = xasprintf ("%s/network", g->eng.root);
  struct capsa_netenv env = { .state_dir = dir, .table = CAPSA_NET_TABLE };
  capsa_err *err = NULL;
  int reclaimed = 0;
  cleanup_strv char **names = NULL;
  if (access (dir, F_OK) == 0 && !g->eng.rootless) /* (rootless has no bridge networking) */
    {
      if (capsa_net_gc (&env, &reclaimed, &err) < 0 || capsa_network_list (&env, &names, &err) < 0)
        return cli_fail (&err);
      for (char **n = names; *n; n++)
        {
          cleanup_free char *js = NULL;
          if (strcmp (*n, CAPSA_NET_DEFAULT) == 0 || capsa_network_inspect (&env, *n, &js, &err) < 0)
            {
              capsa_err_free (&err);
              continue;
            }
          json_t *j = json_loads (js, 0, NULL);
          bool unused = json_object_size (json_object_get (j, "leases")) == 0;
          json_decref (j);
          if (unused && capsa_network_remove (&env, *n, false, &err) == 0)
            printf ("Deleted network: %s\n", *n);
          capsa_err_free (&err);
        }
      if (reclaimed)
        printf ("Reclaimed %d stale network lease%s\n", reclaimed, reclaimed == 1 ? "" : "s");
    }
  if (cli_image_prune (g, all, &bytes) != 0)
    return CLI_EXIT_ERROR;
  char size[32];
  cli_human_size (bytes, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

int
cmd_system (struct cli_global *g, int argc, char **argv)
{
  if (cli_sub_help (system_usage, ARRAY_SIZE (system_usage), argc, argv))
    return 0;
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *f = argc < 2 ? stderr : stdout;
      fprintf (f, "Usage: capsa system COMMAND\n\nCommands:\n"
                  "  df        disk space used by images, containers and volumes\n"
                  "  info      what capsa sees: containers, images, storage, kernel\n"
                  "  prune     remove stopped containers, unused networks and unnamed images\n");
      return argc < 2 ? CLI_EXIT_ERROR : 0;
    }
  if (argc >= 2 && strcmp (argv[1], "info") == 0)
    return cmd_info (g, argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "prune") == 0)
    return system_prune (g, argc - 1, argv + 1);
  if (argc < 2 || strcmp (argv[1], "df") != 0)
    return cli_usage ("system", "expected `df`, `info` or `prune`");
  cleanup_store struct capsa_store *s = NULL;
  json_t *idx = NULL;
  capsa_err *err = NULL;
  long long isize = 0, csize = 0, vsize = 0;
  size_t nimg = 0, i;
  json_t *v;
  if (capsa_store_open (g->eng.root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return cli_fail (&err);
  nimg = json_array_size (json_object_get (idx, "images"));
  json_array_foreach (json_object_get (idx, "images"), i, v) isize += json_integer_value (json_object_get (v, "size"));
  json_decref (idx);
  int all, running, paused, stopped;
  count_ctrs (g, &all, &running, &paused, &stopped);
  cleanup_strv char **ids = ctr_list_ids (&g->eng);
  for (char **id = ids; *id; id++)
    {
      static const char *subs[] = { "upper", "rootfs" };
      for (size_t k = 0; k < ARRAY_SIZE (subs); k++)
        {
          cleanup_free char *p = xasprintf ("%s/containers/%s/%s", g->eng.root, *id, subs[k]);
          cleanup_close int fd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (fd >= 0)
            csize += fs_tree_size (fd);
        }
    }
  cleanup_free char *vp = xasprintf ("%s/volumes", g->eng.root);
  cleanup_close int vfd = open (vp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (vfd >= 0)
    vsize = fs_tree_size (vfd);
  char a[32], b[32], c[32];
  cli_human_size (isize, a, sizeof a);
  cli_human_size (csize, b, sizeof b);
  cli_human_size (vsize, c, sizeof c);
  printf ("%-16s %-8s %-8s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE");
  printf ("%-16s %-8zu %-8s %s\n", "Images", nimg, "-", a);
  printf ("%-16s %-8d %-8d %s\n", "Containers", all, running + paused, b);
  int nvol, avol;
  ctr_volume_counts (&g->eng, &nvol, &avol);
  printf ("%-16s %-8d %-8d %s\n", "Local Volumes", nvol, avol, c);
  return 0;
}

int cmd_run (struct cli_global *, int, char **);
int cmd_create (struct cli_global *, int, char **);
int cmd_start (struct cli_global *, int, char **);
int cmd_stop (struct cli_global *, int, char **);
int cmd_restart (struct cli_global *, int, char **);
int cmd_kill (struct cli_global *, int, char **);
int cmd_rm (struct cli_global *, int, char **);
int cmd_ps (struct cli_global *, int, char **);
int cmd_logs (struct cli_global *, int, char **);
int cmd_exec (struct cli_global *, int, char **);
int cmd_wait (struct cli_global *, int, char **);
int cmd_top (struct cli_global *, int, char **);
int cmd_pause (struct cli_global *, int, char **);
int cmd_unpause (struct cli_global *, int, char **);
int cmd_update (struct cli_global *, int, char **);
int cmd_stats (struct cli_global *, int, char **);
int cmd_rename (struct cli_global *, int, char **);
int cmd_port (struct cli_global *, int, char **);
int cmd_cp (struct cli_global *, int, char **);

static int
container_inspect (struct cli_global *g, int argc, char **argv)
{
  argv[0] = (char *) "container-inspect";
  return cmd_inspect_any (g, argc, argv);
}

int
cmd_container (struct cli_global *g, int argc, char **argv)
{
  static const struct
  {
    const char *name;
    int (*fn) (struct cli_global *, int, char **);
  } subs[] = {
    { "run", cmd_run },         { "create", cmd_create },   { "start", cmd_start },     { "stop", cmd_stop },
    { "restart", cmd_restart }, { "kill", cmd_kill },       { "rm", cmd_rm },           { "ls", cmd_ps },
    { "list", cmd_ps },         { "ps", cmd_ps },           { "logs", cmd_logs },       { "exec", cmd_exec },
    { "wait", cmd_wait },       { "top", cmd_top },         { "pause", cmd_pause },     { "unpause", cmd_unpause },
    { "update", cmd_update },   { "stats", cmd_stats },     { "rename", cmd_rename },   { "port", cmd_port },
    { "cp", cmd_cp },           { "prune", cmd_container_prune }, { "inspect", container_inspect },
  };
  if (argc < 2 || strcmp (argv[1], "--help") == 0)
    {
      FILE *f = argc < 2 ? stderr : stdout;
      fprintf (f, "Usage: capsa container COMMAND ...\n\nCommands:");
      for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
        fprintf (f, " %s", subs[i].name);
      fprintf (f, "\n");
      return argc < 2 ? CLI_EXIT_ERROR : 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      {
        optind = 1;
        return subs[i].fn (g, argc - 1, argv + 1);
      }
  return cli_usage ("container", "unknown command `%s`", argv[1]);
}
