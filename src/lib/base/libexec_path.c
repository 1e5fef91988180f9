/* Where the programs installed with capsa are (capsa-monitor, capsa-init, capsa-image,
 * capsa-service), for every front end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/error.h"
#include "capsa/runtime.h"
#include "util.h"

int
capsa_libexec_path (const char *name, char **out, capsa_err **err)
{
  cleanup_free char *exe = NULL;
  if (capsa_exe_path (&exe, err) < 0) /* (not /proc/self/exe: that of a sealed copy is no path) */
    return -1;
  *strrchr (exe, '/') = '\0';
  /* the build tree (every program in one directory), then the configured libexec directory, then
   * one beside a moved installation */
  char *cands[] = {
    xasprintf ("%s/%s", exe, name),
#ifdef CAPSA_LIBEXECDIR
    xasprintf ("%s/capsa/%s", CAPSA_LIBEXECDIR, name),
#endif
    xasprintf ("%s/../libexec/capsa/%s", exe, name),
  };
  *out = NULL;
  for (size_t i = 0; i < ARRAY_SIZE (cands); i++)
    {
      if (*out == NULL && access (cands[i], X_OK) == 0)
        *out = cands[i];
      else
        free (cands[i]);
    }
  if (*out == NULL)
    return capsa_fail_as (err, ENOENT, "%s is not installed: not beside `%s/capsa`, nor in %s", name, exe,
#ifdef CAPSA_LIBEXECDIR
                          CAPSA_LIBEXECDIR "/capsa"
#else
                          "../libexec/capsa"
#endif
    );
  return 0;
}
