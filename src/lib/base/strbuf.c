/* A growing string: see strbuf.h. */
#include <stdarg.h>
#include <stdio.h>

#include "strbuf.h"
#include "util.h"

void
strbuf_printf (struct strbuf *b, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (NULL, 0, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if (b->len + (size_t) n + 1 > b->cap)
    b->buf = xrealloc (b->buf, b->cap = (b->len + (size_t) n + 1) * 2);
  va_start (ap, fmt);
  vsnprintf (b->buf + b->len, b->cap - b->len, fmt, ap);
  va_end (ap);
  b->len += (size_t) n;
}
