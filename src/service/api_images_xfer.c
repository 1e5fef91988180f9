/* The image transfers: pull (POST /images/create) and push (POST /images/{name}/push), answered
 * with docker's JSON progress stream, one message a line ({"status": ..., "id": ...,
 * "progressDetail": {...}}; a failure after the 200 went out is an {"errorDetail": ...} line,
 * what the docker CLI prints); save (GET /images/{name}/get, /images/get?names=...) streams a
 * docker-archive tar; load (POST /images/load) reads the tar that http.c kept in a temp file.
 * The transfer runs in a thread of its own (svc_reply_pipe) whose progress callback writes the
 * messages into the stream. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

struct xfer
{
  struct svc *s;
  char *ref; /* pull: the full reference; push: the image's name:tag; save: unused */
  char *user, *password;
  char **names; /* save */
  int fd;
  json_t *seen; /* the layers announced */
};

static void
xfer_free (void *p)
{
  struct xfer *x = p;
  free (x->ref);
  free (x->user);
  free (x->password);
  cleanup_strv_fn (&x->names);
  json_decref (x->seen);
  free (x);
}

static void
emit_status (int fd, const char *status, const char *id)
{
  json_t *m = json_pack ("{s:s}", "status", status);
  if (id)
    json_object_set_new (m, "id", json_string (id));
  svc_emit (fd, m);
}

static void
emit_err (int fd, capsa_err **err)
{
  const char *msg = *err ? (*err)->msg : "unknown error";
  svc_emit (fd, json_pack ("{s:{s:s}, s:s}", "errorDetail", "message", msg, "error", msg));
  capsa_err_free (err);
}

static void
progress (struct xfer *x, const struct capsa_progress *p, bool push)
{
  const char *word = capsa_progress_word (p->state, push);
  if (p->digest == NULL || word == NULL || p->index == 0) /* index 0: the config, which docker does not show */
    return;
  char id[13];
  snprintf (id, sizeof id, "%.12s", strncmp (p->digest, "sha256:", 7) == 0 ? p->digest + 7 : p->digest);
  json_t *known = json_object_get (x->seen, id);
  if (json_is_false (known) && !push) /* already in the store: nothing more to say */
    return;
  if (known == NULL)
    {
      json_object_set_new (x->seen, id, json_boolean (p->state != CAPSA_PROGRESS_EXISTS));
      if (p->state != CAPSA_PROGRESS_EXISTS)
        svc_emit (x->fd, json_pack ("{s:s, s:{}, s:s}", "status", push ? "Preparing" : "Pulling fs layer",
                                    "progressDetail", "id", id));
      if (p->state == CAPSA_PROGRESS_WAITING)
        return;
    }
  json_t *detail = json_object ();
  bool moving = p->state == CAPSA_PROGRESS_DOWNLOADING || p->state == CAPSA_PROGRESS_EXTRACTING
                || p->state == CAPSA_PROGRESS_UPLOADING;
  if (moving && p->total)
    {
      json_object_set_new (detail, "current", json_integer ((json_int_t) p->done));
      json_object_set_new (detail, "total", json_integer ((json_int_t) p->total));
    }
  svc_emit (x->fd, json_pack ("{s:s, s:o, s:s}", "status", word, "progressDetail", detail, "id", id));
}

static void
pull_progress (void *data, const struct capsa_progress *p)
{
  progress (data, p, false);
}

static void
push_progress (void *data, const struct capsa_progress *p)
{
  progress (data, p, true);
}

static struct capsa_registry_opts
xfer_opts (struct xfer *x, bool push)
{
  return (struct capsa_registry_opts){
    .default_registry = x->s->eng.default_registry,
    .insecure = x->s->insecure,
    .authfile = x->s->authfile,
    .progress = push ? push_progress : pull_progress,
    .progress_data = x,
    .user = x->user,
    .password = x->password,
  };
}

/* The id the store gives `ref` now, "" when none. */
static void
current_id (struct capsa_store *st, const char *ref, const char *reg, char *id)
{
  cleanup_json json_t *idx = NULL;
  id[0] = '\0';
  json_t *img = capsa_index_read (st, &idx, NULL) == 0 ? capsa_image_find (idx, ref, reg, NULL) : NULL;
  if (img)
    snprintf (id, CAPSA_DIGEST_LEN + 1, "%s", json_string_value (json_object_get (img, "id")));
}

