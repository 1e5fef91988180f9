/* POST /containers/create?name=NAME: docker's body turned into the engine's options
 * (create_body.c), the container created and handed to a monitor of its own at once, its init
 * waiting for POST /containers/ID/start: its attach socket exists from here on, so that the
 * docker CLI's attach (before start) misses none of its output. */
#include <errno.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "create_body.h"
#include "svc.h"

/* Whether image is in the store: docker answers 404 "No such image" (the docker CLI then pulls it
 * and creates again); a malformed name is 400. */
static bool
image_present (struct svc_req *r, const char *image, enum MHD_Result *res)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_store_open (r->s->eng.root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return *res = svc_reply_capsa_err (r, &err), false;
  if (capsa_image_find (idx, image, r->s->eng.default_registry, NULL))
    return true;
  struct capsa_ref ref = { 0 };
  if (capsa_ref_parse (image, r->s->eng.default_registry, &ref, &err) < 0)
    return *res = svc_reply_err (r, 400, "invalid reference format: %s", err->msg), false;
  cleanup_free char *full = capsa_ref_string (&ref);
  cleanup_free char *fam = capsa_ref_familiar (full, r->s->eng.default_registry);
  capsa_ref_free (&ref);
  *res = svc_reply_err (r, 404, "No such image: %s", fam);
  return false;
}

/* the engine's refusal of the options: a conflict (the name) is 409, the rest the client's */
static enum MHD_Result
create_failed (struct svc_req *r, capsa_err **err)
{
  unsigned status = (*err)->errnum == EEXIST ? 409 : (*err)->errnum == EINVAL || (*err)->errnum == ENOENT ? 400 : 500;
  enum MHD_Result ret = svc_reply_err (r, status, "%s", (*err)->msg);
  capsa_err_free (err);
  return ret;
}

enum MHD_Result
api_ctr_create (struct svc_req *r)
{
  cleanup_json json_t *body = NULL;
  cleanup_json json_t *warnings = json_array ();
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  struct ctr_opts o;
  struct svc_strings keep = { 0 };
  if (!svc_body_json (r, false, &body, &res))
    return res;
  if (svc_create_opts (body, svc_query (r, "name"), &o, &keep, warnings, &err) < 0)
    {
      svc_create_opts_free (&o, &keep);
      return svc_reply_err (r, 400, "%s", err->msg);
    }
  char id[CTR_ID_LEN + 1];
  int code = 0;
  if (o.image == NULL || *o.image == '\0')
    res = svc_reply_err (r, 400, "Config.Image: an image is required");
  else if (!image_present (r, o.image, &res))
    ;
  else if (capsa_ctr_create (&r->s->eng, &o, id, NULL, &err) < 0)
    res = create_failed (r, &err);
  else if (capsa_ctr_run_detached (&r->s->eng, id, true, o.rm, &code, &err) < 0)
    /* the runtime's create failed (a program that is not there: code 127...).  dockerd would
     * fail at start (the docker CLI then exits 126/127); here the container is gone already,
     * so it is create's error: never a 404, which the docker CLI takes for a missing image */
    res = svc_reply_err (r, code == 126 || code == 127 ? 400 : 500, "%s", err->msg);
  else
    res = svc_reply_json (r, 201, json_pack ("{s:s, s:O}", "Id", id, "Warnings", warnings));
  svc_create_opts_free (&o, &keep);
  return res;
}
