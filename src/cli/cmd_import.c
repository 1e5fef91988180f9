/* capsa import [--change INSTR]... [--message MSG] TARBALL|DIRECTORY|- [REPOSITORY[:TAG]] */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "import.h"
#include "reference.h"
#include "util.h"

int
cmd_import (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "change", required_argument, NULL, 'c' },
    { "message", required_argument, NULL, 'm' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **changes = NULL;
  cleanup_free char *full = NULL;
  struct capsa_import_opts o = { 0 };
  char id[CAPSA_DIGEST_LEN + 1];
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "c:m:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'c':
        strv_append (&changes, optarg);
        break;
      case 'm':
        o.message = optarg;
        break;
      case 'h':
        printf ("Usage: capsa import [OPTIONS] TARBALL|DIRECTORY|- [REPOSITORY[:TAG]]\n\n"
                "Make a one-layer image from a root filesystem: a tarball (plain, gzip, zstd, xz, bzip2)\n"
                "such as Alpine's minirootfs, a directory such as debootstrap's, or a tar on stdin.\n"
                "  -c, --change INSTR   CMD, ENTRYPOINT, ENV, WORKDIR, USER or LABEL, as in a Dockerfile\n"
                "  -m, --message MSG    a comment for the image's history\n");
        return 0;
      default:
        return cli_usage ("import", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind < 1 || argc - optind > 2)
    return cli_usage ("import", "requires 1 or 2 arguments (SOURCE [REPOSITORY[:TAG]])");
  if (argc - optind == 2)
    {
      struct capsa_ref r;
      if (capsa_ref_parse (argv[optind + 1], g->eng.default_registry, &r, &err) < 0)
        return cli_fail (&err);
      if (r.tag == NULL)
        {
          capsa_ref_free (&r);
          return cli_usage ("import", "the image name must be REPOSITORY[:TAG], not a digest");
        }
      full = capsa_ref_string (&r);
      capsa_ref_free (&r);
      o.name = full;
    }
  o.changes = changes;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_import (s, argv[optind], &o, id, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", id);
  return 0;
}
