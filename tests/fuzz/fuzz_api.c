/* libFuzzer harness for what capsa-service parses of a request (src/service/reqparse.c and
 * create_body.c): an input is "URL\nFILTERS\nBODY": the URL through svc_strip_version and every
 * route pattern, FILTERS through svc_filters_parse, BODY (JSON) through svc_create_opts (the
 * create body's translation into the engine's options) and svc_create_opts_free.  Besides
 * crashes, leaks and sanitizer reports it aborts when a result breaks what the headers promise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/engine.h"
#include "create_body.h"
#include "reqparse.h"

static const char *const patterns[] = { "/_ping",     "/containers/{}/start", "/containers/{}/{}",   "/containers/{}",
                                        "/images/**", "/exec/{}/json",        "/networks/{}/connect" };

static void
check_url (const char *url)
{
  char *path = NULL;
  int api = 0;
  if (!svc_strip_version (url, &path, &api))
    return;
  if (path == NULL || (path[0] != '/' && strcmp (path, url) != 0))
    abort ();
  for (size_t i = 0; i < sizeof patterns / sizeof *patterns; i++)
    {
      char *params[SVC_MAX_PARAMS] = { 0 };
      bool ok = svc_path_match (patterns[i], path, params);
      for (size_t k = 0; k < SVC_MAX_PARAMS; k++)
        {
          if (!ok && params[k])
            abort (); /* a failed match leaves nothing */
          if (params[k] && (params[k][0] == '\0' || strchr (params[k], '/')))
            abort (); /* one non-empty segment */
          free (params[k]);
        }
    }
  free (path);
}

static void
check_filters (const char *q)
{
  long long ns;
  if (svc_parse_time (q, &ns) && ns < -1)
    abort (); /* a time, or -1 for none */
  json_t *f = NULL, *v, *e;
  const char *k;
  size_t i;
  if (!svc_filters_parse (q, &f))
    {
      if (f)
        abort ();
      return;
    }
  json_object_foreach (f, k, v)
  {
    if (!json_is_array (v))
      abort ();
    json_array_foreach (v, i, e) if (!json_is_string (e)) abort ();
  }
  json_decref (f);
}

static void
check_body (const char *b, size_t len)
{
  json_t *body = json_loadb (b, len, 0, NULL);
  if (!json_is_object (body))
    {
      json_decref (body);
      return;
    }
  struct ctr_opts o;
  struct svc_strings keep = { 0 };
  json_t *warnings = json_array ();
  capsa_err *err = NULL;
  int r = svc_create_opts (body, "fuzz", &o, &keep, warnings, &err);
  if (r < 0 && (err == NULL || err->msg == NULL || err->msg[0] == '\0'))
    abort (); /* a refusal says why */
  if (r == 0 && err)
    abort ();
  svc_create_opts_free (&o, &keep);
  capsa_err_free (&err);
  json_decref (warnings);
  json_decref (body);
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    return 0;
  memcpy (s, data, size);
  s[size] = '\0';
  char *nl1 = memchr (s, '\n', size), *nl2 = nl1 ? memchr (nl1 + 1, '\n', size - (size_t) (nl1 + 1 - s)) : NULL;
  if (nl1)
    *nl1 = '\0';
  if (nl2)
    *nl2 = '\0';
  check_url (s);
  if (nl1)
    check_filters (nl1 + 1);
  if (nl2)
    check_body (nl2 + 1, size - (size_t) (nl2 + 1 - s));
  free (s);
  return 0;
}
