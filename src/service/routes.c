/* The routes of the Docker Engine API that capsa-service serves: method, path pattern ("{}" is
 * one segment, given to the handler in r->param; a final "**" is the rest of the path, one
 * segment or more, which the handler reads from r->path), handler, and whether the body is a
 * file (svc_route_body_file).  A path of docker's API that capsa
 * does not serve yet answers 501 naming it (api_not_implemented), never a hang. */
#include <stdlib.h>
#include <string.h>

#include "capsa/util.h"
#include "svc.h"

struct route
{
  const char *method, *pattern;
  svc_handler *fn;
  bool body_file;
};

static const struct route routes[] = {
  { "GET", "/_ping", api_ping },
  { "HEAD", "/_ping", api_ping },
  { "GET", "/version", api_version },
  { "GET", "/info", api_info },
  /* containers */
  { "POST", "/containers/{}/start", api_ctr_start },
  { "POST", "/containers/{}/stop", api_ctr_stop },
  { "POST", "/containers/{}/restart", api_ctr_restart },
  { "POST", "/containers/{}/kill", api_ctr_kill },
  { "POST", "/containers/{}/pause", api_ctr_pause },
  { "POST", "/containers/{}/unpause", api_ctr_unpause },
  { "POST", "/containers/{}/wait", api_ctr_wait },
  { "POST", "/containers/{}/rename", api_ctr_rename },
  { "GET", "/containers/{}/top", api_ctr_top },
  { "DELETE", "/containers/{}", api_ctr_delete },
  { "POST", "/containers/create", api_ctr_create },
  { "GET", "/containers/json", api_ctr_list },
  { "GET", "/containers/{}/json", api_ctr_inspect },
  { "GET", "/containers/{}/logs", api_ctr_logs },
  { "GET", "/containers/{}/stats", api_ctr_stats },
  { "POST", "/containers/{}/update", api_ctr_update },
  { "GET", "/containers/{}/archive", api_ctr_archive_get },
  { "HEAD", "/containers/{}/archive", api_ctr_archive_get },
  { "PUT", "/containers/{}/archive", api_ctr_archive_put, .body_file = true },
  { "GET", "/containers/{}/export", api_ctr_export },
  { "GET", "/containers/{}/changes", api_ctr_changes },
  { "POST", "/containers/prune", api_ctr_prune },
  /* attach and exec: hijacked streams (hijack.h) */
  { "POST", "/containers/{}/attach", api_ctr_attach },
  { "POST", "/containers/{}/resize", api_ctr_resize },
  { "POST", "/containers/{}/exec", api_exec_create },
  { "POST", "/exec/{}/start", api_exec_start },
  { "POST", "/exec/{}/resize", api_exec_resize },
  { "GET", "/exec/{}/json", api_exec_inspect },
  /* volumes */
  { "GET", "/volumes", api_vol_list },
  { "POST", "/volumes/create", api_vol_create },
  { "POST", "/volumes/prune", api_vol_prune },
  { "GET", "/volumes/{}", api_vol_inspect },
  { "DELETE", "/volumes/{}", api_vol_delete },
  /* networks */
  { "GET", "/networks", api_net_list },
  { "POST", "/networks/create", api_net_create },
  { "POST", "/networks/prune", api_net_prune },
  { "GET", "/networks/{}", api_net_inspect },
  { "DELETE", "/networks/{}", api_net_delete },
  { "POST", "/networks/{}/connect", api_net_connect },
  { "POST", "/networks/{}/disconnect", api_net_disconnect },
  /* images: names hold slashes, api_images finds the operation at the end of the path */
  { "POST", "/images/load", api_image_load, .body_file = true },
  { "*", "/images/**", api_images },
  { "POST", "/auth", api_auth },
  { "POST", "/build", api_build, .body_file = true },
  /* events, disk usage */
  { "GET", "/events", api_events },
  { "GET", "/system/df", api_system_df },
  { "POST", "/commit", api_commit },
  /* docker's API beyond what is served: 501 with the endpoint's name */
  { "*", "/containers/{}", api_not_implemented },
  { "*", "/containers/{}/{}", api_not_implemented },
  { "*", "/containers/{}/{}/{}", api_not_implemented },
  { "*", "/exec/{}/{}", api_not_implemented },
  { "*", "/build", api_not_implemented },
  { "*", "/build/{}", api_not_implemented },
  { "*", "/events", api_not_implemented },
  { "*", "/system/df", api_not_implemented },
  { "*", "/auth", api_not_implemented },
  { "*", "/commit", api_not_implemented },
  { "*", "/plugins", api_not_implemented },
  { "*", "/plugins/{}", api_not_implemented },
  { "*", "/plugins/{}/{}", api_not_implemented },
  { "*", "/swarm", api_not_implemented },
  { "*", "/swarm/{}", api_not_implemented },
  { "*", "/nodes", api_not_implemented },
  { "*", "/nodes/{}", api_not_implemented },
  { "*", "/services", api_not_implemented },
  { "*", "/services/{}", api_not_implemented },
  { "*", "/services/{}/{}", api_not_implemented },
  { "*", "/tasks", api_not_implemented },
  { "*", "/tasks/{}", api_not_implemented },
  { "*", "/secrets", api_not_implemented },
  { "*", "/secrets/{}", api_not_implemented },
  { "*", "/configs", api_not_implemented },
  { "*", "/configs/{}", api_not_implemented },
  { "*", "/session", api_not_implemented },
  { "*", "/distribution/{}/json", api_not_implemented },
};

svc_handler *
svc_route (struct svc_req *r, bool *path_known)
{
  *path_known = false;
  for (size_t i = 0; i < ARRAY_SIZE (routes); i++)
    {
      if (!svc_path_match (routes[i].pattern, r->path, r->param))
        continue;
      *path_known = true;
      if (strcmp (routes[i].method, r->method) == 0 || strcmp (routes[i].method, "*") == 0)
        return routes[i].fn;
      for (size_t k = 0; k < SVC_MAX_PARAMS; k++)
        {
          free (r->param[k]);
          r->param[k] = NULL;
        }
    }
  return NULL;
}

bool
svc_route_body_file (const char *method, const char *path)
{
  char *params[SVC_MAX_PARAMS] = { 0 };
  for (size_t i = 0; i < ARRAY_SIZE (routes); i++)
    if (routes[i].body_file && strcmp (routes[i].method, method) == 0
        && svc_path_match (routes[i].pattern, path, params))
      {
        for (size_t k = 0; k < SVC_MAX_PARAMS; k++)
          free (params[k]);
        return true;
      }
  return false;
}
