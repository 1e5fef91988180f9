/* libFuzzer harness for the config.json parser: build and run with tests/fuzz/build.sh (see README.md).
 *
 * Besides crashes and sanitizer reports, it aborts when a successful parse breaks an invariant that
 * config.h promises (hooks and linux.seccomp included), when a failure leaves no message or one
 * without the document's name, or when cfg_to_json() of a parsed config does not parse back to the
 * same document (the round trip create's saved config takes).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define NAME "fuzz.json"

static void
check (int ok)
{
  if (!ok)
    abort ();
}

static void
check_process (const struct cfg_process *p)
{
  check (p->args != NULL && p->args[0] != NULL && p->env != NULL);
  check (p->cwd != NULL && p->cwd[0] == '/');
  check (p->user.n_additional_gids == 0 || p->user.additional_gids != NULL);
  for (size_t i = 0; i < p->n_rlimits; i++)
    check (p->rlimits[i].soft <= p->rlimits[i].hard);
}

static void
check_sections (const struct capsa_config *c)
{
  for (int k = 0; k < CFG_HOOK_COUNT; k++)
    for (size_t i = 0; i < c->hooks[k].n; i++)
      check (c->hooks[k].hooks[i].path != NULL && c->hooks[k].hooks[i].path[0] == '/'
             && c->hooks[k].hooks[i].timeout >= 0);
  const struct cfg_resources *r = c->resources;
  for (size_t i = 0; r && i < r->n_devices; i++)
    check (strchr ("acbp", r->devices[i].type) != NULL && r->devices[i].major >= -1 && r->devices[i].minor >= -1);
  for (size_t i = 0; r && i < r->n_unified; i++)
    check (strchr (r->unified[i].key, '/') == NULL && r->unified[i].key[0] != '.');
  for (size_t i = 0; r && i < r->n_hugepages; i++)
    check (strchr (r->hugepages[i].page_size, '/') == NULL);
  check (r == NULL || !r->v[CFG_RES_MEMORY_LIMIT].set || r->v[CFG_RES_MEMORY_LIMIT].i >= -1);
  const struct cfg_seccomp *sc = c->seccomp;
  if (sc == NULL)
    return;
  check (sc->default_action != NULL && sc->architectures != NULL && sc->flags != NULL);
  check (sc->default_errno >= 0 && sc->default_errno <= 4095);
  for (size_t i = 0; i < sc->n_syscalls; i++)
    {
      check (sc->syscalls[i].names != NULL && sc->syscalls[i].action != NULL && sc->syscalls[i].n_args <= 6);
      for (size_t k = 0; k < sc->syscalls[i].n_args; k++)
        check (sc->syscalls[i].args[k].index <= 5);
    }
}

/* parse -> cfg_to_json -> parse -> cfg_to_json: the same document both times. */
static void
check_round_trip (const struct capsa_config *c)
{
  json_t *doc = cfg_to_json (c);
  check (doc != NULL);
  char *s = json_dumps (doc, JSON_COMPACT);
  check (s != NULL);
  struct capsa_config *again = NULL;
  capsa_err *err = NULL;
  check (cfg_parse_string (s, strlen (s), NAME, &again, &err) == 0);
  json_t *doc2 = cfg_to_json (again);
  check (json_equal (doc, doc2));
  json_decref (doc2);
  json_decref (doc);
  free (s);
  cfg_free (again);
}

static void
check_config (const struct capsa_config *c)
{
  check (c->oci_version != NULL && c->root_path != NULL);
  check (c->masked_paths != NULL && c->readonly_paths != NULL);
  check (c->annotations == NULL || json_is_object (c->annotations));
  if (c->process)
    check_process (c->process);
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct cfg_mount *m = &c->mounts[i];
      check (m->destination != NULL && m->destination[0] == '/' && m->options != NULL);
      check (m->data == NULL || m->data[0] != '\0');
    }
  for (size_t i = 0; i < c->n_devices; i++)
    check (c->devices[i].path != NULL && c->devices[i].path[0] == '/');
  for (size_t i = 0; i < c->n_sysctls; i++)
    check (c->sysctls[i].key != NULL && c->sysctls[i].value != NULL);
  for (int t = 0; t < CFG_NS_COUNT; t++)
    check (c->ns[t].path == NULL || (c->ns[t].enabled && c->ns[t].path[0] == '/'));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct capsa_config *c = NULL;
  capsa_err *err = NULL;

  if (cfg_parse_string ((const char *) data, size, NAME, &c, &err) == 0)
    {
      check (c != NULL && err == NULL);
      check_config (c);
      check_sections (c);
      check_round_trip (c);
      cfg_free (c);
      return 0;
    }
  check (c == NULL && err != NULL && err->msg != NULL);
  check (strncmp (err->msg, NAME ": ", strlen (NAME ": ")) == 0);
  capsa_err_free (&err);
  return 0;
}
