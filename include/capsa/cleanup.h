/* Scope-based cleanup helpers.
 *
 * Declare a variable with one of these attributes and it is released when it leaves scope.
 * Ownership is handed on explicitly with take_ptr()/take_fd(), which return the value and reset
 * the variable so that the cleanup does nothing:  `return take_fd (&fd);`.
 * close() is never retried on EINTR: on Linux the descriptor is gone either way.
 */
#ifndef CAPSA_CLEANUP_H
#define CAPSA_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
cleanup_free_fn (void *p)
{
  void **pp = (void **) p;
  free (*pp);
}

static inline void
cleanup_close_fn (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

static inline void
cleanup_fclose_fn (FILE **f)
{
  if (*f)
    fclose (*f);
}

static inline void
cleanup_dir_fn (DIR **d)
{
  if (*d)
    closedir (*d);
}

/* A NULL-terminated array of owned strings. */
static inline void
cleanup_strv_fn (char ***v)
{
  if (*v)
    {
      for (char **s = *v; *s; s++)
        free (*s);
      free (*v);
    }
}

#define cleanup_free __attribute__ ((cleanup (cleanup_free_fn)))
#define cleanup_close __attribute__ ((cleanup (cleanup_close_fn)))
#define cleanup_fclose __attribute__ ((cleanup (cleanup_fclose_fn)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dir_fn)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strv_fn)))

static inline int
take_fd (int *fd)
{
  int r = *fd;
  *fd = -1;
  return r;
}

static inline void *
take_ptr_impl (void **p)
{
  void *r = *p;
  *p = NULL;
  return r;
}
#define take_ptr(pp) take_ptr_impl ((void **) (pp))

#endif
