/* Go's text/tabwriter as docker's tables use it (template.h): the text is cut into lines and
 * the lines into cells at each tab.  A column is a run of consecutive lines that all have a
 * tab-terminated cell at that index; its width is its widest cell plus the padding, minwidth at
 * least.  A line's last cell (not ended by a tab) is written as it is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/template.h"
#include "capsa/util.h"

#define TW_MAX_COLS 64

struct tw_line
{
  const char *start;
  size_t len;
  int ncells; /* cells: tab-terminated ones plus the last one */
};

struct tw
{
  struct tw_line *lines;
  size_t nlines;
  int minwidth, padding;
  int widths[TW_MAX_COLS];
  int nwidths;
  FILE *out;
};

/* the cell at index col of line l: *s and its length in bytes (0 when it has none) */
static size_t
tw_cell (const struct tw_line *l, int col, const char **s)
{
  const char *p = l->start, *end = l->start + l->len;
  for (int i = 0; i < col && p < end; i++)
    {
      const char *tab = memchr (p, '\t', (size_t) (end - p));
      p = tab ? tab + 1 : end;
    }
  const char *tab = memchr (p, '\t', (size_t) (end - p));
  *s = p;
  return (size_t) ((tab ? tab : end) - p);
}

static size_t
tw_runes (const char *s, size_t n)
{
  size_t r = 0;
  for (size_t i = 0; i < n; i++)
    r += ((unsigned char) s[i] & 0xC0) != 0x80;
  return r;
}

static void
tw_write_lines (struct tw *w, size_t from, size_t to)
{
  for (size_t i = from; i < to; i++)
    {
      const struct tw_line *l = &w->lines[i];
      for (int c = 0; c < l->ncells; c++)
        {
          const char *s;
          size_t n = tw_cell (l, c, &s);
          fwrite (s, 1, n, w->out);
          for (size_t pad = tw_runes (s, n); c < w->nwidths && pad < (size_t) w->widths[c]; pad++)
            fputc (' ', w->out);
        }
      fputc ('\n', w->out);
    }
}

/* Go's Writer.format: lines [from, to) for the columns from nwidths on */
static void
tw_format (struct tw *w, size_t from, size_t to)
{
  int col = w->nwidths;
  for (size_t i = from; i < to; i++)
    {
      if (col >= w->lines[i].ncells - 1 || col >= TW_MAX_COLS)
        continue;
      tw_write_lines (w, from, i);
      from = i;
      int width = w->minwidth;
      for (; i < to && col < w->lines[i].ncells - 1; i++)
        {
          const char *s;
          size_t n = tw_cell (&w->lines[i], col, &s);
          int cw = (int) tw_runes (s, n) + w->padding;
          width = cw > width ? cw : width;
        }
      w->widths[w->nwidths++] = width;
      tw_format (w, from, i);
      w->nwidths--;
      from = i;
      i--; /* the for's i++ comes back to the line that ended the block */
    }
  tw_write_lines (w, from, to);
}

char *
capsa_tabwriter (const char *text, int minwidth, int padding)
{
  struct tw w = { .minwidth = minwidth, .padding = padding };
  size_t cap = 0, len = 0;
  for (const char *p = text; *p;)
    {
      const char *nl = strchrnul (p, '\n');
      if (w.nlines == cap)
        w.lines = realloc (w.lines, (cap = cap * 2 + 16) * sizeof *w.lines);
      if (w.lines == NULL)
        abort ();
      struct tw_line *l = &w.lines[w.nlines++];
      *l = (struct tw_line){ .start = p, .len = (size_t) (nl - p), .ncells = 1 };
      for (const char *q = p; q < nl; q++)
        l->ncells += *q == '\t';
      p = *nl ? nl + 1 : nl;
    }
  char *buf = NULL;
  w.out = open_memstream (&buf, &len);
  if (w.out == NULL)
    abort ();
  tw_format (&w, 0, w.nlines);
  fclose (w.out);
  free (w.lines);
  if (len > 0 && text[0] && text[strlen (text) - 1] != '\n')
    buf[len - 1] = '\0'; /* no newline was there */
  return buf;
}
