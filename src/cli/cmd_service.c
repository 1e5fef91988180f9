/* capsa system service [OPTIONS] [URI]: the Docker Engine API, served by capsa-service (a program
 * of its own, src/service, so that `capsa` loads no HTTP library).  This process hands it the
 * store and the registries it resolved, then becomes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

int
cmd_system_service (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  cleanup_free char *path = NULL;
  cleanup_free char *self = NULL;
  if (capsa_libexec_path ("capsa-service", &path, &err) < 0 || capsa_exe_path (&self, &err) < 0)
    return capsa_err_wrap (&err, "`capsa system service`"), cli_fail (&err);
  size_t n = 0, max = 10 + 2 * capsa_strv_len (g->insecure) + (size_t) argc;
  char **args = capsa_xmalloc0 (max * sizeof (char *));
  args[n++] = path;
  args[n++] = (char *) "--root";
  args[n++] = (char *) g->eng.root;
  args[n++] = (char *) "--capsa"; /* the monitors' steps run by this program: it starts faster */
  args[n++] = self;
  args[n++] = (char *) "--default-registry";
  args[n++] = g->eng.default_registry;
  for (char **i = g->insecure; i && *i; i++)
    {
      args[n++] = (char *) "--insecure-registry";
      args[n++] = *i;
    }
  if (g->authfile)
    {
      args[n++] = (char *) "--authfile";
      args[n++] = (char *) g->authfile;
    }
  if (g->eng.debug)
    args[n++] = (char *) "--debug";
  for (int i = 1; i < argc; i++)
    args[n++] = argv[i];
  fflush (NULL);
  execv (path, args);
  capsa_fail (&err, errno, "`capsa system service`: exec %s", path);
  free (args);
  return cli_fail (&err);
}