static void
pull_run (void *p, int fd)
{
  struct xfer *x = p;
  cleanup_store struct capsa_store *st = NULL;
  cleanup_ref struct capsa_ref ref = { 0 };
  cleanup_free char *name = NULL;
  capsa_err *err = NULL;
  char old[CAPSA_DIGEST_LEN + 1], id[CAPSA_DIGEST_LEN + 1], digest[CAPSA_DIGEST_LEN + 1] = "";
  const char *reg = x->s->eng.default_registry;
  x->fd = fd;
  if (capsa_ref_parse (x->ref, reg, &ref, &err) < 0 || capsa_store_open (x->s->eng.root, &st, &err) < 0)
    return emit_err (fd, &err);
  cleanup_free char *from = capsa_xasprintf ("Pulling from %s", ref.repo);
  emit_status (fd, from, ref.tag ? ref.tag : ref.digest);
  current_id (st, x->ref, reg, old);
  struct capsa_registry_opts o = xfer_opts (x, false);
  if (capsa_pull (st, x->ref, &o, &name, id, digest, &err) < 0)
    return emit_err (fd, &err);
  cleanup_free char *fam = capsa_ref_familiar (name ? name : x->ref, reg);
  cleanup_free char *d = capsa_xasprintf ("Digest: %s", digest);
  cleanup_free char *status = capsa_xasprintf (
      "Status: %s for %s", strcmp (old, id) == 0 ? "Image is up to date" : "Downloaded newer image", fam);
  const char *layer;
  json_t *fetched;
  json_object_foreach (x->seen, layer, fetched) if (json_is_true (fetched))
      svc_emit (fd, json_pack ("{s:s, s:{}, s:s}", "status", "Pull complete", "progressDetail", "id", layer));
  emit_status (fd, d, NULL);
  emit_status (fd, status, NULL);
}

/* X-Registry-Auth: base64url of {"username", "password", ...}; nothing when absent or empty. */
static void
registry_auth (struct svc_req *r, struct xfer *x)
{
  const char *h = MHD_lookup_connection_value (r->conn, MHD_HEADER_KIND, "X-Registry-Auth");
  if (h == NULL || *h == '\0')
    return;
  size_t n = strlen (h), len;
  cleanup_free char *b = capsa_xmalloc0 (n + 4);
  for (size_t i = 0; i < n; i++)
    b[i] = h[i] == '-' ? '+' : h[i] == '_' ? '/' : h[i];
  while (n % 4)
    b[n++] = '=';
  cleanup_free char *dec = capsa_base64_decode (b, &len);
  cleanup_json json_t *j = dec ? json_loadb (dec, len, 0, NULL) : NULL;
  const char *user = json_string_value (json_object_get (j, "username"));
  if (user && *user)
    {
      x->user = capsa_xstrdup (user);
      x->password = capsa_xstrdup (json_string_value (json_object_get (j, "password")) ?: "");
    }
}

static struct xfer *
xfer_new (struct svc_req *r, char *ref)
{
  struct xfer *x = capsa_xmalloc0 (sizeof *x);
  x->s = r->s;
  x->ref = ref;
  x->fd = -1;
  x->seen = json_object ();
  registry_auth (r, x);
  return x;
}

/* "name" + tag ("latest" when empty; a digest "sha256:..." makes name@digest). */
static char *
with_tag (const char *name, const char *tag)
{
  if (tag == NULL || *tag == '\0')
    return strchr (name, '@') || strrchr (name, ':') > strrchr (name, '/') ? capsa_xstrdup (name)
                                                                           : capsa_xasprintf ("%s:latest", name);
  return capsa_xasprintf ("%s%s%s", name, strncmp (tag, "sha256:", 7) == 0 ? "@" : ":", tag);
}

enum MHD_Result
api_image_create (struct svc_req *r)
{
  const char *from = svc_query (r, "fromImage");
  if (svc_query (r, "fromSrc"))
    return api_not_implemented (r);
  if (from == NULL || *from == '\0')
    return svc_reply_err (r, 400, "fromImage or fromSrc is required");
  const char *platform = svc_query (r, "platform");
  if (platform && *platform && strncmp (platform, "linux", 5) != 0)
    return svc_reply_err (r, 400, "platform `%s`: capsa pulls images for this host's platform only", platform);
  struct xfer *x = xfer_new (r, with_tag (from, svc_query (r, "tag")));
  return svc_reply_pipe (r, 200, "application/json", NULL, pull_run, x, xfer_free);
}

static void
push_run (void *p, int fd)
{
  struct xfer *x = p;
  cleanup_store struct capsa_store *st = NULL;
  cleanup_ref struct capsa_ref ref = { 0 };
  capsa_err *err = NULL;
  char digest[CAPSA_DIGEST_LEN + 1] = "";
  x->fd = fd;
  if (capsa_ref_parse (x->ref, x->s->eng.default_registry, &ref, &err) < 0
      || capsa_store_open (x->s->eng.root, &st, &err) < 0)
    return emit_err (fd, &err);
  cleanup_free char *name = capsa_ref_name (&ref);
  cleanup_free char *fam = capsa_ref_familiar (name, x->s->eng.default_registry);
  cleanup_free char *head = capsa_xasprintf ("The push refers to repository [%s]", fam);
  emit_status (fd, head, NULL);
  struct capsa_registry_opts o = xfer_opts (x, true);
  if (capsa_push (st, x->ref, NULL, &o, digest, &err) < 0)
    return emit_err (fd, &err);
  const char *tag = ref.tag ? ref.tag : "latest";
  cleanup_free char *done = capsa_xasprintf ("%s: digest: %s", tag, digest);
  emit_status (fd, done, NULL);
  svc_emit (fd, json_pack ("{s:{}, s:{s:s, s:s}}", "progressDetail", "aux", "Tag", tag, "Digest", digest));
}

