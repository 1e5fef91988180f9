/* capsa-monitor: the sockets `capsa network connect -p` reserves host ports with, held for the
 * container's life or until `network disconnect` (ATTACH_HOLD / ATTACH_RELEASE, attach_proto.h). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mon.h"

static void
hold_close (struct mon_hold *h)
{
  for (size_t i = 0; i < h->n; i++)
    close (h->fds[i]);
  free (h->fds);
  free (h->name);
}

void
mon_hold_release (struct mon_holds *hs, const char *name)
{
  for (size_t i = hs->n; i-- > 0;)
    if (strcmp (hs->v[i].name, name) == 0)
      {
        hold_close (&hs->v[i]);
        hs->v[i] = hs->v[--hs->n];
      }
}

void
mon_hold_add (struct mon_holds *hs, const char *name, const int *fds, size_t n)
{
  mon_hold_release (hs, name); /* a network connected again: what it had before is gone */
  int *copy = xmalloc0 ((n ? n : 1) * sizeof *copy);
  memcpy (copy, fds, n * sizeof *copy);
  hs->v = xrealloc (hs->v, (hs->n + 1) * sizeof *hs->v);
  hs->v[hs->n++] = (struct mon_hold){ .name = xstrdup (name), .fds = copy, .n = n };
}
