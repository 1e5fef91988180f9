/* What capsa-service parses of a request from its text alone (reqparse.c), apart from the
 * server: the version prefix, the route patterns, the filters query.  The create body's parser
 * is create_body.h.  tests/fuzz/fuzz_api.c fuzzes them all. */
#ifndef CAPSA_SVC_REQPARSE_H
#define CAPSA_SVC_REQPARSE_H

#include <stdbool.h>

#include <jansson.h>

#define SVC_API_VERSION "1.41"
#define SVC_API_MINOR 41
#define SVC_API_MIN_MINOR 24
#define SVC_MAX_PARAMS 3

/* "/v1.41/containers/json" -> *path "/containers/json" (owned), *api 41; no prefix: 41.  false
 * for a malformed prefix ("/v2.0/", "/v1.x/"). */
bool svc_strip_version (const char *url, char **path, int *api);
/* Whether path matches pattern ("{}" one segment, copied to params (owned; at most
 * SVC_MAX_PARAMS), a final "**" the rest); params are left NULL when not. */
bool svc_path_match (const char *pattern, const char *path, char **params);
/* The filters query (docker's {"key": ["v", ...]} or the old {"key": {"v": true}}) as
 * {"key": ["v", ...]} (*out: new reference, {} for NULL or ""); false when malformed. */
bool svc_filters_parse (const char *q, json_t **out);

/* docker's since/until: unix seconds with an optional fraction (what its CLI sends:
 * "1700000000.000000001"), else what capsa_ctr_parse_since reads (an RFC 3339 time, a duration
 * back from now).  *ns -1 when v is NULL or empty; false when malformed. */
bool svc_parse_time (const char *v, long long *ns);

#endif
