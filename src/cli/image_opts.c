/* The image transfer commands' options (image_opts.h). */
#include <errno.h>
#include <string.h>

#include "capsa/engine.h"
#include "capsa/image.h"
#include "image_opts.h"

static int
compression_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "gzip") != 0 && strcmp (v, "zstd") != 0)
    return capsa_fail_as (err, EINVAL, "--compression-format: unknown format `%s` (gzip or zstd)", v);
  return 0;
}

static int
archive_format_ok (const char *v, capsa_err **err)
{
  static const char *const known[] = { "docker-archive", "docker", "oci-archive", "oci", "oci-dir" };
  for (size_t i = 0; i < sizeof known / sizeof *known; i++)
    if (strcmp (v, known[i]) == 0)
      return 0;
  return capsa_fail_as (err, EINVAL, "--format: unknown format `%s` (docker-archive, oci-archive or oci-dir)", v);
}

static int
platform_ok (const char *v, capsa_err **err)
{
  return capsa_platform_check (v, err);
}

static const struct capsa_opt pull_opts[] = {
  CAPSA_O_BOOL ('q', "quiet", struct pull_flags, quiet, "print only the image's name (no progress)"),
  CAPSA_O_BOOL (0, "insecure", struct pull_flags, insecure, "allow plain http and unverified TLS for this registry"),
  CAPSA_O_STR (0, "platform", struct pull_flags, platform, "OS/ARCH[/VARIANT]",
               "the platform to take from a multi-platform image (default: this host's)", .check = platform_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_pull = {
  "pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry.", pull_opts, 0, NULL
};

static const struct capsa_opt push_opts[] = {
  CAPSA_O_BOOL ('q', "quiet", struct push_flags, quiet, "no progress"),
  CAPSA_O_BOOL (0, "insecure", struct push_flags, insecure, "allow plain http and unverified TLS for this registry"),
  CAPSA_O_STR (0, "compression-format", struct push_flags, compression, "gzip|zstd",
               "how uncompressed layers are compressed for the upload (default gzip)", .check = compression_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_push = {
  "push",
  "[OPTIONS] IMAGE [DESTINATION]",
  "Upload IMAGE to the registry its name says, or to DESTINATION (REGISTRY/REPO[:TAG]).",
  push_opts,
  0,
  NULL
};

static const struct capsa_opt login_opts[] = {
  CAPSA_O_STR ('u', "username", struct login_flags, user, "USER", "the user name"),
  CAPSA_O_STR ('p', "password", struct login_flags, password, "PASSWORD",
               "(visible to other users in ps: prefer --password-stdin)"),
  CAPSA_O_BOOL (0, "password-stdin", struct login_flags, from_stdin, "read the password from stdin"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_login = { "login",
                                         "[OPTIONS] REGISTRY",
                                         "Check the credentials against REGISTRY, then save them (--authfile, default\n"
                                         "$XDG_CONFIG_HOME/capsa/auth.json, mode 0600).",
                                         login_opts,
                                         0,
                                         NULL };

const struct cli_spec cli_spec_logout = {
  "logout", "REGISTRY", "Remove REGISTRY's credentials from capsa's auth file.", cli_no_options, 0, NULL
};

static const struct capsa_opt load_opts[] = {
  CAPSA_O_STR ('i', "input", struct load_flags, input, "FILE|DIR", "read it instead of stdin"),
  CAPSA_O_BOOL ('q', "quiet", struct load_flags, quiet, "print nothing"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_load = { "load",
                                        "[OPTIONS]",
                                        "Load images from a docker-archive (`docker save`), an OCI archive, or an OCI "
                                        "layout\ndirectory; the format is recognized by itself.",
                                        load_opts,
                                        0,
                                        NULL };

static const struct capsa_opt save_opts[] = {
  CAPSA_O_STR ('o', "output", struct save_flags, output, "FILE|DIR",
               "write there instead of stdout (a directory for oci-dir)"),
  CAPSA_O_STR ('f', "format", struct save_flags, format, "FORMAT",
               "docker-archive (default, as `docker save`), oci-archive,\n"
               "or oci-dir (an OCI image layout; an existing one is added to)",
               .check = archive_format_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_save = {
  "save", "[OPTIONS] IMAGE...", "Write images to a docker-archive, an OCI archive or an OCI layout.", save_opts, 0, NULL
};

static const struct capsa_opt import_opts[] = {
  CAPSA_O_LIST (
      'c', "change", struct import_flags, changes, "INSTR",
      "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME,\nWORKDIR or STOPSIGNAL, as in a Dockerfile"),
  CAPSA_O_STR ('m', "message", struct import_flags, message, "MSG", "a comment for the image's history"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_import = {
  "import",
  "[OPTIONS] TARBALL|DIRECTORY|- [REPOSITORY[:TAG]]",
  "Make a one-layer image from a root filesystem: a tarball (plain, gzip, zstd, xz, bzip2)\n"
  "such as Alpine's minirootfs, a directory such as debootstrap's, or a tar on stdin.",
  import_opts,
  0,
  NULL
};

static int
build_network_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "none") && strcmp (v, "bridge") && strcmp (v, "host") && strcmp (v, "default"))
    return capsa_fail_as (err, EINVAL, "--network: `%s` is not none, bridge or host", v);
  return 0;
}

static int
build_progress_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "plain") && strcmp (v, "tty") && strcmp (v, "auto"))
    return capsa_fail_as (err, EINVAL, "--progress: `%s` is not plain, tty or auto", v);
  return 0;
}

static const struct capsa_opt build_opts[] = {
  CAPSA_O_LIST ('t', "tag", struct build_flags, tags, "NAME[:TAG]", "name the image (repeatable)"),
  CAPSA_O_STR ('f', "file", struct build_flags, file, "FILE",
               "the Dockerfile (default: CONTEXT/Dockerfile, else CONTEXT/Containerfile; - for stdin)"),
  CAPSA_O_LIST (0, "build-arg", struct build_flags, build_args, "K=V", "set an ARG (K alone: from the environment)"),
  CAPSA_O_STR (0, "target", struct build_flags, target, "STAGE", "build up to this stage (FROM ... AS STAGE)"),
  CAPSA_O_BOOL (0, "no-cache", struct build_flags, no_cache, "run every step again (the results are cached anew)"),
  CAPSA_O_BOOL (0, "pull", struct build_flags, pull, "pull the FROM images even when they are in the store"),
  CAPSA_O_LIST (0, "label", struct build_flags, labels, "K=V", "set a label on the image"),
  CAPSA_O_STR (0, "network", struct build_flags, network, "MODE", "RUN's network: bridge (default), none or host",
               .check = build_network_ok),
  CAPSA_O_BOOL ('q', "quiet", struct build_flags, quiet, "print only the image id (and RUN's errors)"),
  CAPSA_O_STR (0, "iidfile", struct build_flags, iidfile, "FILE", "write the image id to FILE"),
  CAPSA_O_LIST (0, "secret", struct build_flags, secrets, "id=ID,src=FILE",
                "a file for RUN --mount=type=secret,id=ID (not kept in the image)"),
  CAPSA_O_STR (0, "progress", struct build_flags, progress, "MODE",
               "plain, tty (each step's time) or auto (tty on a terminal)", .check = build_progress_ok),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_build = {
  "build",
  "[OPTIONS] CONTEXT",
  "Build an image from a Dockerfile (or Containerfile) and the directory CONTEXT: FROM, RUN,\n"
  "COPY, ADD, ENV, ARG, WORKDIR, USER, ENTRYPOINT, CMD, EXPOSE, LABEL, VOLUME, STOPSIGNAL,\n"
  "HEALTHCHECK, SHELL, ONBUILD; multi-stage builds; .dockerignore (.containerignore).  Each\n"
  "step's result is cached: an unchanged step is not run again.",
  build_opts,
  0,
  NULL
};
static const struct capsa_opt commit_opts[] = {
  CAPSA_O_LIST (
      'c', "change", struct commit_flags, changes, "INSTR",
      "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER, VOLUME,\nWORKDIR or STOPSIGNAL, as in a Dockerfile"),
  CAPSA_O_STR ('m', "message", struct commit_flags, message, "MSG", "a comment for the image's history"),
  CAPSA_O_STR ('a', "author", struct commit_flags, author, "AUTHOR", "the image's author (\"Name <mail>\")"),
  CAPSA_O_BOOL ('p', "pause", struct commit_flags, pause,
                "freeze a running container while its layer is made\n(default true; --pause=false)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_commit = {
  "commit",
  "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  "Make an image of a container's changes: a new layer on its image, with the config it runs with.",
  commit_opts,
  0,
  NULL
};

int
cli_image_name (struct cli_global *g, const char *cmd, const char *arg, char **full)
{
  struct capsa_ref r;
  capsa_err *err = NULL;
  if (capsa_ref_parse (arg, g->eng.default_registry, &r, &err) < 0)
    return cli_fail (&err);
  if (r.tag == NULL)
    {
      capsa_ref_free (&r);
      return cli_usage (cmd, "the image name must be REPOSITORY[:TAG], not a digest");
    }
  *full = capsa_ref_string (&r);
  capsa_ref_free (&r);
  return 0;
}
