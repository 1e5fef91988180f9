/* The registry client: see registry.h.
 *
 * One `struct client` per registry+repository: it knows the scheme (https, or http for an
 * insecure registry that does not speak TLS), the credentials, and the Authorization header won
 * from the last challenge.  request() does one synchronous exchange with retries and the 401
 * dance; the layer downloads run side by side on a curl multi handle (download_blobs). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <jansson.h>

#include "auth.h"
#include "blob_sources.h"
#include "digest.h"
#include "imgspec.h"
#include "image.h"
#include "reference.h"
#include "registry.h"
#include "unpacker.h"
#include "jsonutil.h"
#include "util.h"

#define ACCEPT_MANIFESTS                                                                                               \
  "Accept: " CAPSA_MT_OCI_MANIFEST ", " CAPSA_MT_OCI_INDEX ", " CAPSA_MT_DOCKER_MANIFEST ", " CAPSA_MT_DOCKER_LIST

struct client
{
  const struct capsa_registry_opts *o;
  char *registry; /* as named: "docker.io", "127.0.0.1:5000" */
  char *base;     /* "https://registry-1.docker.io" */
  char *scope;    /* "repository:REPO:pull" */
  bool insecure;
  bool scheme_known;
  char *user, *password;
  char *authz; /* "Authorization: ..." or NULL */
};

struct response
{
  long status;
  char *body;
  size_t len;
  char *content_type;
  char *www_auth;
  char *location;
  char *digest; /* Docker-Content-Digest */
  bool too_big; /* the body went over CAPSA_MANIFEST_MAX: cut */
};

static void
response_free (struct response *r)
{
  free (r->body);
  free (r->content_type);
  free (r->www_auth);
  free (r->location);
  free (r->digest);
  memset (r, 0, sizeof *r);
}

