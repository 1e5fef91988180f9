/* The HTTP side of capsa-service: requests read whole, the version prefix, docker's answers. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"
#include "svc_http.h"

static void
add_common_headers (struct MHD_Response *resp)
{
  MHD_add_response_header (resp, "Api-Version", SVC_API_VERSION);
  MHD_add_response_header (resp, "Docker-Experimental", "false");
  MHD_add_response_header (resp, "Ostype", "linux");
  MHD_add_response_header (resp, "Server", "capsa/" CAPSA_VERSION " (linux)");
}

enum MHD_Result
svc_reply_response (struct svc_req *r, unsigned status, struct MHD_Response *resp)
{
  if (resp == NULL)
    return MHD_NO;
  add_common_headers (resp);
  enum MHD_Result ret = MHD_queue_response (r->conn, status, resp);
  MHD_destroy_response (resp);
  r->replied = true;
  return ret;
}

enum MHD_Result
svc_reply_raw (struct svc_req *r, unsigned status, const char *ctype, const char *data, size_t len)
{
  struct MHD_Response *resp = MHD_create_response_from_buffer (len, (void *) data, MHD_RESPMEM_MUST_COPY);
  if (resp && ctype)
    MHD_add_response_header (resp, "Content-Type", ctype);
  return svc_reply_response (r, status, resp);
}

enum MHD_Result
svc_reply_json (struct svc_req *r, unsigned status, json_t *body)
{
  cleanup_free char *text = json_dumps (body, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref (body);
  if (text == NULL)
    return svc_reply_err (r, 500, "cannot encode the answer as JSON");
  size_t n = strlen (text);
  text[n] = '\0';
  struct MHD_Response *resp = MHD_create_response_from_buffer (n, text, MHD_RESPMEM_MUST_COPY);
  if (resp)
    MHD_add_response_header (resp, "Content-Type", "application/json");
  return svc_reply_response (r, status, resp);
}

enum MHD_Result
svc_reply_empty (struct svc_req *r, unsigned status)
{
  return svc_reply_raw (r, status, NULL, "", 0);
}

enum MHD_Result
svc_reply_err (struct svc_req *r, unsigned status, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  return svc_reply_json (r, status, json_pack ("{s:s}", "message", msg ?: "out of memory"));
}

unsigned
svc_status_of_errno (int e)
{
  switch (e)
    {
    case ENOENT:
      return 404;
    case EEXIST:
    case EBUSY:
    case ENOTEMPTY:
      return 409;
    case EINVAL:
    case E2BIG:
    case ERANGE:
      return 400;
    case EPERM:
    case EACCES:
      return 403;
    case ENOSYS:
    case EOPNOTSUPP:
      return 501;
    default:
      return 500;
    }
}

enum MHD_Result
svc_reply_capsa_err (struct svc_req *r, capsa_err **err)
{
  unsigned status = svc_status_of_errno (*err ? (*err)->errnum : 0);
  enum MHD_Result ret = svc_reply_err (r, status, "%s", *err ? (*err)->msg : "unknown error");
  capsa_err_free (err);
  return ret;
}

const char *
svc_query (struct svc_req *r, const char *name)
{
  return MHD_lookup_connection_value (r->conn, MHD_GET_ARGUMENT_KIND, name);
}

struct query_list
{
  const char *name;
  char **values;
};

static enum MHD_Result
add_value (void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
  struct query_list *q = cls;
  (void) kind;
  if (strcmp (key, q->name) == 0 && value && *value)
    capsa_strv_append (&q->values, value);
  return MHD_YES;
}

char **
svc_query_list (struct svc_req *r, const char *name)
{
  struct query_list q = { name, NULL };
  MHD_get_connection_values (r->conn, MHD_GET_ARGUMENT_KIND, add_value, &q);
  return q.values;
}

bool
svc_query_bool (struct svc_req *r, const char *name, bool def)
{
  const char *v = svc_query (r, name);
  if (v == NULL)
    return def;
  return strcmp (v, "1") == 0 || strcasecmp (v, "true") == 0;
}

bool
svc_query_int (struct svc_req *r, const char *name, long long def, long long *out, enum MHD_Result *res)
{
  const char *v = svc_query (r, name);
  *out = def;
  if (v == NULL || *v == '\0')
    return true;
  char *end;
  errno = 0;
  long long n = strtoll (v, &end, 10);
  if (errno || *end)
    {
      *res = svc_reply_err (r, 400, "invalid value for %s: `%s` is not an integer", name, v);
      return false;
    }
  *out = n;
  return true;
}

bool
svc_body_json (struct svc_req *r, bool empty_ok, json_t **out, enum MHD_Result *res)
{
  if (r->len == 0 && empty_ok)
    {
      *out = json_object ();
      return true;
    }
  json_error_t je;
  *out = json_loadb (r->body ? r->body : "", r->len, 0, &je);
  if (*out == NULL || !json_is_object (*out))
    {
      json_decref (*out);
      *out = NULL;
      *res = r->len == 0 ? svc_reply_err (r, 400, "a JSON object is required in the request body")
                         : svc_reply_err (r, 400, "invalid JSON in the request body: %s (line %d)", je.text, je.line);
      return false;
    }
  return true;
}

static enum MHD_Result
dispatch (struct svc_req *r, const char *url)
{
  if (r->bad_version)
    return svc_reply_err (r, 400, "malformed version in `%s`: expected /v1.NN/...", url);
  if (r->api > SVC_API_MINOR)
    return svc_reply_err (r, 400, "client version 1.%d is too new. Maximum supported API version is %s", r->api,
                          SVC_API_VERSION);
  if (r->api < SVC_API_MIN_MINOR)
    return svc_reply_err (r, 400,
                          "client version 1.%d is too old. Minimum supported API version is 1.%d, please "
                          "upgrade your client to a newer version",
                          r->api, SVC_API_MIN_MINOR);
  if (r->too_big)
    return svc_reply_err (r, 413, "request body over %u bytes", SVC_BODY_MAX);
  if (r->body_errno)
    return svc_reply_err (r, 500, "cannot keep the request body in a temporary file: %s", strerror (r->body_errno));
  bool known = false;
  svc_handler *h = svc_route (r, &known);
  if (h)
    return h (r);
  if (known)
    return svc_reply_err (r, 405, "%s is not allowed on %s", r->method, r->path);
  return svc_reply_err (r, 404, "page not found");
}

static void
req_free (struct svc_req *r)
{
  free (r->path);
  for (size_t i = 0; i < SVC_MAX_PARAMS; i++)
    free (r->param[i]);
  free (r->body);
  if (r->body_fd >= 0)
    close (r->body_fd);
  free (r);
}

static void
body_append (struct svc_req *r, const char *data, size_t n)
{
  if (r->body_fd >= 0 || r->body_errno)
    {
      if (r->body_errno == 0 && capsa_write_all (r->body_fd, data, n) < 0)
        r->body_errno = errno;
      return;
    }
  if (r->too_big || r->len + n > SVC_BODY_MAX)
    {
      r->too_big = true;
      return;
    }
  char *b = realloc (r->body, r->len + n + 1);
  if (b == NULL)
    {
      r->too_big = true;
      return;
    }
  r->body = b;
  memcpy (r->body + r->len, data, n);
  r->len += n;
  r->body[r->len] = '\0';
}

/* An unnamed temp file for a body (in $TMPDIR, else /var/tmp: not a tmpfs), -1 with errno. */
static int
body_file (void)
{
  const char *tmp = getenv ("TMPDIR");
  tmp = tmp && *tmp ? tmp : "/var/tmp";
  int fd = open (tmp, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR))
    return fd;
  cleanup_free char *path = capsa_xasprintf ("%s/capsa-body-XXXXXX", tmp);
  fd = mkostemp (path, O_CLOEXEC);
  if (fd >= 0)
    unlink (path);
  return fd;
}

