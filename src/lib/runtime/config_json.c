/* The typed config written back out as a runtime-spec document: see cfg_to_json() in config.h.
 *
 * Each section mirrors its parser in config.c: what the parser reads, this writes, so that
 * parse -> cfg_to_json -> parse gives the same typed config.  Optional members are written only
 * when the typed config has them (NULL strings, vectors and has_* flags).  Every json_*_new call
 * takes a NULL (out of memory) in its stride: the one check is at the end, in cfg_to_json().
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "config.h"
#include "jsonutil.h"

/* obj[key] = value unless value is NULL (absent). */
static void
set_str (json_t *obj, const char *key, const char *value)
{
  if (value)
    json_object_set_new (obj, key, json_string (value));
}

static void
set_strv (json_t *obj, const char *key, char **v)
{
  if (v)
    json_object_set_new (obj, key, json_strv (v));
}

static json_t *
id_maps_json (const struct cfg_id_map *m, size_t n)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (a, json_pack ("{s:I, s:I, s:I}", "containerID", (json_int_t) m[i].container_id, "hostID",
                                         (json_int_t) m[i].host_id, "size", (json_int_t) m[i].size));
  return a;
}

static void
set_id_maps (json_t *obj, const char *uid_key, const struct cfg_id_map *u, size_t nu, const char *gid_key,
             const struct cfg_id_map *g, size_t ng)
{
  if (nu)
    json_object_set_new (obj, uid_key, id_maps_json (u, nu));
  if (ng)
    json_object_set_new (obj, gid_key, id_maps_json (g, ng));
}

/* ---- process ----------------------------------------------------------------------------- */

static json_t *
user_json (const struct cfg_user *u)
{
  json_t *o = json_pack ("{s:I, s:I}", "uid", (json_int_t) u->uid, "gid", (json_int_t) u->gid);
  if (u->has_umask)
    json_object_set_new (o, "umask", json_integer (u->umask));
  if (u->n_additional_gids)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < u->n_additional_gids; i++)
        json_array_append_new (a, json_integer (u->additional_gids[i]));
      json_object_set_new (o, "additionalGids", a);
    }
  return o;
}

static json_t *
caps_json (const struct cfg_caps *c)
{
  json_t *o = json_object ();
  set_strv (o, "bounding", c->bounding);
  set_strv (o, "effective", c->effective);
  set_strv (o, "inheritable", c->inheritable);
  set_strv (o, "permitted", c->permitted);
  set_strv (o, "ambient", c->ambient);
  return o;
}

/* RLIM_INFINITY as -1 (the parser reads -1 as unlimited; jansson integers are signed). */
static json_int_t
rlimit_value (uint64_t v)
{
  return v == (uint64_t) RLIM_INFINITY ? -1 : (json_int_t) v;
}

static json_t *
rlimits_json (const struct cfg_rlimit *rl, size_t n)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (a, json_pack ("{s:s?, s:I, s:I}", "type", cfg_rlimit_name (rl[i].resource), "soft",
                                         rlimit_value (rl[i].soft), "hard", rlimit_value (rl[i].hard)));
  return a;
}

json_t *
cfg_process_to_json (const struct cfg_process *p)
{
  json_t *o = json_pack ("{s:b, s:o, s:o, s:s, s:o, s:b}", "terminal", p->terminal, "args", json_strv (p->args), "env",
                         json_strv (p->env), "cwd", p->cwd, "user", user_json (&p->user), "noNewPrivileges",
                         p->no_new_privileges);
  if (o == NULL)
    return NULL;
  if (p->console_height || p->console_width)
    json_object_set_new (o, "consoleSize",
                         json_pack ("{s:i, s:i}", "height", (int) p->console_height, "width", (int) p->console_width));
  if (p->has_caps)
    json_object_set_new (o, "capabilities", caps_json (&p->caps));
  if (p->n_rlimits)
    json_object_set_new (o, "rlimits", rlimits_json (p->rlimits, p->n_rlimits));
  if (p->has_oom_score_adj)
    json_object_set_new (o, "oomScoreAdj", json_integer (p->oom_score_adj));
  set_str (o, "apparmorProfile", p->apparmor_profile);
  set_str (o, "selinuxLabel", p->selinux_label);
  return o;
}

