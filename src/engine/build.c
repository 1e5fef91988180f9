/* capsa build: the Dockerfile and its context, the stages, the step loop and the cache keys (see
 * build.h).  Stages are built in order, the target (the last one when none is named) and those it
 * uses (FROM an earlier stage, COPY --from, RUN --mount from=) only, as buildkit and buildah do.
 * A step's cache key is the sha256 of its parent image's id, the instruction as it will be run
 * (expanded) and what it depends on besides (the ARG values a RUN sees, the digest of what a COPY
 * copies): a step whose key some registered image has is not run again. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/util.h"
#include "build.h"
#include "digest.h"
#include "fsops.h"
#include "image.h"
#include "layer.h"
#include "store.h"
#include "jsonutil.h"
#include "strbuf.h"
#include "util.h"

#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

void
build_say (struct bctx *b, const char *fmt, ...)
{
  if (b->o->print == NULL)
    return;
  va_list ap;
  va_start (ap, fmt);
  cleanup_free char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    s = NULL;
  va_end (ap);
  if (s)
    b->o->print (b->o->print_data, s);
}

int
build_step_fail (struct bctx *b, capsa_err **err)
{
  const struct df_instr *in = b->in;
  if (in == NULL)
    return -1;
  return capsa_err_wrap (err, "%s:%u: %s", b->df.name, in->line, in->original);
}

const char *
build_lookup (void *data, const char *name)
{
  struct bctx *b = data;
  json_t *env = json_object_get (b->cur ? b->cur->config : NULL, "Env");
  size_t n = strlen (name);
  for (size_t i = json_array_size (env); i-- > 0;)
    {
      const char *kv = json_string_value (json_array_get (env, i));
      if (kv && strncmp (kv, name, n) == 0 && kv[n] == '=')
        return kv + n + 1;
    }
  json_t *args = b->cur ? b->cur->args : b->global_args;
  return json_string_value (json_object_get (args, name));
}

int
build_expand (struct bctx *b, const char *word, char **out, capsa_err **err)
{
  return df_expand_word (word, b->df.escape, build_lookup, b, out, err);
}

/* --- the Dockerfile, the context, the arguments ----------------------------------------------- */

static int
read_dockerfile (struct bctx *b, char **text, char **name, capsa_err **err)
{
  const struct capsa_build_opts *o = b->o;
  if (o->dockerfile && strcmp (o->dockerfile, "-") == 0)
    {
      *text = xstrdup (o->dockerfile_text ? o->dockerfile_text : "");
      *name = xstrdup ("Dockerfile");
      return 0;
    }
  if (o->dockerfile && b->ctx_tmp)
    {
      const char *slash = strrchr (o->dockerfile, '/');
      cleanup_close int fd = capsa_rootpath_open (b->ctxfd, o->dockerfile, O_RDONLY, err);
      *name = xstrdup (slash ? slash + 1 : o->dockerfile);
      cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
      return fd < 0 ? -1 : read_file_at (AT_FDCWD, p, text, NULL, err);
    }
  if (o->dockerfile)
    {
      const char *slash = strrchr (o->dockerfile, '/');
      *name = xstrdup (slash ? slash + 1 : o->dockerfile);
      return read_file_at (AT_FDCWD, o->dockerfile, text, NULL, err);
    }
  static const char *names[] = { "Dockerfile", "Containerfile" };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_close int fd = capsa_rootpath_open (b->ctxfd, names[i], O_RDONLY, NULL);
      if (fd < 0)
        continue;
      *name = xstrdup (names[i]);
      cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
      return read_file_at (AT_FDCWD, p, text, NULL, err);
    }
  return capsa_fail_as (err, ENOENT, "build: no Dockerfile or Containerfile in `%s` (-f names another)", o->context);
}

static int
load_ignore (struct bctx *b, capsa_err **err)
{
  static const char *names[] = { ".containerignore", ".dockerignore" };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_close int fd = capsa_rootpath_open (b->ctxfd, names[i], O_RDONLY, NULL);
      if (fd < 0)
        continue;
      cleanup_free char *text = NULL;
      size_t len = 0;
      cleanup_free char *path = xasprintf ("/proc/self/fd/%d", fd);
      if (read_file_at (AT_FDCWD, path, &text, &len, err) < 0)
        return -1;
      if (df_ignore_parse (text, len, &b->ig, err) < 0)
        return capsa_err_wrap (err, "%s/%s", b->o->context, names[i]);
      return 0;
    }
  return 0;
}

