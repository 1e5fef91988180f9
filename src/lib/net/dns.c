/* DNS messages: see dns.h.  Every read goes through get16/get32 or an explicit bound check. */
#include <string.h>

#include "dns.h"

#define HDR 12
#define FLAG_QR 0x8000u
#define FLAG_AA 0x0400u
#define FLAG_TC 0x0200u
#define FLAG_RD 0x0100u
#define FLAG_RA 0x0080u
#define OPCODE(f) (((f) >> 11) & 0xfu)
#define MAX_HOPS 16 /* compression pointers followed in one name */

static int
get16 (const uint8_t *msg, size_t len, size_t off, uint16_t *v)
{
  if (off > len || len - off < 2)
    return -1;
  *v = (uint16_t) (msg[off] << 8 | msg[off + 1]);
  return 0;
}

static void
put16 (uint8_t *p, uint16_t v)
{
  p[0] = (uint8_t) (v >> 8);
  p[1] = (uint8_t) v;
}

static void
put32 (uint8_t *p, uint32_t v)
{
  put16 (p, (uint16_t) (v >> 16));
  put16 (p + 2, (uint16_t) v);
}

/* One label's bytes appended at out[*n] (with a `.` before when not the first). */
static int
append_label (const uint8_t *lab, size_t l, char *out, size_t *n)
{
  if (*n + (*n ? 1 : 0) + l > DNS_NAME_MAX)
    return -1;
  if (*n)
    out[(*n)++] = '.';
  for (size_t i = 0; i < l; i++)
    {
      if (lab[i] <= ' ' || lab[i] >= 0x7f || lab[i] == '.')
        return -1;
      out[(*n)++] = (char) lab[i];
    }
  return 0;
}

int
dns_read_name (const uint8_t *msg, size_t len, size_t off, char *out, size_t *next)
{
  size_t n = 0, pos = off;
  int hops = 0;
  *next = 0;
  for (;;)
    {
      if (pos >= len)
        return -1;
      uint8_t l = msg[pos];
      if ((l & 0xc0) == 0xc0)
        {
          uint16_t ptr;
          if (get16 (msg, len, pos, &ptr) < 0 || ++hops > MAX_HOPS)
            return -1;
          if (*next == 0)
            *next = pos + 2;
          size_t target = ptr & 0x3fffu;
          if (target >= pos || target < HDR) /* only backwards (no loops), never into the header */
            return -1;
          pos = target;
          continue;
        }
      if (l & 0xc0) /* 0x40, 0x80: reserved label types */
        return -1;
      if (l == 0)
        break;
      if (len - pos - 1 < l || append_label (msg + pos + 1, l, out, &n) < 0)
        return -1;
      pos += 1 + (size_t) l;
    }
  out[n] = '\0';
  if (*next == 0)
    *next = pos + 1;
  return 0;
}

int
dns_parse_query (const uint8_t *msg, size_t len, struct dns_query *q)
{
  uint16_t qd, an, ns;
  memset (q, 0, sizeof *q);
  if (len < HDR)
    return -1;
  get16 (msg, len, 0, &q->id);
  get16 (msg, len, 2, &q->flags);
  get16 (msg, len, 4, &qd);
  get16 (msg, len, 6, &an);
  get16 (msg, len, 8, &ns);
  if ((q->flags & FLAG_QR) || OPCODE (q->flags) != 0 || qd != 1 || an != 0 || ns != 0)
    return -1;
  size_t off;
  if (dns_read_name (msg, len, HDR, q->name, &off) < 0 || get16 (msg, len, off, &q->qtype) < 0
      || get16 (msg, len, off + 2, &q->qclass) < 0)
    return -1;
  q->qend = off + 4;
  return 0;
}

void
dns_error (uint16_t id, uint16_t qflags, int rcode, uint8_t out[12])
{
  memset (out, 0, HDR);
  put16 (out, id);
  put16 (out + 2, (uint16_t) (FLAG_QR | (qflags & (FLAG_RD | 0x7800u)) | FLAG_RA | (rcode & 0xf)));
}

/* name in wire form at out (cap bytes): its length, -1 when not valid or it does not fit. */
static int
put_name (const char *name, uint8_t *out, size_t cap)
{
  size_t pos = 0;
  if (strlen (name) > DNS_NAME_MAX)
    return -1;
  for (const char *p = name; *p;)
    {
      size_t l = strcspn (p, ".");
      if (l == 0 || l > 63 || cap - pos < l + 2)
        return -1;
      out[pos++] = (uint8_t) l;
      memcpy (out + pos, p, l);
      pos += l;
      p += l;
      if (*p == '.' && *++p == '\0')
        break;
    }
  if (pos == 0 || cap - pos < 1)
    return -1;
  out[pos++] = 0;
  return (int) pos;
}

