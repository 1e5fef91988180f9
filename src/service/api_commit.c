/* POST /commit?container=C&repo=R&tag=T&comment=&author=&pause=&changes=...: docker commit
 * (capsa_ctr_commit, include/capsa/build.h).  The body, a container config (may be empty or
 * null), overrides the container's: its fields become changes applied before the query's, with
 * docker's merge (Env and Labels by key).  Answers 201 {"Id": "sha256:..."}. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capsa/build.h"
#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

/* One change per value of an array field ("ENV A=1", "EXPOSE 80/tcp"...). */
static void
each_change (char ***out, const char *instr, json_t *v)
{
  size_t i;
  const char *key;
  json_t *x;
  if (json_is_array (v))
    json_array_foreach (v, i, x)
    {
      if (json_is_string (x))
        {
          cleanup_free char *c = capsa_xasprintf ("%s %s", instr, json_string_value (x));
          capsa_strv_append (out, c);
        }
    }
  else if (json_is_object (v))
    json_object_foreach (v, key, x)
    {
      cleanup_free char *c = json_is_string (x) ? capsa_xasprintf ("%s %s=%s", instr, key, json_string_value (x))
                                                : capsa_xasprintf ("%s %s", instr, key);
      capsa_strv_append (out, c);
    }
}

/* The body's config fields as changes. */
static void
body_changes (json_t *cfg, char ***out)
{
  static const struct
  {
    const char *key, *instr;
  } whole[] = { { "Cmd", "CMD" }, { "Entrypoint", "ENTRYPOINT" } },
    str[] = { { "WorkingDir", "WORKDIR" }, { "User", "USER" }, { "StopSignal", "STOPSIGNAL" } };
  for (size_t i = 0; i < ARRAY_SIZE (whole); i++)
    {
      json_t *v = json_object_get (cfg, whole[i].key);
      cleanup_free char *j = json_is_array (v) ? json_dumps (v, JSON_COMPACT) : NULL;
      cleanup_free char *c = j ? capsa_xasprintf ("%s %s", whole[i].instr, j) : NULL;
      if (c)
        capsa_strv_append (out, c);
    }
  for (size_t i = 0; i < ARRAY_SIZE (str); i++)
    {
      const char *v = jstr (cfg, str[i].key);
      cleanup_free char *c = v && *v ? capsa_xasprintf ("%s %s", str[i].instr, v) : NULL;
      if (c)
        capsa_strv_append (out, c);
    }
  each_change (out, "ENV", json_object_get (cfg, "Env"));
  each_change (out, "LABEL", json_object_get (cfg, "Labels"));
  each_change (out, "EXPOSE", json_object_get (cfg, "ExposedPorts"));
  each_change (out, "VOLUME", json_object_get (cfg, "Volumes"));
}

/* repo[:tag] in full ("registry/repo:tag"), NULL for none; false with a 400 sent. */
static bool
commit_name (struct svc_req *r, char **full, enum MHD_Result *res)
{
  const char *repo = svc_query (r, "repo"), *tag = svc_query (r, "tag");
  struct capsa_ref ref;
  capsa_err *err = NULL;
  *full = NULL;
  if (repo == NULL || *repo == '\0')
    return true;
  cleanup_free char *name = capsa_xasprintf ("%s:%s", repo, tag && *tag ? tag : "latest");
  if (capsa_ref_parse (name, r->s->eng.default_registry, &ref, &err) < 0)
    {
      *res = svc_reply_capsa_err (r, &err);
      return false;
    }
  *full = capsa_ref_string (&ref);
  capsa_ref_free (&ref);
  return true;
}

enum MHD_Result
api_commit (struct svc_req *r)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_ctr struct ctr *c = NULL;
  cleanup_free char *full = NULL;
  cleanup_strv char **changes = NULL, **more = svc_query_list (r, "changes");
  capsa_err *err = NULL;
  enum MHD_Result res;
  char id[CAPSA_DIGEST_LEN + 1];
  const char *cname = svc_query (r, "container");
  if (cname == NULL || *cname == '\0')
    return svc_reply_err (r, 400, "no container given: container=NAME");
  cleanup_json json_t *body = r->len ? json_loadb (r->body, r->len, JSON_DECODE_ANY, NULL) : NULL;
  if (r->len && body == NULL)
    return svc_reply_err (r, 400, "invalid JSON in the request body");
  if (json_is_object (body))
    body_changes (body, &changes);
  for (char **m = more; m && *m; m++)
    capsa_strv_append (&changes, *m);
  if (!commit_name (r, &full, &res) || !svc_open_store (r, &s, &res))
    return res;
  if (capsa_ctr_find (&r->s->eng, cname, &c, &err) < 0)
    {
      capsa_err_free (&err);
      return svc_reply_err (r, 404, "No such container: %s", cname);
    }
  struct capsa_ctr_commit_opts o = { .name = full,
                                     .changes = changes,
                                     .message = svc_query (r, "comment"),
                                     .author = svc_query (r, "author"),
                                     .pause = svc_query_bool (r, "pause", true) };
  if (capsa_ctr_commit (&r->s->eng, s, c, &o, id, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  return svc_reply_json (r, 201, json_pack ("{s:s}", "Id", id));
}