/* ---- mounts, hooks ----------------------------------------------------------------------- */

static json_t *
mounts_json (const struct capsa_config *c)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct cfg_mount *m = &c->mounts[i];
      json_t *o = json_pack ("{s:s, s:o}", "destination", m->destination, "options", json_strv (m->options));
      set_str (o, "type", m->type);
      set_str (o, "source", m->source);
      set_id_maps (o, "uidMappings", m->uid_maps, m->n_uid_maps, "gidMappings", m->gid_maps, m->n_gid_maps);
      json_array_append_new (a, o);
    }
  return a;
}

static json_t *
hooks_json (const struct capsa_config *c)
{
  json_t *o = json_object ();
  for (int k = 0; k < CFG_HOOK_COUNT; k++)
    {
      const struct cfg_hook_list *l = &c->hooks[k];
      json_t *a = json_array ();
      for (size_t i = 0; i < l->n; i++)
        {
          json_t *h = json_pack ("{s:s}", "path", l->hooks[i].path);
          set_strv (h, "args", l->hooks[i].args);
          set_strv (h, "env", l->hooks[i].env);
          if (l->hooks[i].timeout > 0)
            json_object_set_new (h, "timeout", json_integer (l->hooks[i].timeout));
          json_array_append_new (a, h);
        }
      if (l->n)
        json_object_set_new (o, cfg_hook_kind_name (k), a);
      else
        json_decref (a);
    }
  return o;
}

/* ---- linux ------------------------------------------------------------------------------- */

static json_t *
seccomp_rule_json (const struct cfg_seccomp_rule *r)
{
  json_t *o = json_pack ("{s:o, s:s}", "names", json_strv (r->names), "action", r->action);
  if (r->has_errno_ret)
    json_object_set_new (o, "errnoRet", json_integer (r->errno_ret));
  if (r->n_args == 0)
    return o;
  json_t *args = json_array ();
  for (size_t i = 0; i < r->n_args; i++)
    {
      const struct cfg_seccomp_arg *a = &r->args[i];
      json_t *j = json_pack ("{s:i, s:I}", "index", (int) a->index, "value", (json_int_t) a->value);
      if (a->has_value_two)
        json_object_set_new (j, "valueTwo", json_integer ((json_int_t) a->value_two));
      set_str (j, "op", a->op);
      json_array_append_new (args, j);
    }
  json_object_set_new (o, "args", args);
  return o;
}

json_t *
cfg_seccomp_to_json (const struct cfg_seccomp *sc)
{
  json_t *o = json_pack ("{s:s, s:o, s:o}", "defaultAction", sc->default_action, "architectures",
                         json_strv (sc->architectures), "flags", json_strv (sc->flags));
  if (o == NULL)
    return NULL;
  if (sc->has_default_errno)
    json_object_set_new (o, "defaultErrnoRet", json_integer (sc->default_errno));
  set_str (o, "listenerPath", sc->listener_path);
  set_str (o, "listenerMetadata", sc->listener_metadata);
  if (sc->n_syscalls)
    {
      json_t *a = json_array ();
      for (size_t i = 0; i < sc->n_syscalls; i++)
        json_array_append_new (a, seccomp_rule_json (&sc->syscalls[i]));
      json_object_set_new (o, "syscalls", a);
    }
  return o;
}

static json_t *
namespaces_json (const struct capsa_config *c)
{
  json_t *a = json_array ();
  for (int t = 0; t < CFG_NS_COUNT; t++)
    if (c->ns[t].enabled)
      {
        json_t *o = json_pack ("{s:s}", "type", cfg_ns_name (t));
        set_str (o, "path", c->ns[t].path);
        json_array_append_new (a, o);
      }
  return a;
}

