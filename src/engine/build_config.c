/* capsa build: the instructions that only change the image's config (build.h).  Each writes
 * docker's history text, "/bin/sh -c #(nop)  ENV a=1", which is also its step's cache key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "build.h"
#include "jsonutil.h"
#include "strbuf.h"
#include "util.h"

json_t *
build_shell (struct bctx *b)
{
  json_t *sh = json_object_get (b->cur->config, "Shell");
  if (json_is_array (sh) && json_array_size (sh) > 0)
    return json_deep_copy (sh);
  return json_pack ("[s,s]", "/bin/sh", "-c");
}

json_t *
build_command (struct bctx *b, const struct df_instr *in)
{
  if (in->json)
    return json_strv (in->args);
  json_t *cmd = build_shell (b);
  json_array_append_new (cmd, json_string (in->args[0] ? in->args[0] : ""));
  return cmd;
}

/* KEY VALUE pairs (ENV, LABEL), expanded, into *kv as "K=V". */
static int
expand_pairs (struct bctx *b, const struct df_instr *in, char ***kv, capsa_err **err)
{
  for (char **a = in->args; a[0] && a[1]; a += 2)
    {
      cleanup_free char *k = NULL, *v = NULL;
      if (build_expand (b, a[0], &k, err) < 0 || build_expand (b, a[1], &v, err) < 0)
        return -1;
      cleanup_free char *pair = xasprintf ("%s=%s", k, v);
      strv_append (kv, pair);
    }
  return 0;
}

static void
env_set (json_t *config, const char *kv)
{
  json_t *env = json_object_get (config, "Env");
  if (!json_is_array (env))
    json_object_set_new (config, "Env", env = json_array ());
  size_t klen = strcspn (kv, "=") + 1;
  for (size_t i = 0; i < json_array_size (env); i++)
    if (strncmp (json_string_value (json_array_get (env, i)) ?: "", kv, klen) == 0)
      {
        json_array_set_new (env, i, json_string (kv));
        return;
      }
  json_array_append_new (env, json_string (kv));
}

static int
env_or_label (struct bctx *b, const struct df_instr *in, struct strbuf *by, capsa_err **err)
{
  cleanup_strv char **kv = NULL;
  if (expand_pairs (b, in, &kv, err) < 0)
    return -1;
  json_t *labels = in->kind == DF_LABEL ? json_child_object (b->cur->config, "Labels") : NULL;
  for (char **p = kv; p && *p; p++)
    {
      strbuf_printf (by, " %s", *p);
      if (labels == NULL)
        {
          env_set (b->cur->config, *p);
          continue;
        }
      char *eq = strchr (*p, '=');
      *eq = '\0';
      json_object_set_new (labels, *p, json_string (eq + 1));
    }
  return 0;
}

/* Words, expanded (EXPOSE, VOLUME's shell form), or the JSON form's strings. */
static int
expand_words (struct bctx *b, const struct df_instr *in, char ***out, capsa_err **err)
{
  for (char **a = in->args; *a; a++)
    {
      cleanup_free char *w = NULL;
      if (build_expand (b, *a, &w, err) < 0)
        return -1;
      if (*w)
        strv_append (out, w);
    }
  return 0;
}

static int
add_port (json_t *ports, const char *spec, capsa_err **err)
{
  char proto[8] = "tcp";
  const char *slash = strchr (spec, '/');
  if (slash && (strlen (slash + 1) >= sizeof proto || !*(slash + 1)))
    return capsa_fail_as (err, EINVAL, "invalid port `%s`", spec);
  if (slash)
    snprintf (proto, sizeof proto, "%s", slash + 1);
  for (char *p = proto; *p; p++)
    *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
  char *end;
  long lo = strtol (spec, &end, 10), hi = lo;
  if (*end == '-')
    hi = strtol (end + 1, &end, 10);
  if (end == spec || (*end && *end != '/') || lo < 1 || hi > 65535 || hi < lo
      || (strcmp (proto, "tcp") && strcmp (proto, "udp") && strcmp (proto, "sctp")))
    return capsa_fail_as (err, EINVAL, "invalid port `%s`: expected PORT[-PORT][/tcp|udp|sctp]", spec);
  for (long p = lo; p <= hi; p++)
    {
      cleanup_free char *k = xasprintf ("%ld/%s", p, proto);
      json_object_set_new (ports, k, json_object ());
    }
  return 0;
}