static int
parse_build_args (struct bctx *b, capsa_err **err)
{
  b->build_args = json_object ();
  b->used_args = json_object ();
  for (char *const *a = b->o->build_args; a && *a; a++)
    {
      const char *eq = strchr (*a, '=');
      cleanup_free char *k = eq ? strndup (*a, (size_t) (eq - *a)) : xstrdup (*a);
      if (*k == '\0')
        return capsa_fail_as (err, EINVAL, "--build-arg `%s`: expected NAME=VALUE", *a);
      const char *v = eq ? eq + 1 : b->o->env_lookup ? b->o->env_lookup (k) : NULL;
      if (v)
        json_object_set_new (b->build_args, k, json_string (v));
    }
  return 0;
}

/* ARG NAME[=default] words: into args (a stage's, or the global ones), a --build-arg first, then
 * the default, then (in a stage) the global value of the same name. */
int
build_declare_args (struct bctx *b, const struct df_instr *in, json_t *args, capsa_err **err)
{
  for (char **w = in->args; *w; w++)
    {
      cleanup_free char *word = NULL;
      if (build_expand (b, *w, &word, err) < 0)
        return build_step_fail (b, err);
      char *eq = strchr (word, '=');
      if (eq)
        *eq = '\0';
      json_t *given = json_object_get (b->build_args, word);
      if (given)
        {
          json_object_set (args, word, given);
          json_object_set_new (b->used_args, word, json_true ());
        }
      else if (eq)
        json_object_set_new (args, word, json_string (eq + 1));
      else if (args != b->global_args && json_object_get (b->global_args, word))
        json_object_set (args, word, json_object_get (b->global_args, word));
      else if (json_object_get (args, word) == NULL)
        json_object_set_new (args, word, json_null ());
    }
  return 0;
}

/* Split the instructions into stages; ARGs before the first FROM are the global ones. */
static int
split_stages (struct bctx *b, capsa_err **err)
{
  b->global_args = json_object ();
  for (size_t i = 0; i < b->df.n; i++)
    {
      const struct df_instr *in = &b->df.instrs[i];
      if (in->kind == DF_FROM)
        {
          b->stages = xrealloc (b->stages, (b->nstages + 1) * sizeof *b->stages);
          struct bstage *st = &b->stages[b->nstages++];
          memset (st, 0, sizeof *st);
          st->first = st->last = i;
          if (in->args[0] && in->args[1] && in->args[2])
            {
              st->name = xstrdup (in->args[2]);
              for (char *p = st->name; *p; p++)
                *p = (char) tolower ((unsigned char) *p);
            }
        }
      else if (b->nstages > 0)
        b->stages[b->nstages - 1].last = i;
      else if (in->kind == DF_ARG)
        {
          b->in = in;
          if (build_declare_args (b, in, b->global_args, err) < 0)
            return -1;
        }
    }
  b->in = NULL;
  if (b->nstages == 0)
    return capsa_fail_as (err, EINVAL, "%s: no FROM instruction", b->df.name);
  return 0;
}

/* A stage by name (case-insensitive) or index; NULL when none. */
static struct bstage *
find_stage (struct bctx *b, const char *ref, size_t before)
{
  for (size_t i = 0; i < before && i < b->nstages; i++)
    if (b->stages[i].name && strcasecmp (b->stages[i].name, ref) == 0)
      return &b->stages[i];
  char *end;
  long n = strtol (ref, &end, 10);
  if (*ref && *end == '\0' && n >= 0 && (size_t) n < before && (size_t) n < b->nstages)
    return &b->stages[n];
  return NULL;
}

/* --- steps ----------------------------------------------------------------------------------- */

