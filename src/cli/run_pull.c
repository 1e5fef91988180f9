/* run and create's --pull (cli.h): as docker's, an image the store lacks is pulled first
 * ("Unable to find image 'x' locally", then the pull's progress, on stderr: stdout is the
 * container's, or its id).  The pull is capsa-image's (`capsa` loads no libcurl), run as a child
 * with the same global options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

/* Is image in the store (of platform, when one is asked: docker pulls the platform's over a
 * local image of another)? */
static bool
in_store (struct cli_global *g, const char *image, const char *platform)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL, *cfg = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_store_open (g->eng.root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return false; /* the pull says why */
  json_t *img = capsa_image_find (idx, image, g->eng.default_registry, &err);
  if (img == NULL || platform == NULL)
    return img != NULL;
  const char *id = json_string_value (json_object_get (img, "id"));
  return id && capsa_blob_json (s, id, &cfg, &err) == 0 && capsa_platform_match (platform, cfg);
}

/* capsa-image [GLOBAL OPTIONS] pull IMAGE: the globals are what g->argv has before the command
 * (`container run`: before the group's name). */
static char **
pull_argv (struct cli_global *g, int argc, const char *path, const char *image, const char *platform)
{
  int end = g->argc - argc;
  if (end >= 2 && strcmp (g->argv[end - 1], "container") == 0)
    end--;
  char **args = capsa_xmalloc0 ((size_t) (end + 5) * sizeof *args);
  args[0] = (char *) path;
  for (int i = 1; i < end; i++)
    args[i] = g->argv[i];
  int n = end;
  args[n++] = (char *) "pull";
  if (platform)
    {
      args[n++] = (char *) "--platform";
      args[n++] = (char *) platform;
    }
  args[n] = (char *) image;
  return args;
}

int
cli_run_pull (struct cli_global *g, int argc, const char *image, const char *policy, const char *platform)
{
  capsa_err *err = NULL;
  cleanup_free char *path = NULL;
  if (policy == NULL)
    policy = "missing";
  if (strcmp (policy, "never") == 0 || (strcmp (policy, "missing") == 0 && in_store (g, image, platform)))
    return 0;
  struct capsa_ref ref = { 0 };
  cleanup_err capsa_err *bad = NULL;
  if (capsa_ref_parse (image, g->eng.default_registry, &ref, &bad) < 0)
    return 0; /* no name to pull: create says "invalid reference format" */
  capsa_ref_free (&ref);
  if (strcmp (policy, "missing") == 0)
    fprintf (stderr, "Unable to find image '%s' locally\n", image);
  if (capsa_libexec_path ("capsa-image", &path, &err) < 0)
    return capsa_err_wrap (&err, "pull `%s`", image), cli_fail (&err);
  cleanup_free char **args = pull_argv (g, argc, path, image, platform);
  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      dup2 (2, 1);
      execv (path, args);
      fprintf (stderr, "capsa: pull `%s`: exec %s: %s\n", image, path, strerror (errno));
      _exit (CLI_EXIT_ERROR);
    }
  int status = 0;
  if (pid < 0)
    return capsa_fail (&err, errno, "pull `%s`: fork", image), cli_fail (&err);
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0 ? 0 : CLI_EXIT_ERROR;
}