static int
expose_or_volume (struct bctx *b, const struct df_instr *in, struct strbuf *by, capsa_err **err)
{
  cleanup_strv char **w = NULL;
  if (expand_words (b, in, &w, err) < 0)
    return -1;
  if (w == NULL)
    return capsa_fail_as (err, EINVAL, "%s requires at least one argument", in->keyword);
  json_t *o = json_child_object (b->cur->config, in->kind == DF_EXPOSE ? "ExposedPorts" : "Volumes");
  for (char **p = w; *p; p++)
    {
      if (in->kind == DF_EXPOSE && add_port (o, *p, err) < 0)
        return -1;
      if (in->kind == DF_VOLUME)
        json_object_set_new (o, *p, json_object ());
    }
  cleanup_json json_t *list = json_strv (w);
  cleanup_free char *text = json_dumps (list, JSON_COMPACT);
  if (in->kind == DF_EXPOSE)
    for (char **p = w; *p; p++)
      strbuf_printf (by, " %s", *p);
  else
    strbuf_printf (by, " %s", text);
  return 0;
}

/* "/a/b/../c" made absolute against base and cleaned (a ".." above / stays at /). */
static char *
clean_dir (const char *base, const char *dir)
{
  cleanup_free char *joined = dir[0] == '/' ? xstrdup (dir) : xasprintf ("%s/%s", base ? base : "/", dir);
  char *out = xmalloc0 (strlen (joined) + 2), *save = NULL;
  size_t len = 0;
  for (char *c = strtok_r (joined, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          while (len > 0 && out[--len] != '/')
            ;
          out[len] = '\0';
          continue;
        }
      len += (size_t) sprintf (out + len, "/%s", c);
    }
  if (len == 0)
    strcpy (out, "/");
  return out;
}

/* One expanded string (USER, WORKDIR, STOPSIGNAL). */
static int
single (struct bctx *b, const struct df_instr *in, struct strbuf *by, capsa_err **err)
{
  cleanup_free char *v = NULL;
  if (in->args[0] == NULL || build_expand (b, in->args[0], &v, err) < 0)
    return in->args[0] ? -1 : capsa_fail_as (err, EINVAL, "%s requires an argument", in->keyword);
  if (in->kind == DF_WORKDIR)
    {
      char *dir = clean_dir (jstr (b->cur->config, "WorkingDir"), v);
      free (v);
      v = dir;
    }
  static const char *keys[] = { [DF_USER] = "User", [DF_WORKDIR] = "WorkingDir", [DF_STOPSIGNAL] = "StopSignal" };
  json_object_set_new (b->cur->config, keys[in->kind], json_string (v));
  strbuf_printf (by, " %s", v);
  return 0;
}

static int
command (struct bctx *b, const struct df_instr *in, struct strbuf *by)
{
  json_t *cmd = build_command (b, in);
  cleanup_free char *text = json_dumps (cmd, JSON_COMPACT);
  strbuf_printf (by, " %s", text);
  if (in->kind == DF_CMD)
    {
      json_object_set_new (b->cur->config, "Cmd", cmd);
      b->cur->cmd_set = true;
      return 0;
    }
  json_object_set_new (b->cur->config, "Entrypoint", cmd);
  if (!b->cur->cmd_set) /* docker: an ENTRYPOINT drops the CMD the base image had */
    json_object_set_new (b->cur->config, "Cmd", json_null ());
  return 0;
}