enum MHD_Result
svc_access (void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
            const char *upload_data, size_t *upload_data_size, void **con_cls)
{
  struct svc_req *r = *con_cls;
  (void) version;
  if (r == NULL)
    {
      r = capsa_xmalloc0 (sizeof *r);
      r->s = cls;
      r->conn = conn;
      r->method = method;
      r->body_fd = -1;
      r->bad_version = !svc_strip_version (url, &r->path, &r->api);
      if (!r->bad_version && svc_route_body_file (method, r->path) && (r->body_fd = body_file ()) < 0)
        r->body_errno = errno;
      *con_cls = r;
      return MHD_YES;
    }
  if (*upload_data_size)
    {
      body_append (r, upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
  if (r->replied)
    return MHD_YES;
  enum MHD_Result ret = dispatch (r, url);
  if (!r->replied)
    return MHD_NO; /* a handler that did not answer: the connection is closed */
  return ret;
}

void
svc_completed (void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode code)
{
  (void) cls;
  (void) conn;
  (void) code;
  if (*con_cls)
    req_free (*con_cls);
  *con_cls = NULL;
}

bool
svc_filters (struct svc_req *r, json_t **out, enum MHD_Result *res)
{
  const char *q = svc_query (r, "filters");
  if (svc_filters_parse (q, out))
    return true;
  *res = svc_reply_err (r, 400, "invalid filters: `%s` (want {\"key\": [\"value\", ...]})", q);
  return false;
}

struct pipe_job
{
  svc_producer *fn;
  void *data;
  void (*free_data) (void *);
  int fd;
};

static void *
pipe_job_run (void *p)
{
  struct pipe_job *j = p;
  j->fn (j->data, j->fd);
  close (j->fd);
  if (j->free_data)
    j->free_data (j->data);
  free (j);
  return NULL;
}

enum MHD_Result
svc_reply_pipe (struct svc_req *r, unsigned status, const char *ctype, const char *const *headers, svc_producer *fn,
                void *data, void (*free_data) (void *))
{
  int p[2];
  pthread_t t;
  pthread_attr_t a;
  if (pipe2 (p, O_CLOEXEC) < 0)
    {
      if (free_data)
        free_data (data);
      return svc_reply_err (r, 500, "pipe: %s", strerror (errno));
    }
  struct pipe_job *j = capsa_xmalloc0 (sizeof *j);
  *j = (struct pipe_job){ fn, data, free_data, p[1] };
  pthread_attr_init (&a);
  pthread_attr_setdetachstate (&a, PTHREAD_CREATE_DETACHED);
  int e = pthread_create (&t, &a, pipe_job_run, j);
  pthread_attr_destroy (&a);
  if (e != 0)
    {
      close (p[0]);
      close (p[1]);
      if (free_data)
        free_data (data);
      free (j);
      return svc_reply_err (r, 500, "start a thread: %s", strerror (e));
    }
  struct MHD_Response *resp = MHD_create_response_from_pipe (p[0]);
  if (resp && ctype)
    MHD_add_response_header (resp, "Content-Type", ctype);
  for (size_t i = 0; resp && headers && headers[i]; i += 2)
    MHD_add_response_header (resp, headers[i], headers[i + 1]);
  return svc_reply_response (r, status, resp);
}

bool
svc_stopping (struct svc *s)
{
  return !svc_sleep_ms (s, 0);
}

bool
svc_sleep_ms (struct svc *s, int ms)
{
  struct pollfd p = { .fd = s->stop_fd, .events = POLLIN };
  return poll (&p, 1, ms) <= 0;
}

void
svc_emit (int fd, json_t *msg)
{
  cleanup_free char *text = json_dumps (msg, JSON_COMPACT);
  json_decref (msg);
  if (text)
    {
      size_t n = strlen (text);
      text[n] = '\n';
      if (capsa_write_all (fd, text, n + 1) < 0)
        errno = 0; /* a client gone: the transfer or build goes on */
    }
}