static void
set_time_offsets (json_t *lx, const struct capsa_config *c)
{
  const struct cfg_time_offset *t[] = { &c->time_monotonic, &c->time_boottime };
  const char *names[] = { "monotonic", "boottime" };
  json_t *o = json_object ();
  for (size_t i = 0; i < 2; i++)
    if (t[i]->set)
      json_object_set_new (
          o, names[i],
          json_pack ("{s:I, s:I}", "secs", (json_int_t) t[i]->secs, "nanosecs", (json_int_t) t[i]->nanosecs));
  if (json_object_size (o))
    json_object_set_new (lx, "timeOffsets", o);
  else
    json_decref (o);
}

static json_t *
devices_json (const struct capsa_config *c)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < c->n_devices; i++)
    {
      const struct cfg_device *d = &c->devices[i];
      char type[2] = { d->type, '\0' };
      json_t *o = json_pack ("{s:s, s:s, s:I, s:I}", "path", d->path, "type", type, "major", (json_int_t) d->major,
                             "minor", (json_int_t) d->minor);
      if (d->has_mode)
        json_object_set_new (o, "fileMode", json_integer (d->mode));
      if (d->has_uid)
        json_object_set_new (o, "uid", json_integer (d->uid));
      if (d->has_gid)
        json_object_set_new (o, "gid", json_integer (d->gid));
      json_array_append_new (a, o);
    }
  return a;
}

static json_t *
linux_json (const struct capsa_config *c)
{
  json_t *lx = json_pack ("{s:o, s:o, s:o}", "namespaces", namespaces_json (c), "maskedPaths",
                          json_strv (c->masked_paths), "readonlyPaths", json_strv (c->readonly_paths));
  if (lx == NULL)
    return NULL;
  set_id_maps (lx, "uidMappings", c->uid_maps, c->n_uid_maps, "gidMappings", c->gid_maps, c->n_gid_maps);
  set_time_offsets (lx, c);
  if (c->n_devices)
    json_object_set_new (lx, "devices", devices_json (c));
  if (c->n_sysctls)
    {
      json_t *o = json_object ();
      for (size_t i = 0; i < c->n_sysctls; i++)
        json_object_set_new (o, c->sysctls[i].key, json_string (c->sysctls[i].value));
      json_object_set_new (lx, "sysctl", o);
    }
  set_str (lx, "cgroupsPath", c->cgroups_path);
  set_str (lx, "rootfsPropagation", cfg_propagation_name (c->rootfs_propagation));
  set_str (lx, "mountLabel", c->mount_label);
  if (c->seccomp)
    json_object_set_new (lx, "seccomp", cfg_seccomp_to_json (c->seccomp));
  if (c->resources)
    json_object_set_new (lx, "resources", cfg_resources_to_json (c->resources));
  return lx;
}

/* ---- the document ------------------------------------------------------------------------ */

json_t *
cfg_to_json (const struct capsa_config *c)
{
  json_t *doc = json_pack ("{s:s, s:{s:s, s:b}, s:o, s:o}", "ociVersion", c->oci_version, "root", "path", c->root_path,
                           "readonly", c->root_readonly, "mounts", mounts_json (c), "linux", linux_json (c));
  if (doc == NULL)
    return NULL;
  set_str (doc, "hostname", c->hostname);
  set_str (doc, "domainname", c->domainname);
  if (c->process)
    json_object_set_new (doc, "process", cfg_process_to_json (c->process));
  json_t *hooks = hooks_json (c);
  if (json_object_size (hooks))
    json_object_set_new (doc, "hooks", hooks);
  else
    json_decref (hooks);
  if (c->annotations)
    json_object_set (doc, "annotations", c->annotations);
  /* (a member that ran out of memory is missing: refuse the whole rather than save half) */
  if (c->process && json_object_get (doc, "process") == NULL)
    {
      json_decref (doc);
      return NULL;
    }
  return doc;
}