static void
client_free (struct client *c)
{
  free (c->registry);
  free (c->base);
  free (c->scope);
  free (c->user);
  free (c->password);
  free (c->authz);
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static bool
is_insecure (const struct capsa_registry_opts *o, const char *registry)
{
  cleanup_free char *host = xstrdup (registry);
  char *colon = strrchr (host, ':');
  if (colon && host[0] != '[')
    *colon = '\0';
  if (strcmp (host, "localhost") == 0 || strncmp (host, "127.", 4) == 0 || strcmp (host, "[::1]") == 0)
    return true;
  for (char *const *p = o->insecure; p && *p; p++)
    if (strcmp (*p, registry) == 0 || strcmp (*p, host) == 0)
      return true;
  return false;
}

static int
client_init (struct client *c, const struct capsa_registry_opts *o, const char *registry, const char *scope,
             capsa_err **err)
{
  static bool curl_ready;
  memset (c, 0, sizeof *c);
  if (!curl_ready)
    {
      if (curl_global_init (CURL_GLOBAL_DEFAULT) != 0)
        return capsa_fail_as (err, EIO, "libcurl could not be initialized");
      curl_ready = true;
    }
  c->o = o;
  c->registry = xstrdup (registry);
  c->insecure = is_insecure (o, registry);
  const char *api = strcmp (registry, "docker.io") == 0 ? "registry-1.docker.io" : registry;
  c->base = xasprintf ("https://%s", api);
  c->scope = scope ? xstrdup (scope) : NULL;
  if (o->user)
    {
      c->user = xstrdup (o->user);
      c->password = xstrdup (o->password ? o->password : "");
      return 0;
    }
  return capsa_auth_lookup (o->authfile, registry, &c->user, &c->password, err) < 0 ? -1 : 0;
}

/* --- one exchange -------------------------------------------------------------------------- */

static size_t
body_cb (char *ptr, size_t size, size_t n, void *data)
{
  struct response *r = data;
  size_t len = size * n;
  if (r->len + len > CAPSA_MANIFEST_MAX)
    {
      /* manifests, tokens and error bodies are small: refuse a runaway body */
      r->too_big = true;
      return 0;
    }
  r->body = xrealloc (r->body, r->len + len + 1);
  memcpy (r->body + r->len, ptr, len);
  r->len += len;
  r->body[r->len] = '\0';
  return len;
}

static void
keep_header (char **slot, const char *line, size_t len, const char *name)
{
  size_t n = strlen (name);
  if (len <= n || strncasecmp (line, name, n) != 0)
    return;
  const char *v = line + n;
  while (v < line + len && isspace ((unsigned char) *v))
    v++;
  size_t vl = (size_t) (line + len - v);
  while (vl > 0 && isspace ((unsigned char) v[vl - 1]))
    vl--;
  free (*slot);
  *slot = xasprintf ("%.*s", (int) vl, v);
}

static size_t
header_cb (char *line, size_t size, size_t n, void *data)
{
  struct response *r = data;
  size_t len = size * n;
  if (len >= 5 && strncmp (line, "HTTP/", 5) == 0)
    {
      /* a new response (after a redirect): forget the previous one's headers */
      free (r->www_auth);
      r->www_auth = NULL;
      free (r->location);
      r->location = NULL;
    }
  keep_header (&r->content_type, line, len, "content-type:");
  keep_header (&r->www_auth, line, len, "www-authenticate:");
  keep_header (&r->location, line, len, "location:");
  keep_header (&r->digest, line, len, "docker-content-digest:");
  return len;
}

struct upload
{
  int fd;
};

static size_t
read_cb (char *buf, size_t size, size_t n, void *data)
{
  struct upload *u = data;
  ssize_t r;
  do
    r = read (u->fd, buf, size * n);
  while (r < 0 && errno == EINTR);
  return r < 0 ? CURL_READFUNC_ABORT : (size_t) r;
}

static void
setup_easy (struct client *c, CURL *h, const char *url, char *errbuf)
{
  curl_easy_setopt (h, CURLOPT_URL, url);
  curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (h, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (h, CURLOPT_CONNECTTIMEOUT, 30L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (h, CURLOPT_LOW_SPEED_TIME, 60L);
  curl_easy_setopt (h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (h, CURLOPT_USERAGENT, "capsa/" CAPSA_VERSION);
  curl_easy_setopt (h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (h, CURLOPT_REDIR_PROTOCOLS_STR, c->insecure ? "http,https" : "https");
  if (c->insecure)
    {
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt (h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  errbuf[0] = '\0';
}

struct req
{
  const char *method; /* GET, HEAD, POST, PUT */
  const char *path;   /* "/v2/..." or an absolute URL */
  const char *accept; /* a full "Accept: ..." header, or NULL */
  const char *content_type;
  const char *body; /* in memory, or */
  size_t body_len;
  int body_fd; /* a file to upload (-1: none) */
  uint64_t body_fd_size;
};

static bool
transient_curl (CURLcode rc)
{
  switch (rc)
    {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      return true;
    default:
      return false;
    }
}

static bool
transient_status (long s)
{
  return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504;
}

static char *
full_url (struct client *c, const char *path)
{
  if (strncmp (path, "http://", 7) == 0 || strncmp (path, "https://", 8) == 0)
    return xstrdup (path);
  return xasprintf ("%s%s", c->base, path);
}

/* One attempt; *rc gets curl's code. */
static int
perform (struct client *c, const struct req *q, struct response *r, CURLcode *rc, char *errbuf)
{
  CURL *h = curl_easy_init ();
  struct curl_slist *hdrs = NULL;
  struct upload up = { q->body_fd };
  cleanup_free char *url = full_url (c, q->path);
  cleanup_free char *ct = q->content_type ? xasprintf ("Content-Type: %s", q->content_type) : NULL;

  if (h == NULL)
    abort ();
  response_free (r);
  setup_easy (c, h, url, errbuf);
  if (c->authz)
    hdrs = curl_slist_append (hdrs, c->authz);
  if (q->accept)
    hdrs = curl_slist_append (hdrs, q->accept);
  if (ct)
    hdrs = curl_slist_append (hdrs, ct);
  curl_easy_setopt (h, CURLOPT_WRITEFUNCTION, body_cb);
  curl_easy_setopt (h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt (h, CURLOPT_HEADERFUNCTION, header_cb);
  curl_easy_setopt (h, CURLOPT_HEADERDATA, r);
  if (strcmp (q->method, "HEAD") == 0)
    curl_easy_setopt (h, CURLOPT_NOBODY, 1L);
  else if (strcmp (q->method, "POST") == 0)
    {
      curl_easy_setopt (h, CURLOPT_POST, 1L);
      curl_easy_setopt (h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
      curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, (long) q->body_len);
      /* a redirect must not turn the POST into a GET */
      curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 0L);
    }
  else if (strcmp (q->method, "PUT") == 0)
    {
      if (q->body_fd >= 0)
        {
          lseek (q->body_fd, 0, SEEK_SET);
          curl_easy_setopt (h, CURLOPT_UPLOAD, 1L);
          curl_easy_setopt (h, CURLOPT_READFUNCTION, read_cb);
          curl_easy_setopt (h, CURLOPT_READDATA, &up);
          curl_easy_setopt (h, CURLOPT_INFILESIZE_LARGE, (curl_off_t) q->body_fd_size);
        }
      else
        {
          curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, "PUT");
          curl_easy_setopt (h, CURLOPT_POSTFIELDS, q->body ? q->body : "");
          curl_easy_setopt (h, CURLOPT_POSTFIELDSIZE, (long) q->body_len);
        }
      curl_easy_setopt (h, CURLOPT_FOLLOWLOCATION, 0L);
    }
  else if (strcmp (q->method, "DELETE") == 0)
    curl_easy_setopt (h, CURLOPT_CUSTOMREQUEST, "DELETE");
  curl_easy_setopt (h, CURLOPT_HTTPHEADER, hdrs);
  *rc = curl_easy_perform (h);
  curl_easy_getinfo (h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_slist_free_all (hdrs);
  curl_easy_cleanup (h);
  if (r->content_type)
    r->content_type[strcspn (r->content_type, ";")] = '\0';
  return 0;
}

/* Parse `Bearer realm="...",service="...",scope="..."` into its scheme and parameters. */
static json_t *
parse_challenge (const char *h)
{
  json_t *out = json_object ();
  const char *p = h;
  size_t n = strcspn (p, " ");
  cleanup_free char *scheme = xasprintf ("%.*s", (int) n, p);
  for (char *s = scheme; *s; s++)
    *s = (char) tolower ((unsigned char) *s);
  json_object_set_new (out, "scheme", json_string (scheme));
  p += n;
  while (*p)
    {
      while (*p == ' ' || *p == ',')
        p++;
      const char *eq = strchr (p, '=');
      if (eq == NULL)
        break;
      cleanup_free char *key = xasprintf ("%.*s", (int) (eq - p), p);
      p = eq + 1;
      cleanup_free char *val = NULL;
      if (*p == '"')
        {
          const char *end = strchr (p + 1, '"');
          if (end == NULL)
            break;
          val = xasprintf ("%.*s", (int) (end - p - 1), p + 1);
          p = end + 1;
        }
      else
        {
          size_t vl = strcspn (p, ",");
          val = xasprintf ("%.*s", (int) vl, p);
          p += vl;
        }
      for (char *s = key; *s; s++)
        *s = (char) tolower ((unsigned char) *s);
      json_object_set_new (out, key, json_string (val));
    }
  return out;
}

static int
basic_header (struct client *c)
{
  cleanup_free char *pair = xasprintf ("%s:%s", c->user, c->password);
  cleanup_free char *enc = capsa_base64_encode (pair, strlen (pair));
  free (c->authz);
  c->authz = xasprintf ("Authorization: Basic %s", enc);
  return 0;
}

static int
not_authorized (struct client *c, capsa_err **err)
{
  if (c->user)
    return capsa_fail_as (err, EACCES,
                          "%s refused the credentials of `%s`: check them with `capsa login %s` (or the auth "
                          "file and ~/.docker/config.json)",
                          c->registry, c->user, c->registry);
  return capsa_fail_as (err, EACCES, "%s requires authentication: run `capsa login %s` first", c->registry,
                        c->registry);
}

/* "&scope=A&scope=B" for the space-separated scopes of a challenge (a mount asks for push here and
 * pull on the repository it mounts from), as docker asks them; NULL when none.  Owned. */
static char *
scope_params (CURL *esc, const char *scope)
{
  char *out = NULL;
  cleanup_free char *copy = scope ? xstrdup (scope) : NULL;
  char *save = NULL;
  for (char *one = copy ? strtok_r (copy, " ", &save) : NULL; one; one = strtok_r (NULL, " ", &save))
    {
      char *e = curl_easy_escape (esc, one, 0);
      char *more = xasprintf ("%s&scope=%s", out ? out : "", e ? e : "");
      curl_free (e);
      free (out);
      out = more;
    }
  return out;
}

/* Answer a 401's challenge: sets c->authz. */
static int
authenticate (struct client *c, const char *www_auth, capsa_err **err)
{
  cleanup_json json_t *ch = parse_challenge (www_auth ? www_auth : "");
  const char *scheme = jstr (ch, "scheme");

  if (strcmp (scheme, "basic") == 0)
    {
      if (c->user == NULL)
        return not_authorized (c, err);
      return basic_header (c);
    }
  if (strcmp (scheme, "bearer") != 0)
    return capsa_fail_as (err, ENOTSUP, "%s: unsupported authentication scheme `%s`", c->registry,
                          www_auth ? www_auth : "(none)");
  const char *realm = jstr (ch, "realm"), *service = jstr (ch, "service");
  const char *scope = jstr (ch, "scope") ?: c->scope;
  if (realm == NULL)
    return capsa_fail_as (err, EPROTO, "%s: bearer challenge without a realm", c->registry);
  CURL *esc = curl_easy_init ();
  char *s_service = service ? curl_easy_escape (esc, service, 0) : NULL;
  cleanup_free char *s_scope = scope_params (esc, scope);
  cleanup_free char *url = xasprintf ("%s%s%s%s%s", realm, strchr (realm, '?') ? "&" : "?", s_service ? "service=" : "",
                                      s_service ? s_service : "", s_scope ? s_scope + (s_service ? 0 : 1) : "");
  curl_free (s_service);
  curl_easy_cleanup (esc);

  struct response r = { 0 };
  struct req q = { .method = "GET", .path = url, .body_fd = -1 };
  char errbuf[CURL_ERROR_SIZE];
  CURLcode rc;
  free (c->authz);
  c->authz = NULL;
  if (c->user)
    basic_header (c);
  for (unsigned attempt = 0;; attempt++)
    {
      perform (c, &q, &r, &rc, errbuf);
      if ((transient_curl (rc) || transient_status (r.status)) && attempt < (c->o->retries ? c->o->retries : 3))
        {
          sleep_ms (200L << attempt);
          continue;
        }
      break;
    }
  free (c->authz);
  c->authz = NULL;
  if (rc != CURLE_OK)
    {
      response_free (&r);
      return capsa_fail_as (err, EIO, "token from `%s`: %s", realm, errbuf[0] ? errbuf : curl_easy_strerror (rc));
    }
  if (r.status == 401 || r.status == 403)
    {
      response_free (&r);
      return not_authorized (c, err);
    }
  cleanup_json json_t *tok = r.status == 200 ? json_loadb (r.body ? r.body : "", r.len, 0, NULL) : NULL;
  const char *t = jstr (tok, "token") ?: jstr (tok, "access_token");
  long status = r.status;
  response_free (&r);
  if (t == NULL)
    return capsa_fail_as (err, EPROTO, "token from `%s`: HTTP %ld without a token", realm, status);
  c->authz = xasprintf ("Authorization: Bearer %s", t);
  return 0;
}

/* A request with retries, the http fallback of insecure registries, and the 401 dance. */
static int
request (struct client *c, const struct req *q, struct response *r, capsa_err **err)
{
  unsigned retries = c->o->retries ? c->o->retries : 3, attempt = 0;
  bool authed = false;
  char errbuf[CURL_ERROR_SIZE];
  CURLcode rc;

  for (;;)
    {
      perform (c, q, r, &rc, errbuf);
      if (rc != CURLE_OK && !c->scheme_known && c->insecure && strncmp (c->base, "https://", 8) == 0)
        {
          /* an insecure registry that does not speak TLS: plain http */
          char *http = xasprintf ("http://%s", c->base + 8);
          free (c->base);
          c->base = http;
          c->scheme_known = true;
          continue;
        }
      if (rc == CURLE_OK)
        c->scheme_known = true;
      if ((transient_curl (rc) || (rc == CURLE_OK && transient_status (r->status))) && attempt < retries)
        {
          sleep_ms (200L << attempt++);
          continue;
        }
      if (r->too_big)
        {
          cleanup_free char *url = full_url (c, q->path);
          return capsa_fail_as (err, EFBIG, "%s %s: the response is over %u MiB, the limit for a manifest: refused",
                                q->method, url, CAPSA_MANIFEST_MAX >> 20);
        }
      if (rc != CURLE_OK)
        {
          cleanup_free char *url = full_url (c, q->path);
          return capsa_fail_as (err, EIO, "%s %s: %s", q->method, url, errbuf[0] ? errbuf : curl_easy_strerror (rc));
        }
      if (r->status == 401 && !authed)
        {
          authed = true;
          if (authenticate (c, r->www_auth, err) < 0)
            return -1;
          continue;
        }
      if (r->status == 401)
        return not_authorized (c, err);
      return 0;
    }
}

/* "HTTP 404: MANIFEST_UNKNOWN manifest unknown" from a registry's error body. */
static int
http_error (capsa_err **err, const char *what, struct response *r)
{
  cleanup_json json_t *j = r->body ? json_loadb (r->body, r->len, 0, NULL) : NULL;
  json_t *e0 = json_array_get (json_object_get (j, "errors"), 0);
  const char *code = jstr (e0, "code"), *msg = jstr (e0, "message");
  int e = r->status == 404 ? ENOENT : r->status == 401 || r->status == 403 ? EACCES : EIO;
  if (code)
    return capsa_fail_as (err, e, "%s: HTTP %ld: %s%s%s", what, r->status, code, msg ? " " : "", msg ? msg : "");
  return capsa_fail_as (err, e, "%s: HTTP %ld", what, r->status);
}

/* --- parallel blob downloads ----------------------------------------------------------------- */

struct dl
{
  struct client *c;
  struct capsa_store *s;
  const char *digest;
  uint64_t size; /* as the manifest declares it: no byte more is written */
  unsigned index, count;
  struct capsa_blob_writer w;
  bool open;
  CURL *h;
  struct curl_slist *hdrs;
  unsigned attempts;
  bool body_ok;    /* the current response's body is the blob */
  bool status_set; /* body_ok was decided for the current response */
  bool done;
  char errbuf[CURL_ERROR_SIZE];
  capsa_err *err;
  uint64_t last_report;
  struct unpacker *u; /* a layer's: handed to it once stored (NULL: the config) */
  const char *diffid;
};

static void
report (struct dl *d, enum capsa_progress_state state)
{
  if (d->c->o->progress == NULL)
    return;
  struct capsa_progress p = { d->digest, d->index, d->count, d->open ? d->w.size : 0, d->size, state };
  d->c->o->progress (d->c->o->progress_data, &p);
}

static size_t
dl_write (char *ptr, size_t size, size_t n, void *data)
{
  struct dl *d = data;
  size_t len = size * n;
  if (!d->status_set)
    {
      long status = 0;
      curl_easy_getinfo (d->h, CURLINFO_RESPONSE_CODE, &status);
      d->status_set = true;
      d->body_ok = status == 200 || status == 206;
      /* asked to resume but got the whole blob: start over */
      if (status == 200 && d->w.size > 0 && capsa_blob_writer_restart (&d->w, &d->err) < 0)
        return 0;
      curl_off_t cl = -1;
      if (d->body_ok && curl_easy_getinfo (d->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK && cl > 0
          && (uint64_t) cl > d->size - d->w.size)
        {
          capsa_fail_as (&d->err, EFBIG,
                         "blob %s from %s: %lld bytes announced, more than the %llu its manifest "
                         "declares: refused",
                         d->digest, d->c->registry, (long long) cl, (unsigned long long) d->size);
          return 0;
        }
    }
  if (!d->body_ok)
    return len; /* an error body: ignored, the status says it */
  if (len > d->size - d->w.size)
    {
      /* a registry that lies about a size (or a blob that grew) could fill the disk: stop here */
      capsa_fail_as (&d->err, EFBIG, "blob %s from %s: more than the %llu bytes its manifest declares: refused",
                     d->digest, d->c->registry, (unsigned long long) d->size);
      return 0;
    }
  if (capsa_blob_writer_write (&d->w, ptr, len, &d->err) < 0)
    return 0;
  if (d->w.size - d->last_report >= 256 * 1024 || d->w.size == d->size)
    {
      d->last_report = d->w.size;
      report (d, CAPSA_PROGRESS_DOWNLOADING);
    }
  return len;
}

static int
dl_start (struct dl *d, CURLM *multi, capsa_err **err)
{
  /* the scope is "repository:REPO:pull" */
  const char *repo_start = strchr (d->c->scope, ':') + 1;
  const char *repo_end = strrchr (d->c->scope, ':');
  cleanup_free char *url = xasprintf ("%s/v2/%.*s/blobs/%s", d->c->base, (int) (repo_end - repo_start), repo_start,
                                      d->digest);
  if (!d->open && capsa_blob_writer_open (d->s, &d->w, err) < 0)
    return -1;
  d->open = true;
  d->h = curl_easy_init ();
  setup_easy (d->c, d->h, url, d->errbuf);
  d->hdrs = NULL;
  if (d->c->authz)
    d->hdrs = curl_slist_append (d->hdrs, d->c->authz);
  if (d->w.size > 0)
    {
      cleanup_free char *range = xasprintf ("Range: bytes=%llu-", (unsigned long long) d->w.size);
      d->hdrs = curl_slist_append (d->hdrs, range);
    }
  curl_easy_setopt (d->h, CURLOPT_HTTPHEADER, d->hdrs);
  curl_easy_setopt (d->h, CURLOPT_WRITEFUNCTION, dl_write);
  curl_easy_setopt (d->h, CURLOPT_WRITEDATA, d);
  curl_easy_setopt (d->h, CURLOPT_PRIVATE, d);
  d->status_set = false;
  d->body_ok = false;
  curl_multi_add_handle (multi, d->h);
  report (d, d->attempts ? CAPSA_PROGRESS_RETRYING : CAPSA_PROGRESS_DOWNLOADING);
  return 0;
}

static void
dl_release (struct dl *d, CURLM *multi)
{
  if (d->h)
    {
      curl_multi_remove_handle (multi, d->h);
      curl_easy_cleanup (d->h);
      d->h = NULL;
    }
  curl_slist_free_all (d->hdrs);
  d->hdrs = NULL;
}

/* A finished transfer: 1 when it must be retried, 0 when the blob is stored, -1 on failure. */
static int
dl_finish (struct dl *d, CURLM *multi, CURLcode rc, capsa_err **err)
{
  long status = 0;
  unsigned retries = d->c->o->retries ? d->c->o->retries : 3;
  curl_easy_getinfo (d->h, CURLINFO_RESPONSE_CODE, &status);
  dl_release (d, multi);
  if (d->err)
    {
      *err = take_ptr (&d->err);
      return -1;
    }
  if (rc == CURLE_OK && (status == 200 || status == 206))
    {
      if (d->w.size < d->size && d->attempts < retries)
        {
          d->attempts++;
          return 1; /* cut short: resume */
        }
      if (d->w.size != d->size)
        return capsa_fail_as (err, EIO, "blob %s from %s: cut short at %llu of the %llu bytes its manifest declares",
                              d->digest, d->c->registry, (unsigned long long) d->w.size, (unsigned long long) d->size);
      d->open = false;
      if (capsa_blob_writer_commit (&d->w, d->digest, NULL, err) < 0)
        return capsa_err_wrap (err, "blob %s from %s", d->digest, d->c->registry);
      report (d, CAPSA_PROGRESS_VERIFIED);
      return 0;
    }
  if (rc == CURLE_OK && status == 401 && d->attempts < retries)
    {
      /* the token expired meanwhile: get a new one */
      struct response r = { 0 };
      cleanup_free char *p = xasprintf ("/v2/");
      struct req q = { .method = "GET", .path = p, .body_fd = -1 };
      free (d->c->authz);
      d->c->authz = NULL;
      int ar = request (d->c, &q, &r, err);
      response_free (&r);
      if (ar < 0)
        return -1;
      d->attempts++;
      return 1;
    }
  if ((transient_curl (rc) || (rc == CURLE_OK && transient_status (status))) && d->attempts < retries)
    {
      sleep_ms (200L << d->attempts);
      d->attempts++;
      return 1;
    }
  if (rc != CURLE_OK)
    return capsa_fail_as (err, EIO, "download blob %s from %s: %s", d->digest, d->c->registry,
                          d->errbuf[0] ? d->errbuf : curl_easy_strerror (rc));
  return capsa_fail_as (err, status == 404 ? ENOENT : EIO, "download blob %s from %s: HTTP %ld", d->digest,
                        d->c->registry, status);
}

/* layers unpacked at once while the others download: two cores' worth (more only contend for the
 * disk; the transfers and the registry have the rest) */
#define UNPACK_WORKERS 2

static int
download_blobs (struct client *c, struct capsa_store *s, struct dl *dls, size_t n, capsa_err **err)
{
  CURLM *multi = curl_multi_init ();
  unsigned parallel = c->o->parallel ? c->o->parallel : 3;
  size_t next = 0, active = 0, finished = 0;
  int r = 0;

  for (size_t i = 0; i < n; i++)
    {
      dls[i].c = c;
      dls[i].s = s;
      if (capsa_store_has_blob (s, dls[i].digest))
        {
          dls[i].done = true;
          finished++;
          report (&dls[i], CAPSA_PROGRESS_EXISTS);
          unpacker_add (dls[i].u, dls[i].digest, dls[i].diffid);
        }
      else
        report (&dls[i], CAPSA_PROGRESS_WAITING);
    }
  while (r == 0 && finished < n)
    {
      while (active < parallel && next < n)
        {
          if (dls[next].done)
            {
              next++;
              continue;
            }
          if (dl_start (&dls[next++], multi, err) < 0)
            {
              r = -1;
              break;
            }
          active++;
        }
      if (r < 0)
        break;
      int running = 0;
      curl_multi_perform (multi, &running);
      CURLMsg *m;
      int left;
      while (r == 0 && (m = curl_multi_info_read (multi, &left)) != NULL)
        {
          if (m->msg != CURLMSG_DONE)
            continue;
          struct dl *d = NULL;
          CURLcode rc = m->data.result;
          curl_easy_getinfo (m->easy_handle, CURLINFO_PRIVATE, (char **) &d);
          int fr = dl_finish (d, multi, rc, err);
          if (fr < 0)
            r = -1;
          else if (fr == 1)
            r = dl_start (d, multi, err);
          else
            {
              d->done = true;
              active--;
              finished++;
              unpacker_add (d->u, d->digest, d->diffid);
            }
        }
      if (r == 0 && finished < n)
        curl_multi_poll (multi, NULL, 0, 500, NULL);
    }
  for (size_t i = 0; i < n; i++)
    {
      dl_release (&dls[i], multi);
      if (dls[i].open)
        capsa_blob_writer_abort (&dls[i].w);
      capsa_err_free (&dls[i].err);
    }
  curl_multi_cleanup (multi);
  return r;
}

/* --- pull ---------------------------------------------------------------------------------- */

/* GET a manifest, check it against `expect` (a digest, or NULL), parse it by type and store it. */
static int
fetch_manifest (struct client *c, struct capsa_store *s, const char *repo, const char *ref, const char *expect,
                char *digest, struct capsa_manifest *out, capsa_err **err)
{
  struct response r = { 0 };
  cleanup_free char *path = xasprintf ("/v2/%s/manifests/%s", repo, ref);
  cleanup_free char *what = xasprintf ("manifest %s/%s%s%s", c->registry, repo, strchr (ref, ':') ? "@" : ":", ref);
  struct req q = { .method = "GET", .path = path, .accept = ACCEPT_MANIFESTS, .body_fd = -1 };

  if (request (c, &q, &r, err) < 0)
    return -1;
  if (r.status != 200)
    {
      int e = r.status == 404 ? capsa_fail_as (err, ENOENT, "%s: not found in the registry (check the name and tag)",
                                               what + strlen ("manifest "))
                              : http_error (err, what, &r);
      response_free (&r);
      return e;
    }
  capsa_sha256_buf (r.body ? r.body : "", r.len, digest);
  const char *want = expect ? expect : (r.digest && strncmp (r.digest, "sha256:", 7) == 0 ? r.digest : NULL);
  int pr = -1;
  if (want && strcmp (want, digest) != 0)
    capsa_fail_as (err, EIO, "%s: digest mismatch: expected %s, the content hashes to %s", what, want, digest);
  else if (capsa_manifest_parse (r.body ? r.body : "", r.len, r.content_type, what, out, err) == 0)
    pr = capsa_store_put_blob (s, r.body ? r.body : "", r.len, NULL, err);
  response_free (&r);
  return pr;
}

/* The blobs of manifest m (config first), as downloads; owned by the caller. */
static struct dl *
manifest_downloads (const struct capsa_manifest *m)
{
  size_t n = m->n_layers;
  struct dl *dls = xmalloc0 ((n + 1) * sizeof *dls);
  dls[0] = (struct dl){
    .digest = m->config.digest, .size = (uint64_t) m->config.size, .index = 0, .count = (unsigned) n + 1
  };
  for (size_t i = 0; i < n; i++)
    dls[i + 1] = (struct dl){ .digest = m->layers[i].digest,
                              .size = (uint64_t) m->layers[i].size,
                              .index = (unsigned) i + 1,
                              .count = (unsigned) n + 1 };
  return dls;
}

/* The image manifest of ref: the top one, or this platform's when the top one is an index.
 * top gets the top digest, digest the image manifest's. */
static int
fetch_image_manifest (struct client *c, struct capsa_store *s, struct capsa_ref *ref, char *top, char *digest,
                      struct capsa_manifest *m, capsa_err **err)
{
  cleanup_manifest struct capsa_manifest index = { 0 };

  if (fetch_manifest (c, s, ref->repo, ref->digest ? ref->digest : ref->tag, ref->digest, top, m, err) < 0)
    return -1;
  memcpy (digest, top, CAPSA_DIGEST_LEN + 1);
  if (!m->is_index)
    return 0;
  index = *m;
  memset (m, 0, sizeof *m);
  const struct capsa_descriptor *pick = capsa_manifest_pick_for (&index, c->o->platform, top, err);
  if (pick == NULL || fetch_manifest (c, s, ref->repo, pick->digest, pick->digest, digest, m, err) < 0)
    return -1;
  if (m->is_index)
    return capsa_fail_as (err, EPROTO, "index %s: entry %s is an index too: not supported", top, pick->digest);
  return 0;
}

/* The image config, in the store, against its manifest: types, and one diff id per layer. */
static int
check_config (struct capsa_store *s, const struct capsa_manifest *m, const char *name, struct capsa_image_config *cfg,
              capsa_err **err)
{
  if (capsa_image_config_load (s, m->config.digest, name, cfg, err) < 0)
    return -1;
  if (cfg->n_diff_ids != m->n_layers)
    return capsa_fail_as (err, EINVAL, "image config of %s lists %zu diff ids for the manifest's %zu layers", name,
                          cfg->n_diff_ids, m->n_layers);
  return 0;
}

/* The layers' downloads, each unpacked by the workers as soon as it is stored (unpacker.h). */
static int
download_layers (struct client *c, struct capsa_store *s, const struct capsa_image_config *cfg, struct dl *dls,
                 size_t n, capsa_err **err)
{
  struct unpacker *u = unpacker_start (s, n, UNPACK_WORKERS);
  for (size_t i = 0; i < n; i++)
    {
      dls[i].u = u;
      dls[i].diffid = cfg->diff_ids[i];
    }
  cleanup_err capsa_err *ue = NULL;
  int r = download_blobs (c, s, dls, n, err);
  /* (a failed download's error first: the unpacks it cut short are no news) */
  if (unpacker_finish (u, &ue) < 0 && r == 0)
    {
      *err = take_ptr (&ue);
      r = -1;
    }
  return r;
}

/* Record where the blobs are now (a hint for later mounts: a failure to write it is no error). */
static void
note_sources (struct capsa_store *s, const struct capsa_ref *ref, const char *const *digests, size_t n)
{
  cleanup_err capsa_err *ignored = NULL;
  blob_sources_add (s, ref->registry, ref->repo, digests, n, &ignored);
}

/* A pulled image's blobs are in its repository (for mounts when pushed to another one). */
static void
note_dl_sources (struct capsa_store *s, const struct capsa_ref *ref, const struct dl *dls, size_t n)
{
  cleanup_free const char **digests = xmalloc0 (n * sizeof *digests);
  for (size_t i = 0; i < n; i++)
    digests[i] = dls[i].digest;
  note_sources (s, ref, digests, n);
}

static int
pull_locked (struct capsa_store *s, struct capsa_ref *ref, const struct capsa_registry_opts *o, char *id_out,
             char *digest_out, capsa_err **err)
{
  struct client c;
  cleanup_free char *scope = xasprintf ("repository:%s:pull", ref->repo);
  cleanup_manifest struct capsa_manifest m = { 0 };
  char top[CAPSA_DIGEST_LEN + 1], digest[CAPSA_DIGEST_LEN + 1];
  int r = -1;

  if (client_init (&c, o, ref->registry, scope, err) < 0)
    {
      client_free (&c);
      return -1;
    }
  if (fetch_image_manifest (&c, s, ref, top, digest, &m, err) < 0)
    goto done;
  {
    struct dl *dls = manifest_downloads (&m);
    cleanup_free char *name = ref->tag ? capsa_ref_string (ref) : xasprintf ("%s/%s@%s", ref->registry, ref->repo, top);
    /* the config first, checked by type: a bad image costs no layer download */
    cleanup_image_config struct capsa_image_config cfg = { 0 };
    int dr = download_blobs (&c, s, dls, 1, err);
    if (dr == 0)
      dr = check_config (s, &m, name, &cfg, err);
    if (dr == 0)
      dr = download_layers (&c, s, &cfg, dls + 1, m.n_layers, err);
    if (dr == 0 && o->progress)
      for (size_t i = 1; i <= m.n_layers; i++)
        report (&dls[i], CAPSA_PROGRESS_EXTRACTING);
    if (dr == 0)
      note_dl_sources (s, ref, dls, m.n_layers + 1);
    free (dls);
    if (dr < 0)
      goto done;
  }
  {
    cleanup_free char *name = ref->tag ? capsa_ref_string (ref) : NULL;
    cleanup_free char *repo_digest = xasprintf ("%s/%s@%s", ref->registry, ref->repo, top);
    if (capsa_image_register (s, digest, name, repo_digest, id_out, err) < 0)
      goto done;
  }
  if (digest_out)
    memcpy (digest_out, top, sizeof top);
  r = 0;
done:
  client_free (&c);
  return r;
}

/* docker's pull and push events: Actor.ID the familiar reference (busybox:latest), its name
 * without the tag (busybox); the labels of image config (may be NULL or ""). */
static void
ref_event (struct capsa_store *s, const char *action, const struct capsa_ref *ref, const char *default_registry,
           const char *config)
{
  cleanup_free char *full = capsa_ref_string (ref), *name = capsa_ref_name (ref);
  cleanup_free char *fam = capsa_ref_familiar (full, default_registry);
  cleanup_free char *fam_name = capsa_ref_familiar (name, default_registry);
  capsa_image_event (s, action, fam, fam_name, config && *config ? config : NULL);
}

int
capsa_pull (struct capsa_store *s, const char *refstr, const struct capsa_registry_opts *o, char **name_out,
            char *id_out, char *digest_out, capsa_err **err)
{
  struct capsa_ref ref;
  char id[CAPSA_DIGEST_LEN + 1] = "";
  if (capsa_ref_parse (refstr, o->default_registry, &ref, err) < 0)
    return -1;
  /* writers hold the gc lock shared: rmi/prune wait rather than remove what is not registered yet */
  int r = capsa_store_lock_gc (s, false, err);
  if (r == 0)
    {
      /* what killed pulls left in tmp/ (only entries whose writer is gone: see store.h) */
      cleanup_err capsa_err *ignored = NULL;
      capsa_store_clean_tmp (s, NULL, &ignored);
      r = pull_locked (s, &ref, o, id, digest_out, err);
    }
  capsa_store_unlock_gc (s);
  if (r < 0)
    capsa_err_wrap (err, "pull %s", refstr);
  else
    ref_event (s, "pull", &ref, o->default_registry, id);
  if (r == 0 && id_out)
    memcpy (id_out, id, sizeof id);
  if (r == 0 && name_out)
    *name_out = capsa_ref_string (&ref);
  capsa_ref_free (&ref);
  return r;
}

/* --- push ---------------------------------------------------------------------------------- */

/* Another repository of the same registry that has this image, for a cross-repository mount. */
static char *
mount_source (json_t *img, const struct capsa_ref *dest)
{
  json_t *v;
  size_t i;
  cleanup_free char *prefix = xasprintf ("%s/", dest->registry);
  const char *lists[] = { "digests", "names" };
  for (size_t k = 0; k < 2; k++)
    json_array_foreach (json_object_get (img, lists[k]), i, v)
    {
      const char *n = json_string_value (v);
      if (n == NULL || strncmp (n, prefix, strlen (prefix)) != 0)
        continue;
      const char *repo = n + strlen (prefix);
      size_t len = strcspn (repo, "@");
      const char *colon = memrchr (repo, ':', len);
      if (colon && !memchr (colon, '/', len - (size_t) (colon - repo)))
        len = (size_t) (colon - repo);
      if (strlen (dest->repo) != len || strncmp (repo, dest->repo, len) != 0)
        return xasprintf ("%.*s", (int) len, repo);
    }
  return NULL;
}

/* POST an upload of digest to repo: a mount from `from` when given (201: done), else or when the
 * mount is refused (no pull access there: docker falls back the same way), a plain upload (202). */
static int
start_upload (struct client *c, const char *repo, const char *digest, const char *from, struct response *r,
              capsa_err **err)
{
  if (from)
    {
      cleanup_free char *mount = xasprintf ("/v2/%s/blobs/uploads/?mount=%s&from=%s", repo, digest, from);
      struct req qm = { .method = "POST", .path = mount, .body_fd = -1 };
      cleanup_err capsa_err *refused = NULL;
      if (request (c, &qm, r, &refused) == 0 && (r->status == 201 || r->status == 202))
        return 0;
      response_free (r);
    }
  cleanup_free char *post = xasprintf ("/v2/%s/blobs/uploads/", repo);
  struct req qp = { .method = "POST", .path = post, .body_fd = -1 };
  return request (c, &qp, r, err);
}

static int
push_blob (struct client *c, struct capsa_store *s, const char *repo, const char *digest, const char *from, int body,
           struct capsa_progress *p, capsa_err **err)
{
  struct response r = { 0 };
  cleanup_free char *head = xasprintf ("/v2/%s/blobs/%s", repo, digest);
  struct req q = { .method = "HEAD", .path = head, .body_fd = -1 };

  if (request (c, &q, &r, err) < 0)
    return -1;
  if (r.status == 200)
    {
      response_free (&r);
      p->state = CAPSA_PROGRESS_EXISTS;
      if (c->o->progress)
        c->o->progress (c->o->progress_data, p);
      return 0;
    }
  if (start_upload (c, repo, digest, from, &r, err) < 0)
    return -1;
  if (r.status == 201)
    {
      response_free (&r);
      p->state = CAPSA_PROGRESS_MOUNTED;
      if (c->o->progress)
        c->o->progress (c->o->progress_data, p);
      return 0;
    }
  if (r.status != 202 || r.location == NULL)
    {
      cleanup_free char *what = xasprintf ("start the upload of blob %s", digest);
      int e = http_error (err, what, &r);
      response_free (&r);
      return e;
    }
  cleanup_free char *loc = full_url (c, r.location);
  cleanup_free char *put = xasprintf ("%s%sdigest=%s", loc, strchr (loc, '?') ? "&" : "?", digest);
  response_free (&r);
  cleanup_close int fd = body >= 0 ? fcntl (body, F_DUPFD_CLOEXEC, 3) : capsa_store_open_blob (s, digest, err);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    return -1;
  p->state = CAPSA_PROGRESS_UPLOADING;
  p->total = (uint64_t) st.st_size;
  if (c->o->progress)
    c->o->progress (c->o->progress_data, p);
  struct req qu = { .method = "PUT",
                    .path = put,
                    .content_type = "application/octet-stream",
                    .body_fd = fd,
                    .body_fd_size = (uint64_t) st.st_size };
  if (request (c, &qu, &r, err) < 0)
    return -1;
  if (r.status != 201)
    {
      cleanup_free char *what = xasprintf ("upload blob %s", digest);
      int e = http_error (err, what, &r);
      response_free (&r);
      return e;
    }
  response_free (&r);
  p->state = CAPSA_PROGRESS_DONE;
  p->done = p->total;
  if (c->o->progress)
    c->o->progress (c->o->progress_data, p);
  return 0;
}

/* Copy the blob `digest` through a gzip or zstd filter into the memfd `out`. */
static int
compress_into (struct capsa_store *s, const char *digest, bool zstd, int out, capsa_err **err)
{
  cleanup_close int in = capsa_store_open_blob (s, digest, err);
  if (in < 0)
    return -1;
  struct archive *a = archive_write_new ();
  struct archive_entry *e = archive_entry_new ();
  char buf[65536];
  ssize_t n = 0;
  int r = (zstd ? archive_write_add_filter_zstd (a) : archive_write_add_filter_gzip (a));
  if (r == ARCHIVE_OK && !zstd) /* no time in the gzip header: the same layer, the same digest */
    r = archive_write_set_filter_option (a, "gzip", "timestamp", NULL);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_pathname (e, "layer");
  if (r == ARCHIVE_OK)
    r = archive_write_set_format_raw (a);
  if (r == ARCHIVE_OK)
    r = archive_write_set_bytes_in_last_block (a, 1);
  if (r == ARCHIVE_OK)
    r = archive_write_open_fd (a, out);
  if (r == ARCHIVE_OK)
    r = archive_write_header (a, e);
  while (r == ARCHIVE_OK && (n = read (in, buf, sizeof buf)) > 0)
    if (archive_write_data (a, buf, (size_t) n) != n)
      r = ARCHIVE_FATAL;
  if (r == ARCHIVE_OK && n == 0)
    r = archive_write_close (a);
  int e2 = r == ARCHIVE_OK && n == 0 ? 0
                                     : capsa_fail_as (err, EIO, "compress layer %s: %s", digest,
                                                      n < 0 ? strerror (errno) : archive_error_string (a));
  archive_entry_free (e);
  archive_write_free (a);
  return e2;
}

/* An uncompressed layer (from import, commit or a docker-archive load) is compressed for the upload,
   as docker and podman push do: gzip by default (every client reads it), or zstd.  The layer
   descriptor `l` gets the compressed digest, size and media type; the config's diff_ids stay the
   uncompressed digests.  *body gets the memfd to upload, -1 when the layer is compressed already. */
static int
compress_layer (struct capsa_store *s, json_t *l, const char *format, bool docker, int *body, capsa_err **err)
{
  const char *mt = jstr (l, "mediaType") ?: "";
  bool zstd = format && strcmp (format, "zstd") == 0;
  char digest[CAPSA_DIGEST_LEN + 1];
  uint64_t size;

  if (strcmp (mt, CAPSA_MT_OCI_LAYER) != 0 && strcmp (mt, "application/vnd.docker.image.rootfs.diff.tar") != 0)
    return 0;
  int fd = *body = memfd_create ("capsa-push-layer", MFD_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "memfd");
  if (compress_into (s, jstr (l, "digest"), zstd, fd, err) < 0 || lseek (fd, 0, SEEK_SET) < 0
      || capsa_sha256_fd (fd, digest, &size, err) < 0)
    return -1;
  json_object_set_new (l, "digest", json_string (digest));
  json_object_set_new (l, "size", json_integer ((json_int_t) size));
  json_object_set_new (l, "mediaType",
                       json_string (zstd     ? CAPSA_MT_OCI_LAYER_ZSTD
                                    : docker ? CAPSA_MT_DOCKER_LAYER
                                             : CAPSA_MT_OCI_LAYER_GZIP));
  return 0;
}

/* Push one blob of the manifest, mounted when possible: from a repository of the registry known to
 * have this blob (blob_sources.h), else from one that has the image (`from`, its names). */
static int
push_one (struct client *c, struct capsa_store *s, const struct capsa_ref *dest, const char *from, int body,
          struct capsa_progress *p, capsa_err **err)
{
  cleanup_free char *known = blob_sources_find (s, p->digest, dest->registry, dest->repo);
  return push_blob (c, s, dest->repo, p->digest, known ? known : from, body, p, err);
}

/* The layers (compressed when they are not: *changed is then true) and the config of manifest m. */
static int
push_blobs (struct client *c, struct capsa_store *s, json_t *img, json_t *m, const struct capsa_ref *dest,
            bool *changed, capsa_err **err)
{
  cleanup_free char *from = mount_source (img, dest);
  json_t *layers = json_object_get (m, "layers"), *l;
  size_t n = json_array_size (layers), i;
  unsigned count = (unsigned) n + 1;
  const char *mt = jstr (m, "mediaType") ?: jstr (img, "mediaType") ?: CAPSA_MT_OCI_MANIFEST;
  cleanup_free const char **pushed = xmalloc0 ((n + 1) * sizeof *pushed);
  json_array_foreach (layers, i, l)
  {
    if (!capsa_digest_valid (jstr (l, "digest")))
      return capsa_fail_as (err, EINVAL, "manifest %s: layer %zu has no valid digest", jstr (img, "manifest"), i);
    cleanup_close int body = -1;
    if (compress_layer (s, l, c->o->compression, strcmp (mt, CAPSA_MT_DOCKER_MANIFEST) == 0, &body, err) < 0)
      return -1;
    *changed |= body >= 0;
    struct capsa_progress p = {
      jstr (l, "digest"),    (unsigned) i + 1, count, 0, (uint64_t) json_integer_value (json_object_get (l, "size")),
      CAPSA_PROGRESS_WAITING
    };
    if (push_one (c, s, dest, from, body, &p, err) < 0)
      return -1;
    pushed[i] = p.digest;
  }
  struct capsa_progress p = { jstr (json_object_get (m, "config"), "digest"), 0, count, 0, 0, CAPSA_PROGRESS_WAITING };
  if (!capsa_digest_valid (p.digest) || push_one (c, s, dest, from, -1, &p, err) < 0)
    return -1;
  pushed[n] = p.digest;
  note_sources (s, dest, pushed, n + 1);
  return 0;
}

static int
push_image (struct client *c, struct capsa_store *s, json_t *img, const struct capsa_ref *dest, char *digest_out,
            capsa_err **err)
{
  const char *md = jstr (img, "manifest");
  cleanup_free char *mbuf = NULL;
  cleanup_json json_t *m = NULL;
  size_t mlen;

  if (capsa_store_read_blob (s, md, &mbuf, &mlen, err) < 0)
    return -1;
  m = json_loadb (mbuf, mlen, 0, NULL);
  if (m == NULL)
    return capsa_fail_as (err, EINVAL, "manifest %s is not JSON", md);
  const char *mt = jstr (m, "mediaType") ?: jstr (img, "mediaType") ?: CAPSA_MT_OCI_MANIFEST;
  bool changed = false;
  if (push_blobs (c, s, img, m, dest, &changed, err) < 0)
    return -1;
  char newmd[CAPSA_DIGEST_LEN + 1];
  if (changed)
    {
      free (mbuf);
      mbuf = json_dumps (m, JSON_COMPACT);
      mlen = strlen (mbuf);
      capsa_sha256_buf (mbuf, mlen, newmd);
      md = newmd;
    }
  cleanup_free char *path = xasprintf ("/v2/%s/manifests/%s", dest->repo, dest->tag ? dest->tag : md);
  struct req q = { .method = "PUT", .path = path, .content_type = mt, .body = mbuf, .body_len = mlen, .body_fd = -1 };
  struct response r = { 0 };
  if (request (c, &q, &r, err) < 0)
    return -1;
  if (r.status != 201)
    {
      int e = http_error (err, "put the manifest", &r);
      response_free (&r);
      return e;
    }
  response_free (&r);
  if (digest_out)
    snprintf (digest_out, CAPSA_DIGEST_LEN + 1, "%s", md);
  return 0;
}

int
capsa_push (struct capsa_store *s, const char *image, const char *dest, const struct capsa_registry_opts *o,
            char *digest_out, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  struct capsa_ref ref;
  struct client c;

  if (capsa_ref_parse (dest ? dest : image, o->default_registry, &ref, err) < 0)
    return -1;
  int r = capsa_index_read (s, &idx, err);
  json_t *img = r == 0 ? capsa_image_find (idx, image, o->default_registry, err) : NULL;
  if (img == NULL)
    r = -1;
  if (r == 0)
    {
      cleanup_free char *scope = xasprintf ("repository:%s:pull,push", ref.repo);
      r = client_init (&c, o, ref.registry, scope, err);
      if (r == 0)
        r = push_image (&c, s, img, &ref, digest_out, err);
      client_free (&c);
      if (r == 0)
        ref_event (s, "push", &ref, o->default_registry, jstr (img, "id"));
    }
  if (r < 0)
    {
      cleanup_free char *to = capsa_ref_string (&ref);
      capsa_err_wrap (err, "push %s", to);
    }
  capsa_ref_free (&ref);
  return r;
}

/* --- login --------------------------------------------------------------------------------- */

int
capsa_login_check (const char *registry, const char *user, const char *password, const struct capsa_registry_opts *o,
                   capsa_err **err)
{
  struct client c;
  struct response r = { 0 };
  struct req q = { .method = "GET", .path = "/v2/", .body_fd = -1 };
  int rc;

  if (client_init (&c, o, registry, NULL, err) < 0)
    {
      client_free (&c);
      return -1;
    }
  free (c.user);
  free (c.password);
  c.user = xstrdup (user);
  c.password = xstrdup (password);
  rc = request (&c, &q, &r, err);
  if (rc == 0 && r.status != 200)
    rc = http_error (err, "GET /v2/", &r);
  response_free (&r);
  client_free (&c);
  return rc < 0 ? capsa_err_wrap (err, "login to %s", registry) : 0;
}

int
capsa_login (const char *registry, const char *user, const char *password, const struct capsa_registry_opts *o,
             capsa_err **err)
{
  if (capsa_login_check (registry, user, password, o, err) < 0)
    return -1;
  return auth_save (o->authfile, registry, user, password, err);
}
