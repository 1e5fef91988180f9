/* capsa pull [--quiet] [--insecure] NAME[:TAG|@DIGEST], and the progress display shared with push. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

#include "progress.h"

/* One line per layer, redrawn in place with ANSI cursor moves; at most every 100 ms. */
void
cli_progress (void *data, const struct capsa_progress *p)
{
  struct cli_progress *pr = data;
  struct timespec now;
  if (pr->lines == 0)
    {
      pr->lines = p->count;
      pr->text = capsa_xmalloc0 (p->count * sizeof (char *));
      for (unsigned i = 0; i < p->count; i++)
        fputc ('\n', stderr);
    }
  if (p->index >= pr->lines)
    return;
  char bar[64] = "";
  if (p->state == CAPSA_PROGRESS_DOWNLOADING && p->total > 0)
    {
      unsigned filled = (unsigned) (20 * (p->done > p->total ? p->total : p->done) / p->total);
      snprintf (bar, sizeof bar, "[%.*s%.*s]", (int) filled, "====================", (int) (20 - filled),
                "                    ");
    }
  char done[32], total[32];
  cli_human_size ((long long) p->done, done, sizeof done);
  cli_human_size ((long long) p->total, total, sizeof total);
  /* a line that starts downloading is drawn at once: only its byte counts are throttled */
  bool was_downloading = pr->text[p->index] && strstr (pr->text[p->index], ": Downloading") != NULL;
  free (pr->text[p->index]);
  if (p->state == CAPSA_PROGRESS_DOWNLOADING || p->state == CAPSA_PROGRESS_UPLOADING)
    pr->text[p->index] = capsa_xasprintf ("%.12s: %s %s %s/%s", p->digest + 7,
                                          capsa_progress_word (p->state, pr->push) ?: "", bar, done, total);
  else
    pr->text[p->index] = capsa_xasprintf ("%.12s: %s", p->digest + 7, capsa_progress_word (p->state, pr->push) ?: "");
  clock_gettime (CLOCK_MONOTONIC, &now);
  long ms = now.tv_sec * 1000 + now.tv_nsec / 1000000;
  if (p->state == CAPSA_PROGRESS_DOWNLOADING && was_downloading && ms - pr->last_ms < 100)
    return;
  pr->last_ms = ms;
  fprintf (stderr, "\033[%uA", pr->lines);
  for (unsigned i = 0; i < pr->lines; i++)
    fprintf (stderr, "\r\033[K%s\n", pr->text[i] ? pr->text[i] : "");
  fflush (stderr);
}

void
cli_progress_free (struct cli_progress *pr)
{
  for (unsigned i = 0; i < pr->lines; i++)
    free (pr->text[i]);
  free (pr->text);
}

void
cli_registry_opts (struct cli_global *g, struct capsa_registry_opts *o, bool quiet, struct cli_progress *pr)
{
  memset (o, 0, sizeof *o);
  o->default_registry = g->eng.default_registry;
  o->insecure = g->insecure;
  o->authfile = g->authfile;
  if (!quiet && isatty (2))
    {
      o->progress = cli_progress;
      o->progress_data = pr;
    }
}

void
cli_registry_insecure (struct cli_global *g, struct capsa_registry_opts *o, const char *ref, char ***list)
{
  for (char **p = g->insecure; p && *p; p++)
    capsa_strv_append (list, *p);
  /* the registry of this reference: everything before the first / when it looks like a host */
  cleanup_free char *host = capsa_xstrdup (ref);
  host[strcspn (host, "/")] = '\0';
  capsa_strv_append (list, host);
  o->insecure = *list;
}

int
cmd_pull (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  struct capsa_registry_opts o;
  struct cli_progress pr = { 0 };
  cleanup_free char *name = NULL;
  char id[CAPSA_DIGEST_LEN + 1], digest[CAPSA_DIGEST_LEN + 1];
  struct pull_flags f = { 0 };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_pull, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool quiet = f.quiet, insecure = f.insecure;
  if (argc - first != 1)
    return cli_usage ("pull", "requires exactly 1 argument (NAME[:TAG|@DIGEST])");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  cli_registry_opts (g, &o, quiet, &pr);
  o.platform = f.platform;
  cleanup_strv char **insecure_list = NULL;
  if (insecure)
    cli_registry_insecure (g, &o, argv[first], &insecure_list);
  if (!quiet && o.progress == NULL)
    fprintf (stderr, "Pulling %s\n", argv[first]);
  int r = capsa_pull (s, argv[first], &o, &name, id, digest, &err);
  cli_progress_free (&pr);
  if (r < 0)
    return cli_fail (&err);
  cleanup_free char *fam = cli_familiar (g, name);
  if (!quiet)
    printf ("Digest: %s\nStatus: pulled %s\n", digest, fam);
  printf ("%s\n", name);
  return 0;
}
