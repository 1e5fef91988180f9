/* A container's files: GET and HEAD /containers/{id}/archive?path= (a path as a tar stream, its
 * stat in X-Docker-Container-Path-Stat), GET /containers/{id}/export (the whole root as a tar).
 * Paths resolve inside the container's root (capsa_rootpath_open: symlinks and ".." never leave
 * it), as `capsa cp` does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

/* Go's os.FileMode of st (what the docker CLI decodes) */
static unsigned long
go_mode (const struct stat *st)
{
  unsigned long m = st->st_mode & 0777;
  if (S_ISDIR (st->st_mode))
    m |= 1ul << 31;
  if (S_ISLNK (st->st_mode))
    m |= 1ul << 27;
  if (S_ISBLK (st->st_mode) || S_ISCHR (st->st_mode))
    m |= 1ul << 26;
  if (S_ISCHR (st->st_mode))
    m |= 1ul << 21;
  if (S_ISFIFO (st->st_mode))
    m |= 1ul << 25;
  if (S_ISSOCK (st->st_mode))
    m |= 1ul << 24;
  if (st->st_mode & S_ISUID)
    m |= 1ul << 23;
  if (st->st_mode & S_ISGID)
    m |= 1ul << 22;
  if (st->st_mode & S_ISVTX)
    m |= 1ul << 20;
  return m;
}

/* the last component of p ("/" for the root) */
static char *
base_name (const char *p)
{
  size_t n = strlen (p);
  while (n > 1 && p[n - 1] == '/')
    n--;
  const char *s = p + n;
  while (s > p && s[-1] != '/')
    s--;
  return n == 1 && p[0] == '/' ? capsa_xstrdup ("/") : strndup (s, (size_t) (p + n - s));
}

