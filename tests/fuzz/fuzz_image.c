/* libFuzzer harness for the image config and manifest parsers (src/lib/image/imgspec.c): build and run
 * with tests/fuzz/build.sh (see README.md).
 *
 * The first byte picks the parser and the transport's media type; the rest is the document.
 * Besides crashes and sanitizer reports, it aborts when a successful parse breaks an invariant
 * that imgspec.h promises, or when a failure leaves no message or one without the document's name.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "imgspec.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define NAME "fuzz doc"

static void
check (int ok)
{
  if (!ok)
    abort ();
}

static void
check_desc (const struct capsa_descriptor *d)
{
  check (capsa_digest_valid (d->digest) && d->size >= 0);
}

static void
check_manifest (const struct capsa_manifest *m)
{
  check (m->raw != NULL && m->media_type != NULL);
  if (m->is_index)
    {
      check (m->n_manifests == 0 || m->manifests != NULL);
      for (size_t i = 0; i < m->n_manifests; i++)
        check_desc (&m->manifests[i]);
      return;
    }
  check_desc (&m->config);
  check (m->config.media_type != NULL);
  for (size_t i = 0; i < m->n_layers; i++)
    {
      check_desc (&m->layers[i]);
      check (capsa_layer_media_type_ok (m->layers[i].media_type));
    }
}

static void
check_config (const struct capsa_image_config *c)
{
  check (c->raw != NULL && c->diff_ids != NULL);
  for (size_t i = 0; i < c->n_diff_ids; i++)
    check (capsa_digest_valid (c->diff_ids[i]));
  json_t *env = json_object_get (json_object_get (c->raw, "config"), "Env"), *v;
  size_t i;
  json_array_foreach (env, i, v) check (json_is_string (v));
}

static void
check_error (capsa_err *err)
{
  check (err != NULL && err->msg != NULL);
  check (strncmp (err->msg, NAME, strlen (NAME)) == 0);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char *types[] = {
    NULL, CAPSA_MT_OCI_MANIFEST, CAPSA_MT_OCI_INDEX, CAPSA_MT_DOCKER_MANIFEST, CAPSA_MT_DOCKER_LIST, "application/json"
  };
  capsa_err *err = NULL;
  if (size < 1)
    return 0;
  const char *doc = (const char *) data + 1;
  size_t len = size - 1;
  if (data[0] & 1)
    {
      struct capsa_image_config c;
      if (capsa_image_config_parse (doc, len, NAME, &c, &err) == 0)
        {
          check (err == NULL);
          check_config (&c);
          capsa_image_config_free (&c);
        }
      else
        check_error (err);
    }
  else
    {
      struct capsa_manifest m;
      const char *ct = types[(data[0] >> 1) % (sizeof types / sizeof types[0])];
      if (capsa_manifest_parse (doc, len, ct, NAME, &m, &err) == 0)
        {
          check (err == NULL);
          check_manifest (&m);
          if (m.is_index)
            {
              capsa_err *perr = NULL;
              if (capsa_manifest_pick_platform (&m, NAME, &perr) == NULL)
                check_error (perr);
              capsa_err_free (&perr);
            }
          capsa_manifest_free (&m);
        }
      else
        check_error (err);
    }
  capsa_err_free (&err);
  return 0;
}
