/* capsa image SUBCOMMAND: the image commands under one name, as `docker image` has them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include <getopt.h>

#include "capsa/util.h"

static const struct
{
  const char *name;
  int (*fn) (struct cli_global *, int, char **);
  const char *help;
} subs[] = {
  { "ls", cmd_images, "list images (also `list`)" },
  { "list", cmd_images, NULL },
  { "inspect", cmd_inspect, "print images' details as JSON" },
  { "prune", cmd_prune, "remove unused images, blobs and layers" },
  { "rm", cmd_rmi, "remove images or names" },
  { "tag", cmd_tag, "give an image another name" },
  { "history", cmd_history, "show the layers' history" },
  { "pull", cli_image_helper, "download an image" },
  { "push", cli_image_helper, "upload an image" },
  { "load", cli_image_helper, "load images from an archive or OCI layout" },
  { "save", cli_image_helper, "save images to an archive or OCI layout" },
  { "import", cli_image_helper, "make an image from a rootfs tarball or directory" },
  { "mount", cmd_mount, "give a container id a root filesystem from an image (overlayfs or a copy)" },
  { "unmount", cmd_unmount, "unmount and remove what `image mount` made (also `umount`)" },
  { "umount", cmd_unmount, NULL },
};

int
cmd_image (struct cli_global *g, int argc, char **argv)
{
  if (argc < 2 || strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      FILE *f = argc < 2 ? stderr : stdout;
      fprintf (f, "Usage: capsa image COMMAND [OPTIONS] ARGS...\n\nCommands:\n");
      for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
        if (subs[i].help)
          fprintf (f, "  %-10s %s\n", subs[i].name, subs[i].help);
      return argc < 2 ? CLI_EXIT_ERROR : 0;
    }
  for (size_t i = 0; i < ARRAY_SIZE (subs); i++)
    if (strcmp (subs[i].name, argv[1]) == 0)
      {
        optind = 1;
        return subs[i].fn (g, argc - 1, argv + 1);
      }
  return cli_usage ("image", "unknown command `%s`", argv[1]);
}