/* sha256 of parent, text and extra, as the cache key. */
static void
step_key (struct bctx *b, const char *text, const char *extra, char *key)
{
  capsa_sha256 h;
  capsa_sha256_init (&h);
  capsa_sha256_update (&h, b->cur->image, strlen (b->cur->image) + 1);
  capsa_sha256_update (&h, text, strlen (text) + 1);
  if (extra)
    capsa_sha256_update (&h, extra, strlen (extra));
  capsa_sha256_final (&h, key);
}

/* A cached result for key: 1 with out set. */
static int
cache_hit (struct bctx *b, const char *key, char *out, capsa_err **err)
{
  if (b->o->no_cache)
    return 0;
  int r = capsa_image_cache_find (b->s, key, out, err);
  if (r > 0)
    build_say (b, "--> Using cache %s\n", out);
  return r;
}

static int
adopt_config (struct bctx *b, const char *id, capsa_err **err)
{
  cleanup_json json_t *cfg = NULL;
  if (capsa_blob_json (b->s, id, &cfg, err) < 0)
    return -1;
  json_t *c = json_object_get (cfg, "config");
  json_decref (b->cur->config);
  b->cur->config = json_is_object (c) ? json_deep_copy (c) : json_object ();
  return 0;
}

static int
run_config_step (struct bctx *b, const struct df_instr *in, capsa_err **err)
{
  cleanup_free char *created_by = NULL;
  char key[CAPSA_DIGEST_LEN + 1], out[CAPSA_DIGEST_LEN + 1];
  if (build_config_step (b, in, &created_by, err) < 0)
    return build_step_fail (b, err);
  step_key (b, created_by, NULL, key);
  int r = cache_hit (b, key, out, err);
  if (r == 0)
    r = build_commit_config (b, key, created_by, out, err);
  if (r < 0)
    return build_step_fail (b, err);
  memcpy (b->cur->image, out, sizeof out);
  return 0;
}

static int
run_work_step (struct bctx *b, const struct df_instr *in, capsa_err **err)
{
  char key[CAPSA_DIGEST_LEN + 1], out[CAPSA_DIGEST_LEN + 1], digest[CAPSA_DIGEST_LEN + 1] = "";
  cleanup_strv char **args = build_run_args (b);
  struct strbuf extra = { 0 };
  int r = 0;

  /* what the step sees besides its parent: the ARG values, and what a COPY copies */
  for (char **a = args; a && *a; a++)
    strbuf_printf (&extra, "%s\n", *a);
  if (in->kind != DF_RUN && in->kind != DF_WORKDIR)
    {
      if (build_copy_digest (b, in, digest, err) < 0)
        return build_step_fail (b, err);
      strbuf_printf (&extra, "%s", digest);
    }
  const char *text = in->original;
  step_key (b, text, extra.buf, key);
  free (extra.buf);
  r = cache_hit (b, key, out, err);
  if (r == 0 && in->kind == DF_RUN)
    r = build_run_step (b, in, key, out, err);
  else if (r == 0 && in->kind == DF_WORKDIR)
    r = build_workdir_step (b, in, key, out, err);
  else if (r == 0)
    r = build_copy_step (b, in, key, out, err);
  if (r < 0)
    return build_step_fail (b, err);
  memcpy (b->cur->image, out, sizeof out);
  return 0;
}

static int
run_step (struct bctx *b, const struct df_instr *in, bool trigger, capsa_err **err)
{
  long long t0 = monotonic_ms ();
  b->in = in;
  if (b->o->cancel && *b->o->cancel)
    return capsa_fail_as (err, EINTR, "%s:%u: interrupted: the build stops before `%s`", b->df.name, in->line,
                          in->original);
  if (trigger)
    build_say (b, "--> the base image's ONBUILD trigger: %s\n", in->original);
  else
    build_say (b, "STEP %u/%u: %s\n", ++b->step, b->nsteps, in->original);
  int r;
  if (in->kind == DF_ARG)
    r = build_declare_args (b, in, b->cur->args, err);
  else if (in->kind == DF_RUN || in->kind == DF_COPY || in->kind == DF_ADD)
    r = run_work_step (b, in, err);
  else if (in->kind == DF_WORKDIR)
    r = build_config_step (b, in, NULL, err) < 0 ? build_step_fail (b, err) : run_work_step (b, in, err);
  else
    r = run_config_step (b, in, err);
  if (r == 0 && in->kind != DF_ARG && b->o->timings)
    build_say (b, "--> %.12s (%.2fs)\n", b->cur->image + 7, (double) (monotonic_ms () - t0) / 1000);
  else if (r == 0 && in->kind != DF_ARG)
    build_say (b, "--> %.12s\n", b->cur->image + 7);
  return r;
}