/* "30s", "1m30s", "500ms" -> nanoseconds; -1 when malformed. */
static long long
duration_ns (const char *s)
{
  return capsa_duration_parse (s);
}

static int
healthcheck (struct bctx *b, const struct df_instr *in, struct strbuf *by, capsa_err **err)
{
  json_t *hc = json_object ();
  json_object_set_new (b->cur->config, "Healthcheck", hc);
  if (in->health_none)
    {
      json_object_set_new (hc, "Test", json_pack ("[s]", "NONE"));
      strbuf_printf (by, " NONE");
      return 0;
    }
  json_t *test = in->json ? json_strv (in->args) : json_pack ("[s]", in->args[0] ? in->args[0] : "");
  json_array_insert_new (test, 0, json_string (in->json ? "CMD" : "CMD-SHELL"));
  json_object_set_new (hc, "Test", test);
  static const char *flags[][2] = { { "interval", "Interval" },
                                    { "timeout", "Timeout" },
                                    { "start-period", "StartPeriod" } };
  for (size_t i = 0; i < 3; i++)
    {
      const char *v = df_flag (in, flags[i][0]);
      long long ns = v ? duration_ns (v) : 0;
      if (ns < 0)
        return capsa_fail_as (err, EINVAL, "HEALTHCHECK --%s=%s: not a duration (30s, 1m...)", flags[i][0], v);
      if (v)
        json_object_set_new (hc, flags[i][1], json_integer (ns));
    }
  const char *retries = df_flag (in, "retries");
  int64_t n = 0;
  if (retries && parse_i64 (retries, 0, 1 << 30, &n) < 0)
    return capsa_fail_as (err, EINVAL, "HEALTHCHECK --retries=%s: not a count", retries);
  if (retries)
    json_object_set_new (hc, "Retries", json_integer (n));
  cleanup_free char *text = json_dumps (test, JSON_COMPACT);
  strbuf_printf (by, " %s", text);
  return 0;
}

static int
config_change (struct bctx *b, const struct df_instr *in, struct strbuf *by, capsa_err **err)
{
  switch (in->kind)
    {
    case DF_ENV:
    case DF_LABEL:
      return env_or_label (b, in, by, err);
    case DF_EXPOSE:
    case DF_VOLUME:
      return expose_or_volume (b, in, by, err);
    case DF_USER:
    case DF_WORKDIR:
    case DF_STOPSIGNAL:
      return single (b, in, by, err);
    case DF_CMD:
    case DF_ENTRYPOINT:
      return command (b, in, by);
    case DF_HEALTHCHECK:
      return healthcheck (b, in, by, err);
    case DF_SHELL:
      if (!in->json || in->args[0] == NULL)
        return capsa_fail_as (err, EINVAL, "SHELL requires the arguments to be in JSON form");
      json_object_set_new (b->cur->config, "Shell", json_strv (in->args));
      strbuf_printf (by, " %s", in->original + strlen ("SHELL"));
      return 0;
    case DF_ONBUILD:
      if (!json_is_array (json_object_get (b->cur->config, "OnBuild")))
        json_object_set_new (b->cur->config, "OnBuild", json_array ());
      json_array_append_new (json_object_get (b->cur->config, "OnBuild"), json_string (in->trigger_text));
      strbuf_printf (by, " %s", in->trigger_text);
      return 0;
    case DF_MAINTAINER:
      strbuf_printf (by, " %s", in->args[0] ? in->args[0] : "");
      return 0;
    default:
      return capsa_fail_as (err, EINVAL, "%s is not a config instruction", in->keyword);
    }
}

int
build_config_step (struct bctx *b, const struct df_instr *in, char **created_by, capsa_err **err)
{
  struct strbuf by = { 0 };
  strbuf_printf (&by, "/bin/sh -c #(nop)  %s", in->keyword);
  int r = config_change (b, in, &by, err);
  if (r == 0 && created_by)
    *created_by = by.buf;
  else
    free (by.buf);
  return r;
}
