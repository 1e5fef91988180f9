/* capsa image mount [--driver auto|overlay|vfs] IMAGE CONTAINER-ID, and image unmount CONTAINER-ID:
 * the root filesystem a container gets from an image (see image_rootfs.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "image_rootfs.h"
#include "util.h"

int
cmd_mount (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "driver", required_argument, NULL, 'd' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  enum capsa_rootfs_driver driver = CAPSA_ROOTFS_AUTO;
  cleanup_free char *path = NULL;
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        if (strcmp (optarg, "overlay") == 0)
          driver = CAPSA_ROOTFS_OVERLAY;
        else if (strcmp (optarg, "vfs") == 0)
          driver = CAPSA_ROOTFS_VFS;
        else if (strcmp (optarg, "auto") == 0)
          driver = CAPSA_ROOTFS_AUTO;
        else
          return cli_usage ("image mount", "--driver: unknown driver `%s` (auto, overlay or vfs)", optarg);
        break;
      case 'h':
        printf ("Usage: capsa image mount [OPTIONS] IMAGE CONTAINER-ID\n\n"
                "Make CONTAINER-ID's root filesystem from IMAGE and print its path.\n"
                "      --driver auto|overlay|vfs   overlayfs over the shared layers, or a private copy\n"
                "                                  (auto: overlay when it can be mounted)\n");
        return 0;
      default:
        return cli_usage ("image mount", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind != 2)
    return cli_usage ("image mount", "requires exactly 2 arguments (IMAGE CONTAINER-ID)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_rootfs_mount (s, argv[optind], argv[optind + 1], g->eng.default_registry, driver, &path, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", path);
  return 0;
}

int
cmd_unmount (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: capsa image unmount CONTAINER-ID\n\nUnmount and remove CONTAINER-ID's root filesystem.\n");
      return 0;
    }
  if (argc != 2)
    return cli_usage ("image unmount", "requires exactly 1 argument (CONTAINER-ID)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_rootfs_unmount (s, argv[1], &err) < 0)
    return cli_fail (&err);
  return 0;
}