/* The base image's ONBUILD triggers run right after FROM, then leave the config. */
static int
run_triggers (struct bctx *b, capsa_err **err)
{
  cleanup_json json_t *triggers = json_incref (json_object_get (b->cur->config, "OnBuild"));
  json_object_del (b->cur->config, "OnBuild");
  size_t i;
  json_t *t;
  json_array_foreach (triggers, i, t)
  {
    cleanup_free char *text = xasprintf ("FROM scratch\n%s\n", json_string_value (t) ?: "");
    cleanup_dockerfile struct dockerfile df = { 0 };
    if (df_parse (text, strlen (text), "ONBUILD", &df, err) < 0)
      return build_step_fail (b, err);
    if (df.n == 2 && run_step (b, &df.instrs[1], true, err) < 0)
      return -1;
  }
  return 0;
}

static int
from_image (struct bctx *b, const char *ref, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *missing = NULL;
  json_t *img = NULL;
  if (!b->o->pull && capsa_index_read (b->s, &idx, err) < 0)
    return -1;
  if (!b->o->pull)
    img = capsa_image_find (idx, ref, b->e->default_registry, &missing);
  if (img == NULL)
    {
      cleanup_free char *dreg = NULL;
      cleanup_strv char **insecure = NULL;
      struct capsa_registry_opts ro = { 0 };
      if (capsa_registries_conf_load (NULL, &dreg, &insecure, err) < 0)
        return -1;
      ro.default_registry = b->e->default_registry ? b->e->default_registry : dreg;
      ro.insecure = insecure;
      build_say (b, "pulling %s\n", ref);
      if (capsa_pull (b->s, ref, &ro, NULL, b->cur->image, NULL, err) < 0)
        return -1;
    }
  else
    snprintf (b->cur->image, sizeof b->cur->image, "%s", jstr (img, "id"));
  return adopt_config (b, b->cur->image, err);
}

static int build_stage (struct bctx *b, struct bstage *st, capsa_err **err);

static int
run_from (struct bctx *b, struct bstage *st, capsa_err **err)
{
  const struct df_instr *in = &b->df.instrs[st->first];
  cleanup_free char *ref = NULL;
  b->in = in;
  build_say (b, "STEP %u/%u: %s\n", ++b->step, b->nsteps, in->original);
  b->cur = NULL; /* FROM sees the global ARGs only */
  if (build_expand (b, in->args[0], &ref, err) < 0)
    return build_step_fail (b, err);
  b->cur = st;
  st->args = json_object ();
  struct bstage *from = find_stage (b, ref, (size_t) (st - b->stages));
  if (from && !from->built && build_stage (b, from, err) < 0)
    return -1;
  b->cur = st;
  b->in = in;
  if (from)
    {
      memcpy (st->image, from->image, sizeof st->image);
      st->config = json_deep_copy (from->config);
    }
  else if (strcmp (ref, "scratch") == 0)
    st->config = json_pack ("{s:[s]}", "Env", DEFAULT_PATH);
  else if (from_image (b, ref, err) < 0)
    return build_step_fail (b, err);
  return run_triggers (b, err);
}

static int
build_stage (struct bctx *b, struct bstage *st, capsa_err **err)
{
  struct bstage *saved = b->cur;
  if (run_from (b, st, err) < 0)
    return -1;
  for (size_t i = st->first + 1; i <= st->last; i++)
    {
      b->cur = st;
      if (run_step (b, &b->df.instrs[i], false, err) < 0)
        return -1;
    }
  st->built = true;
  b->cur = saved;
  return 0;
}

