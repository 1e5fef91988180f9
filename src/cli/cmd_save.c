/* capsa save [--output FILE|DIR] [--format docker-archive|oci-archive|oci-dir] IMAGE... */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "imgarchive.h"
#include "cli.h"
#include "util.h"

int
cmd_save (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  enum capsa_archive_format format = CAPSA_ARCHIVE_DOCKER;
  const char *output = "-";
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "o:f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'o':
        output = optarg;
        break;
      case 'f':
        if (strcmp (optarg, "docker-archive") == 0 || strcmp (optarg, "docker") == 0)
          format = CAPSA_ARCHIVE_DOCKER;
        else if (strcmp (optarg, "oci-archive") == 0 || strcmp (optarg, "oci") == 0)
          format = CAPSA_ARCHIVE_OCI;
        else if (strcmp (optarg, "oci-dir") == 0)
          format = CAPSA_ARCHIVE_OCI_DIR;
        else
          return cli_usage ("save", "--format: unknown format `%s` (docker-archive, oci-archive or oci-dir)",
                            optarg);
        break;
      case 'h':
        printf ("Usage: capsa save [OPTIONS] IMAGE...\n\n"
                "  -o, --output FILE|DIR   write there instead of stdout (a directory for oci-dir)\n"
                "      --format FORMAT     docker-archive (default, as `docker save`), oci-archive,\n"
                "                          or oci-dir (an OCI image layout; an existing one is added to)\n");
        return 0;
      default:
        return cli_usage ("save", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return cli_usage ("save", "requires at least 1 argument (IMAGE)");
  if (strcmp (output, "-") == 0 && isatty (1))
    return cli_usage ("save", "stdout is a terminal: give --output FILE or redirect it");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_save (s, argv + optind, g->eng.default_registry, format, output, &err) < 0)
    return cli_fail (&err);
  return 0;
}
