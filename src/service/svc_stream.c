/* Streamed answers: a job run in a thread of its own writes the body into a pipe, which the
 * connection's thread sends as it comes (svc.h, svc_reply_stream). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/util.h"
#include "svc.h"

struct job
{
  svc_stream_fn *fn;
  void *ctx;
  void (*ctx_free) (void *);
  int fd;
};

static void
job_free (struct job *j)
{
  if (j->fd >= 0)
    close (j->fd);
  if (j->ctx_free)
    j->ctx_free (j->ctx);
  free (j);
}

static void *
job_run (void *p)
{
  struct job *j = p;
  j->fn (j->ctx, j->fd);
  job_free (j);
  return NULL;
}

static ssize_t
pipe_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  int fd = (int) (intptr_t) cls;
  (void) pos;
  for (;;)
    {
      ssize_t n = read (fd, buf, max);
      if (n > 0)
        return n;
      if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
      if (errno != EINTR)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void
pipe_close (void *cls)
{
  close ((int) (intptr_t) cls);
}

enum MHD_Result
svc_reply_stream (struct svc_req *r, const char *ctype, svc_stream_fn *fn, void *ctx, void (*ctx_free) (void *))
{
  int p[2];
  pthread_t t;
  pthread_attr_t attr;
  struct job *j = capsa_xmalloc0 (sizeof *j);
  *j = (struct job){ fn, ctx, ctx_free, -1 };
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      job_free (j);
      return svc_reply_err (r, 500, "pipe: %s", strerror (errno));
    }
  j->fd = p[1];
  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  int e = pthread_create (&t, &attr, job_run, j);
  pthread_attr_destroy (&attr);
  if (e != 0)
    {
      close (p[0]);
      job_free (j);
      return svc_reply_err (r, 500, "cannot start a thread: %s", strerror (e));
    }
  struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 64 * 1024, pipe_read,
                                                                 (void *) (intptr_t) p[0], pipe_close);
  if (resp == NULL)
    {
      close (p[0]);
      return MHD_NO;
    }
  MHD_add_response_header (resp, "Content-Type", ctype);
  return svc_reply_response (r, 200, resp);
}
