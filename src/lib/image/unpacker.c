/* Layers unpacked in worker threads: see unpacker.h.  A fixed queue (a pull knows its layers),
 * one mutex and one condition: the workers do nothing but capsa_store_unpack_layer, which keeps
 * its own state in its own locked temporary directory. */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "unpacker.h"
#include "util.h"

#define UNPACKER_MAX_WORKERS 4

struct job
{
  char *digest, *diffid;
};

struct unpacker
{
  struct capsa_store *s;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct job *jobs;
  size_t cap, n, next;
  bool closed;
  capsa_err *first; /* the first failure: the others are not unpacked after it */
  pthread_t t[UNPACKER_MAX_WORKERS];
  unsigned nt;
};

/* The next job, or NULL once closed and drained (or failed). */
static struct job *
next_job (struct unpacker *u)
{
  pthread_mutex_lock (&u->mu);
  while (u->next == u->n && !u->closed && u->first == NULL)
    pthread_cond_wait (&u->cv, &u->mu);
  struct job *j = u->next < u->n && u->first == NULL ? &u->jobs[u->next++] : NULL;
  pthread_mutex_unlock (&u->mu);
  return j;
}

static void *
worker (void *arg)
{
  struct unpacker *u = arg;
  struct job *j;
  while ((j = next_job (u)) != NULL)
    {
      capsa_err *e = NULL;
      if (capsa_store_unpack_layer (u->s, j->digest, j->diffid, NULL, &e) == 0)
        continue;
      pthread_mutex_lock (&u->mu);
      if (u->first == NULL)
        u->first = take_ptr (&e);
      pthread_cond_broadcast (&u->cv);
      pthread_mutex_unlock (&u->mu);
      capsa_err_free (&e);
    }
  return NULL;
}

struct unpacker *
unpacker_start (struct capsa_store *s, size_t n, unsigned workers)
{
  struct unpacker *u = xmalloc0 (sizeof *u);
  u->s = s;
  u->cap = n;
  u->jobs = xmalloc0 ((n ? n : 1) * sizeof *u->jobs);
  pthread_mutex_init (&u->mu, NULL);
  pthread_cond_init (&u->cv, NULL);
  if (workers > UNPACKER_MAX_WORKERS)
    workers = UNPACKER_MAX_WORKERS;
  if (workers > n)
    workers = (unsigned) n;
  for (unsigned i = 0; i < workers; i++)
    if (pthread_create (&u->t[u->nt], NULL, worker, u) == 0)
      u->nt++;
  return u;
}

void
unpacker_add (struct unpacker *u, const char *digest, const char *diffid)
{
  if (u == NULL)
    return;
  pthread_mutex_lock (&u->mu);
  if (u->n < u->cap)
    u->jobs[u->n++] = (struct job){ xstrdup (digest), xstrdup (diffid) };
  pthread_cond_signal (&u->cv);
  pthread_mutex_unlock (&u->mu);
}

int
unpacker_finish (struct unpacker *u, capsa_err **err)
{
  if (u == NULL)
    return 0;
  pthread_mutex_lock (&u->mu);
  u->closed = true;
  pthread_cond_broadcast (&u->cv);
  pthread_mutex_unlock (&u->mu);
  for (unsigned i = 0; i < u->nt; i++)
    pthread_join (u->t[i], NULL);
  /* (no thread started: the caller's capsa_image_register unpacks what is left) */
  int r = u->first ? -1 : 0;
  if (u->first)
    *err = take_ptr (&u->first);
  for (size_t i = 0; i < u->n; i++)
    {
      free (u->jobs[i].digest);
      free (u->jobs[i].diffid);
    }
  free (u->jobs);
  pthread_cond_destroy (&u->cv);
  pthread_mutex_destroy (&u->mu);
  free (u);
  return r;
}