/* One record at out (room bytes): its length, 0 when it does not fit, -1 when it is invalid. */
static int
put_rr (const struct dns_rr *rr, uint8_t *out, size_t room)
{
  size_t alen = rr->type == DNS_TYPE_AAAA ? 16 : 4;
  if (room < 12)
    return 0;
  put16 (out, 0xc000 | HDR); /* the question's name */
  put16 (out + 2, rr->type);
  put16 (out + 4, DNS_CLASS_IN);
  put32 (out + 6, rr->ttl);
  if (rr->type == DNS_TYPE_PTR)
    {
      uint8_t wire[DNS_NAME_MAX + 2];
      int n = put_name (rr->target ? rr->target : "", wire, sizeof wire);
      if (n < 0)
        return -1; /* no name */
      if (room - 12 < (size_t) n)
        return 0;
      memcpy (out + 12, wire, (size_t) n);
      alen = (size_t) n;
    }
  else if (room - 12 < alen)
    return 0;
  else
    memcpy (out + 12, rr->addr, alen);
  put16 (out + 10, (uint16_t) alen);
  return (int) (12 + alen);
}

int
dns_answer (const struct dns_query *q, const uint8_t *msg, int rcode, const struct dns_rr *rrs, size_t n, uint8_t *out,
            size_t cap)
{
  if (q->qend < HDR || cap < q->qend)
    return -1;
  dns_error (q->id, q->flags, rcode, out);
  out[2] |= FLAG_AA >> 8;
  put16 (out + 4, 1);
  memcpy (out + HDR, msg + HDR, q->qend - HDR);
  size_t len = q->qend, count = 0;
  for (size_t i = 0; i < n; i++)
    {
      int r = put_rr (&rrs[i], out + len, cap - len);
      if (r < 0)
        continue;
      if (r == 0)
        {
          out[2] |= FLAG_TC >> 8;
          break;
        }
      len += (size_t) r;
      count++;
    }
  put16 (out + 6, (uint16_t) count);
  return (int) len;
}

int
dns_make_query (uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap)
{
  if (cap < HDR + 4)
    return -1;
  memset (out, 0, HDR);
  put16 (out, id);
  put16 (out + 2, FLAG_RD);
  put16 (out + 4, 1);
  int n = put_name (name, out + HDR, cap - HDR - 4);
  if (n < 0)
    return -1;
  size_t pos = HDR + (size_t) n;
  put16 (out + pos, qtype);
  put16 (out + pos + 2, DNS_CLASS_IN);
  return (int) (pos + 4);
}

/* One resource record at *off: an address one into rr (1), another type (0), malformed (-1). */
static int
parse_rr (const uint8_t *msg, size_t len, size_t *off, struct dns_rr *rr)
{
  char name[DNS_NAME_MAX + 1];
  uint16_t type, cls, ttlh, ttll, rdlen;
  size_t p;
  if (dns_read_name (msg, len, *off, name, &p) < 0 || get16 (msg, len, p, &type) < 0
      || get16 (msg, len, p + 2, &cls) < 0 || get16 (msg, len, p + 4, &ttlh) < 0 || get16 (msg, len, p + 6, &ttll) < 0
      || get16 (msg, len, p + 8, &rdlen) < 0 || len - (p + 10) < rdlen)
    return -1;
  *off = p + 10 + rdlen;
  size_t want = type == DNS_TYPE_A ? 4 : type == DNS_TYPE_AAAA ? 16 : 0;
  if (want == 0 || cls != DNS_CLASS_IN)
    return 0;
  if (rdlen != want)
    return -1;
  memset (rr, 0, sizeof *rr);
  rr->type = type;
  rr->ttl = (uint32_t) ttlh << 16 | ttll;
  memcpy (rr->addr, msg + p + 10, want);
  return 1;
}

int
dns_parse_answer (const uint8_t *msg, size_t len, int *rcode, struct dns_rr *rrs, size_t max)
{
  uint16_t flags, qd, an;
  if (len < HDR)
    return -1;
  get16 (msg, len, 2, &flags);
  get16 (msg, len, 4, &qd);
  get16 (msg, len, 6, &an);
  if (!(flags & FLAG_QR))
    return -1;
  *rcode = flags & 0xf;
  size_t off = HDR, n = 0;
  char name[DNS_NAME_MAX + 1];
  for (uint16_t i = 0; i < qd; i++)
    if (dns_read_name (msg, len, off, name, &off) < 0 || (off += 4) > len)
      return -1;
  for (uint16_t i = 0; i < an; i++)
    {
      struct dns_rr rr;
      int r = parse_rr (msg, len, &off, &rr);
      if (r < 0)
        return -1;
      if (r > 0 && n < max)
        rrs[n++] = rr;
    }
  return (int) n;
}
