/* The routes of the Docker Engine API that capsa-service serves: method, path pattern ("{}" is
 * one segment, given to the handler in r->param), handler.  A path of docker's API that capsa
 * does not serve yet answers 501 naming it (api_not_implemented), never a hang. */
#include <stdlib.h>
#include <string.h>

#include "capsa/util.h"
#include "svc.h"

struct route
{
  const char *method, *pattern;
  svc_handler *fn;
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
  { "POST", "/containers/prune", api_ctr_prune },
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
  /* events, disk usage */
  { "GET", "/events", api_events },
  { "GET", "/system/df", api_system_df },
  /* docker's API beyond what is served: 501 with the endpoint's name */
  { "*", "/containers/{}", api_not_implemented },
  { "*", "/containers/{}/{}", api_not_implemented },
  { "*", "/containers/{}/{}/{}", api_not_implemented },
  { "*", "/exec/{}/{}", api_not_implemented },
  { "*", "/images/{}", api_not_implemented },
  { "*", "/images/{}/{}", api_not_implemented },
  { "*", "/images/{}/{}/{}", api_not_implemented },
  { "*", "/images/{}/{}/{}/{}", api_not_implemented },
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

/* Whether path matches pattern; the {} segments are copied to params (percent-decoded by MHD
 * already: the URL it hands over is decoded). */
static bool
match (const char *pattern, const char *path, char **params)
{
  size_t np = 0;
  while (*pattern && *path)
    {
      if (strncmp (pattern, "{}", 2) == 0)
        {
          size_t n = strcspn (path, "/");
          if (n == 0 || np >= SVC_MAX_PARAMS)
            break;
          params[np++] = strndup (path, n);
          pattern += 2;
          path += n;
          continue;
        }
      if (*pattern != *path)
        break;
      pattern++;
      path++;
    }
  bool ok = *pattern == '\0' && (*path == '\0' || strcmp (path, "/") == 0);
  if (!ok)
    for (size_t i = 0; i < np; i++)
      {
        free (params[i]);
        params[i] = NULL;
      }
  return ok;
}

svc_handler *
svc_route (struct svc_req *r, bool *path_known)
{
  *path_known = false;
  for (size_t i = 0; i < ARRAY_SIZE (routes); i++)
    {
      if (!match (routes[i].pattern, r->path, r->param))
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
