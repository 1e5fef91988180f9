/* capsa inspect (containers, then images), info, version, system df, and `capsa container ...`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/image.h"
#include "capsa/net.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"
#include "capsa/template.h"

/* One NAME of `capsa inspect`: a container first, else (unless only_ctr) an image; what is neither
 * is reported and the others still printed, as docker ("no such object", exit 1).  *s and *idx:
 * the image store and index, opened at the first name that is not a container. */
static int
inspect_lookup (struct cli_global *g, const char *name, bool only_ctr, bool isolation, json_t *arr,
                struct capsa_store **s, json_t **idx, capsa_err **err)
{
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_find (&g->eng, name, &c, err) == 0)
    {
      json_t *rep = NULL;
      if (isolation && capsa_ctr_isolation (&g->eng, c, &rep, err) < 0)
        return -1;
      json_array_append_new (arr, isolation ? rep : capsa_ctr_inspect_json (&g->eng, c));
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

struct inspect_flags
{
  const char *format, *type;
  bool isolation;
};

#define F struct inspect_flags
static const struct capsa_opt inspect_opts[] = {
  CAPSA_O_STR ('f', "format", F, format, "TEMPLATE",
               "a Go template for each one ({{.Name}} {{.Id}}, {{json .State}},\n"
               "{{range}}, {{index}}, {{if}}); with --isolation:\n"
               "json, table (the default) or a template"),
  CAPSA_O_BOOL (0, "isolation", F, isolation,
                "how isolated a running container is, read live from the kernel:\n"
                "namespaces against the host's, user mapping, cgroup limits in\n"
                "force, capabilities, no_new_privs, seccomp, masked and read-only\n"
                "paths, and what is still shared with the host"),
  CAPSA_O_STR (0, "type", F, type, "container|image", "only containers, or containers then images"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef F
const struct cli_spec cli_spec_inspect = {
  "inspect", "[--format TEMPLATE] [--isolation] NAME...", "Details of containers or images as JSON.", inspect_opts, 0,
  NULL
};
static const struct cli_spec container_inspect_spec = { "container inspect",
                                                        "[--format TEMPLATE] [--isolation] NAME...",
                                                        "Details of containers as JSON.",
                                                        inspect_opts,
                                                        0,
                                                        NULL };

/* the array of what inspect found, as --format and --isolation ask */
static int
inspect_print (json_t *arr, const char *format, bool isolation, int status)
{
  size_t i;
  json_t *v;
  if (isolation && (format == NULL || strcmp (format, "table") == 0))
    json_array_foreach (arr, i, v)
    {
      if (i > 0)
        putchar ('\n');
      capsa_ctr_isolation_print (v);
    }
  else if (format && !(isolation && strcmp (format, "json") == 0))
    {
      capsa_err *err = NULL;
      return capsa_template_print_each (format, arr, &err) < 0 ? cli_fail (&err) : status;
    }
  else
    {
      char *s = json_dumps (arr, JSON_INDENT (4));
      puts (s);
      free (s);
    }
  return status;
}

static int
inspect_run (struct cli_global *g, const struct cli_spec *spec, bool only_ctr, int argc, char **argv)
{
  struct inspect_flags f = { 0 };
  json_t *idx = NULL;
  cleanup_store struct capsa_store *store = NULL;
  int status = 0, first = cli_parse (spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  if (f.type)
    only_ctr = strcmp (f.type, "container") == 0;
  only_ctr |= f.isolation;
  if (first >= argc)
    return cli_usage ("inspect", "requires at least 1 argument");
  json_t *arr = json_array ();
  for (int i = first; i < argc; i++)
    {
      capsa_err *err = NULL;
      if (inspect_lookup (g, argv[i], only_ctr, f.isolation, arr, &store, &idx, &err) < 0)
        status = f.isolation ? cli_fail (&err) : (cli_fail (&err), 1); /* docker's inspect: 1 */
    }
  json_decref (idx);
  status = inspect_print (arr, f.format, f.isolation, status);
  json_decref (arr);
  return status;
}

/* capsa inspect / container inspect: containers first, then images. */
int
cmd_inspect_any (struct cli_global *g, int argc, char **argv)
{
  return inspect_run (g, &cli_spec_inspect, false, argc, argv);
}

static const struct capsa_opt version_opts[] = {
  { .name = "format",
    .letter = 'f',
    .kind = CAPSA_OPT_STRING,
    .arg = "TEMPLATE",
    .help = "a Go template over docker's version object ({{.Client.Version}} {{.Server.Version}}, {{json .}})" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct capsa_opt info_opts[] = {
  { .name = "format",
    .letter = 'f',
    .kind = CAPSA_OPT_STRING,
    .arg = "TEMPLATE",
    .help = "a Go template over docker's info object ({{.ServerVersion}} {{.Containers}}, {{json .}})" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_version = { "version", "[-f TEMPLATE]", "Print the version.", version_opts, 0, NULL };
const struct cli_spec cli_spec_info = {
  "info",
  "[-f TEMPLATE]",
  "What capsa sees: containers, images, storage, kernel (also `capsa system info`).",
  info_opts,
  0,
  NULL
};
static const struct cli_spec system_info_spec = {
  "system info",
  "[-f TEMPLATE]",
  "What capsa sees: containers, images, storage, kernel (also `capsa info`).",
  info_opts,
  0,
  NULL
};
static const struct cli_spec df_spec = { "system df",    NULL, "Disk space used by images, containers and volumes.",
                                         cli_no_options, 0,    NULL };
struct prune_flags
{
  bool all, force;
};
static const struct capsa_opt prune_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct prune_flags, all, "every image no container uses too"),
  CAPSA_O_BOOL ('f', "force", struct prune_flags, force, "do not ask for confirmation"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct cli_spec prune_spec = {
  "system prune",
  "[-a] [-f]",
  "Remove stopped containers, stray slirp4netns processes, stale network leases, user networks without "
  "containers and unnamed images (-a: every image no container uses).",
  prune_opts,
  0,
  NULL
};

/* one object through a template, a line (125 when it fails) */
static int
print_one (const char *format, json_t *v)
{
  cleanup_json json_t *arr = json_pack ("[O]", v);
  capsa_err *err = NULL;
  return capsa_template_print_each (format, arr, &err) < 0 ? cli_fail (&err) : 0;
}

int
cmd_version (struct cli_global *g, int argc, char **argv)
{
  const char *format = NULL;
  int first = cli_parse (&cli_spec_version, argc, argv, &format);
  if (first <= 0)
    return -first;
  if (format)
    {
      /* docker's {Client, Server}: the command line is the engine here */
      cleanup_json json_t *server = capsa_engine_version_json ("1.41");
      cleanup_json json_t *v = json_pack ("{s:O, s:O}", "Client", server, "Server", server);
      return print_one (format, v);
    }
  struct utsname u;
  uname (&u);
  printf ("Client/Engine: capsa (daemonless)\n Version:     %s\n OS/Arch:     linux/%s\n Kernel:      %s\n",
          CAPSA_VERSION, capsa_host_arch (NULL), u.release);
  return 0;
}

static int
info_run (struct cli_global *g, const struct cli_spec *spec, int argc, char **argv)
{
  const char *format = NULL;
  int first = cli_parse (spec, argc, argv, &format);
  if (first <= 0)
    return -first;
  if (format)
    {
      cleanup_json json_t *info = capsa_engine_info_json (&g->eng);
      return print_one (format, info);
    }
  struct capsa_ctr_counts n;
  struct utsname u;
  capsa_ctr_count (&g->eng, &n);
  uname (&u);
  cleanup_store struct capsa_store *s = NULL;
  json_t *idx = NULL;
  capsa_err *err = NULL;
  size_t nimg = 0;
  if (capsa_store_open (g->eng.root, &s, &err) == 0 && capsa_index_read (s, &idx, &err) == 0)
    nimg = json_array_size (json_object_get (idx, "images"));
  capsa_err_free (&err);
  json_decref (idx);
  printf ("Containers: %d\n Running: %d\n Paused: %d\n Stopped: %d\nImages: %zu\n", n.all, n.running, n.paused,
          n.stopped, nimg);
  printf ("Storage Driver: overlay (vfs fallback)\nRoot Dir: %s\nRuntime: capsa library (in-process; a monitor per "
          "detached container)\nSecurity Options: seccomp (default profile from %s)\nKernel Version: %s\n"
          "Architecture: %s\nNetworking: none, host, bridge (capsa0), user networks, container:NAME\n"
          "Capsa Version: %s\n",
          g->eng.root, capsa_engine_share_dir (&g->eng) ?: "(not found)", u.release, u.machine, CAPSA_VERSION);
  return 0;
}

int
cmd_info (struct cli_global *g, int argc, char **argv)
{
  return info_run (g, &cli_spec_info, argc, argv);
}

static int
system_info (struct cli_global *g, int argc, char **argv)
{
  return info_run (g, &system_info_spec, argc, argv);
}

/* capsa system prune: stopped containers, then what networking no one uses any more (stale
 * leases of containers gone without a detach, user networks without containers), then images
 * without a name (with -a: every image no container uses). */
static int
system_prune (struct cli_global *g, int argc, char **argv)
{
  struct prune_flags f = { 0 };
  int first = cli_parse (&prune_spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool all = f.all;
  if (!cli_confirm (f.force, all ? "  - all stopped containers\n  - all networks not used by at least one container\n"
                                   "  - all images without at least one container associated to them"
                                 : "  - all stopped containers\n  - all networks not used by at least one container\n"
                                   "  - all dangling images"))
    return 0;
  long long bytes = 0;
  cli_container_prune (g, NULL, -1, &bytes);
  int killed = capsa_ctr_slirp_prune (&g->eng);
  if (killed)
    printf ("Stopped %d stray slirp4netns process%s\n", killed, killed == 1 ? "" : "es");
  cleanup_free char *dir = capsa_xasprintf ("%s/network", g->eng.root);
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
  if (cli_image_prune (g, all, NULL, -1, &bytes) != 0)
    return CLI_EXIT_ERROR;
  char size[32];
  cli_human_size (bytes, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* capsa system df */
static int
system_df (struct cli_global *g, int argc, char **argv)
{
  int first = cli_parse (&df_spec, argc, argv, NULL);
  if (first <= 0)
    return -first;
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
  struct capsa_ctr_counts n;
  capsa_ctr_count (&g->eng, &n);
  cleanup_strv char **ids = capsa_ctr_list_ids (&g->eng);
  for (char **id = ids; *id; id++)
    {
      static const char *subs[] = { "upper", "rootfs" };
      for (size_t k = 0; k < ARRAY_SIZE (subs); k++)
        {
          cleanup_free char *p = capsa_xasprintf ("%s/containers/%s/%s", g->eng.root, *id, subs[k]);
          cleanup_close int fd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (fd >= 0)
            csize += capsa_fs_tree_size (fd);
        }
    }
  cleanup_free char *vp = capsa_xasprintf ("%s/volumes", g->eng.root);
  cleanup_close int vfd = open (vp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (vfd >= 0)
    vsize = capsa_fs_tree_size (vfd);
  char a[32], b[32], c[32];
  cli_human_size (isize, a, sizeof a);
  cli_human_size (csize, b, sizeof b);
  cli_human_size (vsize, c, sizeof c);
  printf ("%-16s %-8s %-8s %s\n", "TYPE", "TOTAL", "ACTIVE", "SIZE");
  printf ("%-16s %-8zu %-8s %s\n", "Images", nimg, "-", a);
  printf ("%-16s %-8d %-8d %s\n", "Containers", n.all, n.running + n.paused, b);
  int nvol, avol;
  capsa_volume_counts (&g->eng, &nvol, &avol);
  printf ("%-16s %-8d %-8d %s\n", "Local Volumes", nvol, avol, c);
  return 0;
}

static int
container_inspect (struct cli_global *g, int argc, char **argv)
{
  return inspect_run (g, &container_inspect_spec, true, argc, argv);
}

static const struct cli_sub system_subs[] = {
  { "df", system_df, &df_spec, "disk space used by images, containers and volumes" },
  { "info", system_info, &system_info_spec, "what capsa sees: containers, images, storage, kernel" },
  { "prune", system_prune, &prune_spec, "remove stopped containers, unused networks and unnamed images" },
  { "service", cmd_system_service, NULL, "serve the Docker Engine API on a socket (docker, compose, SDKs)" },
};
const struct cli_group cli_group_system = { "system", system_subs, ARRAY_SIZE (system_subs) };

int
cmd_system (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_system, argc, argv);
}

/* `capsa container X`: the container commands again, as docker has them */
static const struct cli_sub container_subs[] = {
  { "run", cmd_run, &cli_spec_run, "run a command in a new container" },
  { "create", cmd_create, &cli_spec_create, "create a container" },
  { "start", cmd_start, &cli_spec_start, "start created or stopped containers" },
  { "stop", cmd_stop, &cli_spec_stop, "stop containers" },
  { "restart", cmd_restart, &cli_spec_restart, "stop and start containers" },
  { "kill", cmd_kill, &cli_spec_kill, "send a signal to containers" },
  { "rm", cmd_rm, &cli_spec_rm, "remove containers" },
  { "ls", cmd_ps, &cli_spec_ps, "list containers (also `list`, `ps`)" },
  { "list", cmd_ps, &cli_spec_ps, NULL, true },
  { "ps", cmd_ps, &cli_spec_ps, NULL, true },
  { "logs", cmd_logs, &cli_spec_logs, "print a container's output" },
  { "exec", cmd_exec, &cli_spec_exec, "run a command in a running container" },
  { "wait", cmd_wait, &cli_spec_wait, "wait until containers stop" },
  { "top", cmd_top, &cli_spec_top, "list a container's processes" },
  { "diff", cmd_diff, &cli_spec_diff, "what a container changed in its image" },
  { "pause", cmd_pause, &cli_spec_pause, "freeze containers" },
  { "unpause", cmd_unpause, &cli_spec_unpause, "thaw containers" },
  { "update", cmd_update, &cli_spec_update, "change containers' resource limits" },
  { "stats", cmd_stats, &cli_spec_stats, "resource use" },
  { "rename", cmd_rename, &cli_spec_rename, "rename a container" },
  { "port", cmd_port, &cli_spec_port, "a container's published ports" },
  { "cp", cmd_cp, &cli_spec_cp, "copy files between a container and the host" },
  { "export", cmd_export, &cli_spec_export, "write a container's filesystem as a tar" },
  { "commit", cli_image_helper, &cli_spec_commit, "make an image of a container's changes" },
  { "prune", cmd_container_prune, &cli_spec_container_prune, "remove every stopped container" },
  { "inspect", container_inspect, &container_inspect_spec, "print containers' details as JSON" },
};
const struct cli_group cli_group_container = { "container", container_subs, ARRAY_SIZE (container_subs) };

int
cmd_container (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_container, argc, argv);
}