/* Whether every name is an image of the store; docker's 404 sent when one is not. */
static bool
images_exist (struct svc_req *r, char *const *names, enum MHD_Result *res)
{
  cleanup_store struct capsa_store *st = NULL;
  cleanup_json json_t *idx = NULL;
  capsa_err *err = NULL;
  json_t *img;
  if (!svc_open_store (r, &st, res))
    return false;
  if (capsa_index_read (st, &idx, &err) < 0)
    {
      *res = svc_reply_capsa_err (r, &err);
      return false;
    }
  for (; *names; names++)
    if (!svc_find_image (r, idx, *names, &img, res))
      return false;
  return true;
}

enum MHD_Result
api_image_push (struct svc_req *r, const char *name)
{
  enum MHD_Result res;
  char *ref = with_tag (name, svc_query (r, "tag"));
  char *one[] = { ref, NULL };
  if (!images_exist (r, one, &res))
    {
      free (ref);
      return res;
    }
  return svc_reply_pipe (r, 200, "application/json", NULL, push_run, xfer_new (r, ref), xfer_free);
}

static void
save_run (void *p, int fd)
{
  struct xfer *x = p;
  cleanup_store struct capsa_store *st = NULL;
  capsa_err *err = NULL;
  char path[64];
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  /* a failure halfway leaves the tar cut short: the client sees a broken archive */
  if (capsa_store_open (x->s->eng.root, &st, &err) < 0
      || capsa_image_save (st, x->names, x->s->eng.default_registry, CAPSA_ARCHIVE_DOCKER, path, &err) < 0)
    capsa_err_free (&err);
}

enum MHD_Result
api_image_save (struct svc_req *r, const char *name)
{
  enum MHD_Result res;
  char **names = NULL;
  if (name)
    capsa_strv_append (&names, name);
  else
    names = svc_query_list (r, "names");
  if (names == NULL)
    return svc_reply_err (r, 400, "no image named: give names=IMAGE");
  if (!images_exist (r, names, &res))
    {
      cleanup_strv_fn (&names);
      return res;
    }
  struct xfer *x = xfer_new (r, NULL);
  x->names = names;
  return svc_reply_pipe (r, 200, "application/x-tar", NULL, save_run, x, xfer_free);
}

enum MHD_Result
api_image_load (struct svc_req *r)
{
  cleanup_store struct capsa_store *st = NULL;
  cleanup_strv char **loaded = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  char path[64];
  if (r->body_fd < 0)
    return svc_reply_err (r, 500, "the archive was not kept");
  if (!svc_open_store (r, &st, &res))
    return res;
  snprintf (path, sizeof path, "/proc/self/fd/%d", r->body_fd);
  if (capsa_image_load (st, path, r->s->eng.default_registry, &loaded, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  cleanup_free char *out = capsa_xstrdup ("");
  for (char **l = loaded; l && *l; l++)
    {
      json_t *m = json_pack ("{s:s+}", "stream", *l, "\n");
      cleanup_free char *line = json_dumps (m, JSON_COMPACT);
      json_decref (m);
      char *more = capsa_xasprintf ("%s%s\n", out, line);
      free (out);
      out = more;
    }
  return svc_reply_raw (r, 200, "application/json", out, strlen (out));
}

/* POST /auth (docker login): the credentials checked against the registry, not kept (the client
 * keeps them and sends them with each pull and push, X-Registry-Auth). */
enum MHD_Result
api_auth (struct svc_req *r)
{
  cleanup_json json_t *body = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  if (!svc_body_json (r, false, &body, &res))
    return res;
  const char *user = json_string_value (json_object_get (body, "username"));
  const char *password = json_string_value (json_object_get (body, "password"));
  const char *server = json_string_value (json_object_get (body, "serveraddress"));
  if (user == NULL || password == NULL)
    return svc_reply_err (r, 400, "username and password are required (an identity token is not supported)");
  /* "https://index.docker.io/v1/" is docker's name for docker.io; else a host[:port] maybe with a scheme */
  const char *host = server && *server ? server : "docker.io";
  host = strstr (host, "://") ? strstr (host, "://") + 3 : host;
  cleanup_free char *reg = strndup (host, strcspn (host, "/"));
  if (strcmp (reg, "index.docker.io") == 0 || strcmp (reg, "registry-1.docker.io") == 0)
    reg[0] = '\0';
  struct xfer x = { .s = r->s };
  struct capsa_registry_opts o = xfer_opts (&x, false);
  o.progress = NULL;
  if (capsa_login_check (*reg ? reg : "docker.io", user, password, &o, &err) < 0)
    {
      unsigned status = err && err->errnum == EACCES ? 401 : 500;
      res = svc_reply_err (r, status, "%s", err ? err->msg : "login failed");
      capsa_err_free (&err);
      return res;
    }
  return svc_reply_json (r, 200, json_pack ("{s:s, s:s}", "Status", "Login Succeeded", "IdentityToken", ""));
}
