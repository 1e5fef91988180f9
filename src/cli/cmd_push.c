/* capsa push [--quiet] [--insecure] IMAGE [DESTINATION] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "progress.h"

int
cmd_push (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "quiet", no_argument, NULL, 'q' },
    { "insecure", no_argument, NULL, 'k' },
    { "compression-format", required_argument, NULL, 'c' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **insecure_list = NULL;
  struct capsa_registry_opts o;
  struct cli_progress pr = { 0 };
  char digest[CAPSA_DIGEST_LEN + 1];
  bool quiet = false, insecure = false;
  const char *compression = "gzip";
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'q':
        quiet = true;
        break;
      case 'k':
        insecure = true;
        break;
      case 'c':
        if (strcmp (optarg, "gzip") != 0 && strcmp (optarg, "zstd") != 0)
          return cli_usage ("push", "--compression-format: unknown format `%s` (gzip or zstd)", optarg);
        compression = optarg;
        break;
      case 'h':
        printf ("Usage: capsa push [OPTIONS] IMAGE [DESTINATION]\n\n"
                "Upload IMAGE to the registry its name says, or to DESTINATION (REGISTRY/REPO[:TAG]).\n"
                "  -q, --quiet      no progress\n"
                "      --insecure   allow plain http and unverified TLS for this registry\n"
                "      --compression-format gzip|zstd\n"
                "                   how uncompressed layers are compressed for the upload (default gzip)\n");
        return 0;
      default:
        return cli_usage ("push", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind < 1 || argc - optind > 2)
    return cli_usage ("push", "requires 1 or 2 arguments (IMAGE [DESTINATION])");
  const char *dest = argc - optind == 2 ? argv[optind + 1] : NULL;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  cli_registry_opts (g, &o, quiet, &pr);
  o.compression = compression;
  if (insecure)
    {
      for (char **p = g->insecure; p && *p; p++)
        capsa_strv_append (&insecure_list, *p);
      cleanup_free char *host = capsa_xstrdup (dest ? dest : argv[optind]);
      host[strcspn (host, "/")] = '\0';
      capsa_strv_append (&insecure_list, host);
      o.insecure = insecure_list;
    }
  int r = capsa_push (s, argv[optind], dest, &o, digest, &err);
  cli_progress_free (&pr);
  if (r < 0)
    return cli_fail (&err);
  if (!quiet)
    printf ("digest: %s\n", digest);
  return 0;
}
