/* capsa image mount [--driver auto|overlay|vfs] IMAGE CONTAINER-ID, and image unmount CONTAINER-ID:
 * the root filesystem a container gets from an image (see image_rootfs.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

static int
set_driver (void *base, const char *v, capsa_err **err)
{
  enum capsa_rootfs_driver *driver = base;
  if (strcmp (v, "overlay") == 0)
    *driver = CAPSA_ROOTFS_OVERLAY;
  else if (strcmp (v, "vfs") == 0)
    *driver = CAPSA_ROOTFS_VFS;
  else if (strcmp (v, "auto") == 0)
    *driver = CAPSA_ROOTFS_AUTO;
  else
    return capsa_fail_as (err, EINVAL, "--driver: unknown driver `%s` (auto, overlay or vfs)", v);
  return 0;
}

static const struct capsa_opt mount_opts[] = {
  CAPSA_O_CALL (0, "driver", set_driver, "auto|overlay|vfs",
                "overlayfs over the shared layers, or a private copy\n"
                "(auto: overlay when it can be mounted)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_image_mount = { "image mount",
                                               "[OPTIONS] IMAGE CONTAINER-ID",
                                               "Make CONTAINER-ID's root filesystem from IMAGE and print its path.",
                                               mount_opts,
                                               0,
                                               NULL };
const struct cli_spec cli_spec_image_unmount = {
  "image unmount", "CONTAINER-ID", "Unmount and remove CONTAINER-ID's root filesystem.", cli_no_options, 0, NULL
};

int
cmd_mount (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  enum capsa_rootfs_driver driver = CAPSA_ROOTFS_AUTO;
  cleanup_free char *path = NULL;
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_image_mount, argc, argv, &driver);
  if (first <= 0)
    return -first;
  if (argc - first != 2)
    return cli_usage ("image mount", "requires exactly 2 arguments (IMAGE CONTAINER-ID)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_rootfs_mount (s, argv[first], argv[first + 1], g->eng.default_registry, driver, &path, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", path);
  return 0;
}

int
cmd_unmount (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;

  int first = cli_parse (&cli_spec_image_unmount, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (argc - first != 1)
    return cli_usage ("image unmount", "requires exactly 1 argument (CONTAINER-ID)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_rootfs_unmount (s, argv[first], &err) < 0)
    return cli_fail (&err);
  return 0;
}