int
build_from_ref (struct bctx *b, const char *ref, char *id, capsa_err **err)
{
  struct bstage *st = find_stage (b, ref, (size_t) (b->cur - b->stages));
  if (st)
    {
      const struct df_instr *in = b->in;
      if (!st->built && build_stage (b, st, err) < 0)
        return -1;
      b->in = in;
      memcpy (id, st->image, CAPSA_DIGEST_LEN + 1);
      return 0;
    }
  cleanup_json json_t *idx = NULL;
  if (capsa_index_read (b->s, &idx, err) < 0)
    return -1;
  json_t *img = capsa_image_find (idx, ref, b->e->default_registry, err);
  if (img == NULL)
    return -1;
  snprintf (id, CAPSA_DIGEST_LEN + 1, "%s", jstr (img, "id"));
  return 0;
}

/* --- the build ------------------------------------------------------------------------------- */

/* The stage a FROM, COPY --from or RUN --mount from= names (NULL: an image). */
static struct bstage *
stage_used (struct bctx *b, const char *raw, size_t before)
{
  cleanup_err capsa_err *ignored = NULL;
  cleanup_free char *ref = NULL;
  struct bstage *saved = b->cur;
  b->cur = NULL;
  int r = build_expand (b, raw, &ref, &ignored);
  b->cur = saved;
  return r < 0 ? NULL : find_stage (b, ref, before);
}

static void mark_needed (struct bctx *b, size_t i, bool *need);

static void
mark_mount_from (struct bctx *b, const struct df_instr *in, size_t i, bool *need)
{
  cleanup_free const char **mounts = df_flags_all (in, "mount");
  for (const char **m = mounts; m && *m; m++)
    {
      const char *f = strstr (*m, "from=");
      if (f == NULL || (f != *m && f[-1] != ','))
        continue;
      cleanup_free char *ref = strndup (f + 5, strcspn (f + 5, ","));
      struct bstage *st = stage_used (b, ref, i);
      if (st)
        mark_needed (b, (size_t) (st - b->stages), need);
    }
}

static void
mark_needed (struct bctx *b, size_t i, bool *need)
{
  if (need[i])
    return;
  need[i] = true;
  struct bstage *st = &b->stages[i];
  for (size_t k = st->first; k <= st->last; k++)
    {
      const struct df_instr *in = &b->df.instrs[k];
      const char *ref = in->kind == DF_FROM ? in->args[0] : df_flag (in, "from");
      struct bstage *used = ref ? stage_used (b, ref, i) : NULL;
      if (used)
        mark_needed (b, (size_t) (used - b->stages), need);
      if (in->kind == DF_RUN)
        mark_mount_from (b, in, i, need);
    }
}

static int
pick_target (struct bctx *b, size_t *target, capsa_err **err)
{
  *target = b->nstages - 1;
  if (b->o->target == NULL)
    return 0;
  for (size_t i = 0; i < b->nstages; i++)
    if (b->stages[i].name && strcasecmp (b->stages[i].name, b->o->target) == 0)
      {
        *target = i;
        return 0;
      }
  return capsa_fail_as (err, ENOENT, "build: target stage `%s` could not be found in %s", b->o->target, b->df.name);
}

/* --label on the result, then its names. */
static int
finish (struct bctx *b, struct bstage *st, capsa_err **err)
{
  b->cur = st;
  b->in = NULL;
  if (b->o->labels && *b->o->labels)
    {
      json_t *labels = json_child_object (st->config, "Labels");
      struct strbuf by = { 0 };
      strbuf_printf (&by, "/bin/sh -c #(nop)  LABEL");
      for (char *const *l = b->o->labels; *l; l++)
        {
          const char *eq = strchr (*l, '=');
          cleanup_free char *k = eq ? strndup (*l, (size_t) (eq - *l)) : xstrdup (*l);
          json_object_set_new (labels, k, json_string (eq ? eq + 1 : ""));
          strbuf_printf (&by, " %s", *l);
        }
      char key[CAPSA_DIGEST_LEN + 1], out[CAPSA_DIGEST_LEN + 1];
      step_key (b, by.buf, NULL, key);
      int r = cache_hit (b, key, out, err);
      if (r == 0)
        r = build_commit_config (b, key, by.buf, out, err);
      free (by.buf);
      if (r < 0)
        return -1;
      memcpy (st->image, out, sizeof out);
    }
  if (st->image[0] == '\0' && build_commit_config (b, NULL, "/bin/sh -c #(nop)  FROM scratch", st->image, err) < 0)
    return -1;
  for (char *const *t = b->o->tags; t && *t; t++)
    {
      if (capsa_image_tag (b->s, st->image, *t, b->e->default_registry, err) < 0)
        return -1;
      cleanup_free char *fam = capsa_ref_familiar (*t, b->e->default_registry);
      build_say (b, "Successfully tagged %s\n", fam);
    }
  return 0;
}

