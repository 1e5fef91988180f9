/* The option tables of the image transfer commands (image_opts.c): capsa-image parses with them,
 * `capsa completion` lists them (capsa does not link the commands themselves). */
#ifndef CAPSA_CLI_IMAGE_OPTS_H
#define CAPSA_CLI_IMAGE_OPTS_H

#include "cli.h"

struct pull_flags
{
  bool quiet, insecure;
  const char *platform; /* --platform OS/ARCH[/VARIANT] */
};
struct push_flags
{
  bool quiet, insecure;
  const char *compression; /* gzip (set before parsing) or zstd */
};
struct login_flags
{
  const char *user, *password;
  bool from_stdin;
};
struct load_flags
{
  const char *input; /* "-" (set before parsing): stdin */
  bool quiet;
};
struct save_flags
{
  const char *output; /* "-" (set before parsing): stdout */
  const char *format; /* docker-archive (docker), oci-archive (oci), oci-dir; NULL: docker-archive */
};
struct import_flags
{
  char **changes;
  const char *message;
};

struct build_flags
{
  char **tags, **build_args, **labels, **secrets;
  const char *file, *target, *network, *iidfile, *progress;
  bool no_cache, pull, quiet;
};

extern const struct cli_spec cli_spec_build;
struct commit_flags
{
  char **changes;
  const char *message, *author;
  bool pause; /* true (set before parsing): docker's default */
};

extern const struct cli_spec cli_spec_pull, cli_spec_push, cli_spec_login, cli_spec_logout, cli_spec_load,
    cli_spec_save, cli_spec_import, cli_spec_commit;

/* The full name of image name `arg` for command cmd (a tag, not a digest) in *full (owned);
 * non-zero: the exit status, the error printed. */
int cli_image_name (struct cli_global *g, const char *cmd, const char *arg, char **full);

#endif
