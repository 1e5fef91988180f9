/* The mount table of a process: see mountinfo.h. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "mountinfo.h"
#include "util.h"

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void
unescape (char *s)
{
  char *o = s;
  for (char *p = s; *p; p++)
    if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7')
      {
        *o++ = (char) ((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      }
    else
      *o++ = *p;
  *o = '\0';
}

/* One line into *e (its strings pointing into the line); false when it has not the shape. */
static bool
parse_line (char *l, struct mountinfo_entry *e)
{
  char *f[32];
  int nf = 0, dash = -1;
  char *save = NULL;
  for (char *t = strtok_r (l, " ", &save); t && nf < 32; t = strtok_r (NULL, " ", &save))
    f[nf++] = t;
  for (int i = 6; i < nf && dash < 0; i++)
    if (strcmp (f[i], "-") == 0)
      dash = i;
  if (nf < 6 || dash < 0 || dash + 3 > nf)
    return false;
  unescape (f[3]);
  unescape (f[4]);
  *e = (struct mountinfo_entry){
    f[3], f[4], f[5], f[dash + 1], f[dash + 2], dash + 3 < nf ? f[dash + 3] : (char *) ""
  };
  return true;
}

void
mountinfo_parse (char *text, struct mountinfo *mi)
{
  size_t cap = 16;
  char *save = NULL;
  memset (mi, 0, sizeof *mi);
  mi->buf = text;
  mi->m = xmalloc0 (cap * sizeof *mi->m);
  for (char *l = text ? strtok_r (text, "\n", &save) : NULL; l; l = strtok_r (NULL, "\n", &save))
    {
      if (mi->n == cap)
        mi->m = xrealloc (mi->m, (cap *= 2) * sizeof *mi->m);
      if (parse_line (l, &mi->m[mi->n]))
        mi->n++;
    }
}

int
mountinfo_read (const char *path, struct mountinfo *mi, capsa_err **err)
{
  char *text = NULL;
  int r = read_file_at (AT_FDCWD, path, &text, NULL, err);
  mountinfo_parse (r < 0 ? NULL : text, mi);
  return r < 0 ? -1 : 0;
}

void
mountinfo_free (struct mountinfo *mi)
{
  free (mi->m);
  free (mi->buf);
  memset (mi, 0, sizeof *mi);
}

const struct mountinfo_entry *
mountinfo_at (const struct mountinfo *mi, const char *point)
{
  const struct mountinfo_entry *found = NULL;
  for (size_t i = 0; i < mi->n; i++)
    if (strcmp (mi->m[i].point, point) == 0)
      found = &mi->m[i];
  return found;
}

bool
mount_opt_has (const char *opts, const char *opt)
{
  size_t ol = strlen (opt);
  for (const char *p = opts; p && *p;)
    {
      size_t l = strcspn (p, ",");
      if (l == ol && strncmp (p, opt, l) == 0)
        return true;
      p += l;
      if (*p == ',')
        p++;
    }
  return false;
}