static void
warn_unused_args (struct bctx *b)
{
  const char *k;
  json_t *v;
  json_object_foreach (b->build_args, k, v)
  {
    if (!json_object_get (b->used_args, k))
      build_say (b, "[Warning] one or more build args were not consumed: %s\n", k);
  }
}

static int
build_all (struct bctx *b, char *id_out, capsa_err **err)
{
  cleanup_free char *text = NULL, *name = NULL;
  size_t target;
  if (read_dockerfile (b, &text, &name, err) < 0 || df_parse (text, strlen (text), name, &b->df, err) < 0)
    return -1;
  if (load_ignore (b, err) < 0 || parse_build_args (b, err) < 0 || split_stages (b, err) < 0
      || pick_target (b, &target, err) < 0)
    return -1;
  cleanup_free bool *need = xmalloc0 (b->nstages * sizeof *need);
  mark_needed (b, target, need);
  for (size_t i = 0; i <= target; i++)
    if (need[i])
      b->nsteps += (unsigned) (b->stages[i].last - b->stages[i].first + 1);
  for (size_t i = 0; i <= target; i++)
    if (need[i] && !b->stages[i].built && build_stage (b, &b->stages[i], err) < 0)
      return -1;
  if (finish (b, &b->stages[target], err) < 0)
    return -1;
  warn_unused_args (b);
  memcpy (id_out, b->stages[target].image, CAPSA_DIGEST_LEN + 1);
  return 0;
}

static void
bctx_free (struct bctx *b)
{
  for (size_t i = 0; i < b->nstages; i++)
    {
      free (b->stages[i].name);
      json_decref (b->stages[i].config);
      json_decref (b->stages[i].args);
    }
  free (b->stages);
  json_decref (b->global_args);
  json_decref (b->build_args);
  json_decref (b->used_args);
  df_ignore_free (b->ig);
  df_free (&b->df);
  if (b->ctxfd >= 0)
    close (b->ctxfd);
  if (b->ctx_tmp)
    {
      cleanup_err capsa_err *ignored = NULL;
      fs_rm_rf (b->ctx_tmp, &ignored);
      free (b->ctx_tmp);
    }
}

/* A tar context: extracted (checked as a layer is: nothing lands outside) into the store's tmp/. */
static int
open_tar_context (struct bctx *b, capsa_err **err)
{
  b->ctx_tmp = capsa_store_mkdtemp (b->s, "build", err);
  if (b->ctx_tmp == NULL)
    return -1;
  cleanup_close int dir = open (b->ctx_tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  struct capsa_layer_opts lo = { .whiteouts = false };
  struct capsa_layer_result res;
  if (dir < 0)
    return capsa_fail (err, errno, "open `%s`", b->ctx_tmp);
  if (capsa_layer_apply (b->o->context_fd, dir, &lo, &res, err) < 0)
    return capsa_err_wrap (err, "build: the context's tar");
  b->ctxfd = open (b->ctx_tmp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  return b->ctxfd < 0 ? capsa_fail (err, errno, "open `%s`", b->ctx_tmp) : 0;
}

int
capsa_build (struct capsa_engine *e, struct capsa_store *s, const struct capsa_build_opts *o, char *id_out,
             capsa_err **err)
{
  struct bctx b = { .e = e, .s = s, .o = o, .ctxfd = -1 };
  int r;
  if (strcmp (o->context, "-") == 0)
    r = open_tar_context (&b, err);
  else if ((b.ctxfd = open (o->context, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
    r = capsa_fail (err, errno, "build: the context `%s`", o->context);
  else
    r = 0;
  if (r == 0)
    r = build_all (&b, id_out, err);
  bctx_free (&b);
  return r;
}
