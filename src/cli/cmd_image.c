/* capsa image SUBCOMMAND: the image commands under one name, as `docker image` has them. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image_opts.h"

#include "capsa/util.h"

/* (pull, push, load, save and import run in capsa-image: image_opts.h has their options) */
static const struct cli_sub subs[] = {
  { "ls", cmd_images, &cli_spec_images, "list images (also `list`)" },
  { "list", cmd_images, &cli_spec_images, NULL, true },
  { "inspect", cmd_inspect, &cli_spec_image_inspect, "print images' details as JSON" },
  { "prune", cmd_prune, &cli_spec_image_prune, "remove unused images, blobs and layers" },
  { "rm", cmd_rmi, &cli_spec_rmi, "remove images or names" },
  { "tag", cmd_tag, &cli_spec_tag, "give an image another name" },
  { "history", cmd_history, &cli_spec_history, "show the layers' history" },
  { "pull", cli_image_helper, &cli_spec_pull, "download an image" },
  { "push", cli_image_helper, &cli_spec_push, "upload an image" },
  { "load", cli_image_helper, &cli_spec_load, "load images from an archive or OCI layout" },
  { "save", cli_image_helper, &cli_spec_save, "save images to an archive or OCI layout" },
  { "import", cli_image_helper, &cli_spec_import, "make an image from a rootfs tarball or directory" },
  { "build", cli_image_helper, &cli_spec_build, "build an image from a Dockerfile" },
  { "mount", cmd_mount, &cli_spec_image_mount,
    "give a container id a root filesystem from an image (overlayfs or a copy)" },
  { "unmount", cmd_unmount, &cli_spec_image_unmount, "unmount and remove what `image mount` made (also `umount`)" },
  { "umount", cmd_unmount, &cli_spec_image_unmount, NULL, true },
};
const struct cli_group cli_group_image = { "image", subs, ARRAY_SIZE (subs) };

int
cmd_image (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_image, argc, argv);
}
