/* capsa volume create/ls/inspect/rm/prune: named volumes under ROOT/volumes/NAME/_data. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "ctr.h"
#include "fsops.h"
#include "jsonutil.h"
#include "util.h"

/* capsa volume create [-d local] [-l KEY=VALUE]... [NAME]: an unknown flag is a usage error
 * (125) and creates nothing (it was taken for a missing name, making a random volume). */
static int
vol_create (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "driver", required_argument, NULL, 'd' },
                                        { "label", required_argument, NULL, 'l' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  cleanup_json json_t *labels = json_object ();
  capsa_err *err = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+d:l:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        if (strcmp (optarg, "local") != 0)
          return cli_usage ("volume create", "--driver `%s`: only `local` is supported", optarg);
        break;
      case 'l':
        {
          const char *eq = strchr (optarg, '=');
          cleanup_free char *k = xasprintf ("%.*s", eq ? (int) (eq - optarg) : (int) strlen (optarg), optarg);
          json_object_set_new (labels, k, json_string (eq ? eq + 1 : ""));
          break;
        }
      case 'h':
        printf ("Usage: capsa volume create [-d local] [-l KEY=VALUE]... [NAME]\n\nMake a named volume (a random "
                "name without NAME).\n");
        return 0;
      default:
        return cli_usage ("volume create", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind > 1)
    return cli_usage ("volume create", "takes at most 1 argument (NAME)");
  char id[CTR_ID_LEN + 1];
  const char *name = optind < argc ? argv[optind] : NULL;
  if (name == NULL)
    {
      ctr_new_id (id);
      name = id;
    }
  cleanup_free char *path = NULL;
  if (ctr_volume_make (&g->eng, name, labels, &path, NULL, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", name);
  return 0;
}

static const struct cli_sub_usage vol_usage[] = {
  { "ls", "Usage: capsa volume ls [-q] [--format json]\n\nList volumes (also `list`).\n" },
  { "list", "Usage: capsa volume ls [-q] [--format json]\n\nList volumes (also `list`).\n" },
  { "inspect", "Usage: capsa volume inspect NAME...\n\nVolumes' details as JSON.\n" },
  { "rm", "Usage: capsa volume rm [-f] NAME...\n\nRemove volumes no container uses (-f: in use too).\n" },
  { "remove", "Usage: capsa volume rm [-f] NAME...\n\nRemove volumes no container uses (-f: in use too).\n" },
  { "prune", "Usage: capsa volume prune [-f]\n\nRemove every volume no container uses.\n" },
};

int
cmd_volume (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  const char *sub = argc > 1 ? argv[1] : NULL;
  if (cli_sub_help (vol_usage, ARRAY_SIZE (vol_usage), argc, argv))
    return 0;
  if (sub == NULL || strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0)
    {
      FILE *f = sub ? stdout : stderr;
      fprintf (f, "Usage: capsa volume COMMAND\n\nCommands:\n"
                  "  create [NAME]          make a named volume (a random name without NAME)\n"
                  "  ls [-q]                list volumes\n"
                  "  inspect NAME...        details as JSON\n"
                  "  rm [-f] NAME...        remove volumes no container uses\n"
                  "  prune [-f]             remove every volume no container uses\n");
      return sub ? 0 : CLI_EXIT_ERROR;
    }
  if (strcmp (sub, "create") == 0)
    return vol_create (g, argc - 1, argv + 1);
  if (strcmp (sub, "ls") == 0 || strcmp (sub, "list") == 0)
    {
      bool quiet = argc > 2 && strcmp (argv[2], "-q") == 0;
      bool js = argc > 3 && strcmp (argv[2], "--format") == 0 && strcmp (argv[3], "json") == 0;
      cleanup_strv char **names = ctr_volume_names (&g->eng);
      json_t *arr = json_array ();
      if (!quiet && !js)
        printf ("%-10s %s\n", "DRIVER", "VOLUME NAME");
      for (char **n = names; *n; n++)
        if (quiet)
          printf ("%s\n", *n);
        else if (js)
          json_array_append_new (arr, ctr_volume_json (&g->eng, *n) ?: json_pack ("{s:s}", "Name", *n));
        else
          printf ("%-10s %s\n", "local", *n);
      if (js)
        {
          char *s = json_dumps (arr, JSON_INDENT (2));
          puts (s);
          free (s);
        }
      json_decref (arr);
      return 0;
    }
  if (strcmp (sub, "inspect") == 0)
    {
      json_t *arr = json_array ();
      int status = 0;
      for (int i = 2; i < argc; i++)
        {
          json_t *j = ctr_valid_name (argv[i]) ? ctr_volume_json (&g->eng, argv[i]) : NULL;
          if (j == NULL)
            {
              capsa_fail_as (&err, ENOENT, "no such volume: %s", argv[i]);
              status = cli_fail (&err);
            }
          else
            json_array_append_new (arr, j);
        }
      char *s = json_dumps (arr, JSON_INDENT (4));
      puts (s);
      free (s);
      json_decref (arr);
      return status;
    }
  if (strcmp (sub, "rm") == 0 || strcmp (sub, "remove") == 0)
    {
      bool force = false;
      int status = 0;
      json_t *used = ctr_volume_used (&g->eng);
      for (int i = 2; i < argc; i++)
        if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0)
          force = true;
      for (int i = 2; i < argc; i++)
        if (argv[i][0] != '-')
          {
            if (ctr_volume_remove (&g->eng, argv[i], force, used, &err) < 0)
              status = cli_fail (&err);
            else
              printf ("%s\n", argv[i]);
          }
      json_decref (used);
      return status;
    }
  if (strcmp (sub, "prune") == 0)
    {
      if (!cli_confirm (argc, argv, "all local volumes not used by at least one container"))
        return 0;
      json_t *used = ctr_volume_used (&g->eng);
      cleanup_strv char **names = ctr_volume_names (&g->eng);
      long long reclaimed = 0;
      bool any = false;
      for (char **n = names; *n; n++)
        {
          long long size = ctr_volume_size (&g->eng, *n);
          if (!json_object_get (used, *n) && ctr_volume_remove (&g->eng, *n, false, used, &err) == 0)
            {
              printf ("%s%s\n", any ? "" : "Deleted Volumes:\n", *n);
              any = true;
              reclaimed += size;
            }
          else
            capsa_err_free (&err);
        }
      json_decref (used);
      char size[32];
      cli_human_size (reclaimed, size, sizeof size);
      printf ("%sTotal reclaimed space: %s\n", any ? "\n" : "", size);
      return 0;
    }
  return cli_usage ("volume", "unknown command `%s`", sub);
}
