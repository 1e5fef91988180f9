/* The client's side of the attach protocol (capsa/attach.h): input and size messages, and the
 * detach keys. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "capsa/attach.h"

/* "ctrl-X": the control character, -1 when X has none */
static int
ctrl_key (char k)
{
  if (k >= 'a' && k <= 'z')
    return k - 'a' + 1;
  if (k >= 'A' && k <= 'Z')
    return k - 'A' + 1;
  if (k == '@')
    return 0;
  if (k && strchr ("[\\]^_", k))
    return k - '[' + 27;
  return -1;
}

int
capsa_detach_keys_parse (const char *s, struct capsa_detacher *d)
{
  memset (d, 0, sizeof *d);
  if (s == NULL)
    s = CAPSA_DETACH_KEYS_DEFAULT;
  if (*s == '\0')
    return 0;
  for (const char *p = s;; p++)
    {
      const char *end = strchr (p, ',');
      size_t len = end ? (size_t) (end - p) : strlen (p);
      int k = len == 1 ? (unsigned char) p[0] : len == 6 && strncmp (p, "ctrl-", 5) == 0 ? ctrl_key (p[5]) : -1;
      if (k < 0 || d->n == CAPSA_DETACH_KEYS_MAX)
        {
          d->n = 0;
          return -1;
        }
      d->keys[d->n++] = (unsigned char) k;
      if (end == NULL)
        return 0;
      p = end;
    }
}

bool
capsa_detach_filter (struct capsa_detacher *d, const unsigned char *in, size_t len, char *out, size_t *outlen)
{
  size_t o = 0;
  for (size_t i = 0; i < len; i++)
    {
      if (d->n && in[i] == d->keys[d->matched])
        {
          if (++d->matched == d->n)
            {
              *outlen = o;
              return true;
            }
          continue;
        }
      /* not the sequence after all: what was held goes, then this byte is looked at afresh */
      memcpy (out + o, d->keys, (size_t) d->matched);
      o += (size_t) d->matched;
      d->matched = 0;
      if (d->n && in[i] == d->keys[0])
        d->matched = 1;
      else
        out[o++] = (char) in[i];
    }
  *outlen = o;
  return false;
}

int
capsa_attach_send_input (int sock, const char *buf, size_t len)
{
  char pkt[ATTACH_MSG_MAX];
  while (len > 0)
    {
      size_t n = len < sizeof pkt - 1 ? len : sizeof pkt - 1;
      pkt[0] = ATTACH_IN;
      memcpy (pkt + 1, buf, n);
      ssize_t w;
      while ((w = send (sock, pkt, n + 1, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
      if (w < 0)
        return -1;
      buf += n;
      len -= n;
    }
  return 0;
}

int
capsa_attach_send_resize (int sock, unsigned rows, unsigned cols)
{
  char pkt[32];
  int n = snprintf (pkt, sizeof pkt, "%c%u %u", ATTACH_RESIZE, rows, cols);
  return send (sock, pkt, (size_t) n, MSG_NOSIGNAL) < 0 ? -1 : 0;
}
