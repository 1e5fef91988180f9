/* JSON files: see jsonutil.h. */
#include <errno.h>
#include <stdlib.h>

#include "jsonutil.h"
#include "util.h"

int
json_read_file_at (int dirfd, const char *path, const char *what, json_t **out, json_error_t *je, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  cleanup_err capsa_err *e = NULL;
  size_t len;

  if (read_file_at (dirfd, path, &buf, &len, &e) < 0)
    {
      if (e->errnum == ENOENT)
        return 1;
      return capsa_fail (err, e->errnum, "read `%s`", what);
    }
  *out = json_loadb (buf, len, 0, je);
  return 0;
}
