/* /_ping, /version, /info (the engine's capsa_engine_version_json, capsa_engine_info_json), and the
 * answer for what is not served. */
#include <stdio.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

enum MHD_Result
api_ping (struct svc_req *r)
{
  struct MHD_Response *resp = MHD_create_response_from_buffer (2, (void *) "OK", MHD_RESPMEM_PERSISTENT);
  if (resp)
    {
      MHD_add_response_header (resp, "Content-Type", "text/plain; charset=utf-8");
      MHD_add_response_header (resp, "Cache-Control", "no-cache, no-store, must-revalidate");
      MHD_add_response_header (resp, "Pragma", "no-cache");
    }
  return svc_reply_response (r, 200, resp);
}

enum MHD_Result
api_version (struct svc_req *r)
{
  return svc_reply_json (r, 200, capsa_engine_version_json (SVC_API_VERSION));
}

enum MHD_Result
api_info (struct svc_req *r)
{
  return svc_reply_json (r, 200, capsa_engine_info_json (&r->s->eng));
}

enum MHD_Result
api_not_implemented (struct svc_req *r)
{
  return svc_reply_err (r, 501, "capsa does not implement %s %s of the Docker Engine API yet", r->method, r->path);
}