/* docker's path stat header value: base64 of {"name","size","mode","mtime","linkTarget"} */
static char *
path_stat (int fd, const char *path)
{
  struct stat st;
  char target[4096] = "", mtime[40];
  if (fstatat (fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
    return NULL;
  if (S_ISLNK (st.st_mode))
    {
      ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
      target[n > 0 ? n : 0] = '\0';
    }
  struct tm tm;
  gmtime_r (&st.st_mtim.tv_sec, &tm);
  strftime (mtime, sizeof mtime, "%Y-%m-%dT%H:%M:%SZ", &tm);
  cleanup_free char *name = base_name (path);
  cleanup_json json_t *j = json_pack ("{s:s, s:I, s:I, s:s, s:s}", "name", name, "size", (json_int_t) st.st_size,
                                      "mode", (json_int_t) go_mode (&st), "mtime", mtime, "linkTarget", target);
  cleanup_free char *text = json_dumps (j, JSON_COMPACT);
  return text ? capsa_base64_encode (text, strlen (text)) : NULL;
}

struct tar_job
{
  int src;
  char *name;
};

static void
tar_job_free (void *p)
{
  struct tar_job *j = p;
  close (j->src);
  free (j->name);
  free (j);
}

static void
tar_job_warn (const char *msg)
{
  (void) msg; /* (a device node left out: docker's archive leaves it out silently too) */
}

static void
tar_job_run (void *p, int fd)
{
  struct tar_job *j = p;
  cleanup_err capsa_err *err = NULL;
  capsa_cp_tar_write (fd, j->src, j->name, tar_job_warn, &err);
}

/* the container's path, opened O_PATH inside its root; a 404 as dockerd's when missing */
static bool
open_in_ctr (struct svc_req *r, struct ctr *c, const char *path, int *out, enum MHD_Result *res)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_close int root = capsa_ctr_open_root (&r->s->eng, c, &err);
  if (root < 0)
    return *res = svc_reply_capsa_err (r, &err), false;
  *out = capsa_rootpath_open (root, path, O_PATH | O_NOFOLLOW, &err);
  if (*out >= 0)
    return true;
  if (err->errnum == ENOENT)
    *res = svc_reply_err (r, 404, "Could not find the file %s in container %s", path, r->param[0]);
  else
    *res = svc_reply_capsa_err (r, &err);
  return false;
}

enum MHD_Result
api_ctr_archive_get (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  const char *path = svc_query (r, "path");
  if (path == NULL || *path == '\0')
    return svc_reply_err (r, 400, "path is required (?path=/PATH)");
  int fd;
  if (!svc_find_ctr (r, &c, &res) || !open_in_ctr (r, c, path, &fd, &res))
    return res;
  cleanup_free char *stat64 = path_stat (fd, path);
  const char *headers[] = { "X-Docker-Container-Path-Stat", stat64 ?: "", NULL };
  if (strcmp (r->method, "HEAD") == 0)
    {
      close (fd);
      struct MHD_Response *resp = MHD_create_response_from_buffer (0, (void *) "", MHD_RESPMEM_PERSISTENT);
      if (resp)
        MHD_add_response_header (resp, headers[0], headers[1]);
      return svc_reply_response (r, 200, resp);
    }
  struct tar_job *j = capsa_xmalloc0 (sizeof *j);
  cleanup_free char *base = base_name (path);
  j->src = fd;
  j->name = capsa_xstrdup (strcmp (base, "/") == 0 ? "." : base);
  return svc_reply_pipe (r, 200, "application/x-tar", headers, tar_job_run, j, tar_job_free);
}

enum MHD_Result
api_ctr_export (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  cleanup_err capsa_err *err = NULL;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  /* the root filesystem itself (as the host mounts it), not what the container has mounted on
   * it: no /proc, /sys, volumes */
  const char *rootfs = jstr (json_object_get (json_object_get (c->meta, "GraphDriver"), "Data"), "MergedDir");
  if (capsa_ctr_root_ensure (&r->s->eng, c->id, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  int fd = rootfs ? open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (fd < 0)
    return svc_reply_err (r, 500, "export %s: cannot open its root filesystem", r->param[0]);
  struct tar_job *j = capsa_xmalloc0 (sizeof *j);
  j->src = fd;
  j->name = capsa_xstrdup (".");
  return svc_reply_pipe (r, 200, "application/octet-stream", NULL, tar_job_run, j, tar_job_free);
}

/* PUT /containers/{id}/archive?path=DIR&noOverwriteDirNonDir=: the body, a tar stream, extracted
 * into the directory DIR of the container (members named absolutely or with "..", and symlinks on
 * the way to a member, refused: cp_tar.c) */
enum MHD_Result
api_ctr_archive_put (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  const char *path = svc_query (r, "path");
  if (path == NULL || *path == '\0')
    return svc_reply_err (r, 400, "path is required (?path=/DIR)");
  if (r->body_fd < 0)
    return svc_reply_err (r, 400, "a tar stream is required in the request body");
  if (!svc_find_ctr (r, &c, &res))
    return res;
  cleanup_close int root = capsa_ctr_open_root (&r->s->eng, c, &err);
  if (root < 0)
    return svc_reply_capsa_err (r, &err);
  cleanup_close int dir = capsa_rootpath_open (root, path, O_RDONLY | O_DIRECTORY, &err);
  if (dir < 0)
    {
      if (err->errnum == ENOENT)
        return svc_reply_err (r, 404, "Could not find the file %s in container %s", path, r->param[0]);
      if (err->errnum == ENOTDIR)
        return svc_reply_err (r, 400, "extraction point is not a directory");
      return svc_reply_capsa_err (r, &err);
    }
  if (lseek (r->body_fd, 0, SEEK_SET) < 0 || capsa_cp_tar_extract (r->body_fd, dir, tar_job_warn, &err) < 0)
    return svc_reply_err (r, 400, "extract into %s: %s", path, err ? err->msg : "cannot read the body");
  return svc_reply_empty (r, 200);
}

/* GET /containers/{id}/changes: `docker diff` */
enum MHD_Result
api_ctr_changes (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  json_t *changes = NULL;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (capsa_ctr_changes (&r->s->eng, c, &changes, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  return svc_reply_json (r, 200, changes);
}
