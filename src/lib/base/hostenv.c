/* What the library takes from the process environment: see hostenv.h. */
#include <stddef.h>
#include <stdlib.h>

#include "hostenv.h"
#include "util.h"

static struct capsa_host_env host_env;

static const struct
{
  const char *name;
  size_t offset;
} host_env_vars[] = {
  { "NOTIFY_SOCKET", offsetof (struct capsa_host_env, notify_socket) },
  { "LISTEN_FDS", offsetof (struct capsa_host_env, listen_fds) },
  { "CAPSA_FOREIGN_NET_DIRS", offsetof (struct capsa_host_env, foreign_net_dirs) },
  { "CAPSA_SLIRP4NETNS", offsetof (struct capsa_host_env, slirp4netns) },
  { "PATH", offsetof (struct capsa_host_env, path) },
  { "HOME", offsetof (struct capsa_host_env, home) },
  { "XDG_DATA_HOME", offsetof (struct capsa_host_env, xdg_data_home) },
  { "XDG_CONFIG_HOME", offsetof (struct capsa_host_env, xdg_config_home) },
  { "CAPSA_AUTH_FILE", offsetof (struct capsa_host_env, auth_file) },
  { "DOCKER_CONFIG", offsetof (struct capsa_host_env, docker_config) },
  { "CAPSA_REGISTRIES_CONF", offsetof (struct capsa_host_env, registries_conf) },
  { CAPSA_EXE_ORIGIN_ENV, offsetof (struct capsa_host_env, exe_origin) },
#ifdef CAPSA_FAULT_INJECTION
  { "CAPSA_UNSAFE_EXE_NO_COPY", offsetof (struct capsa_host_env, exe_no_copy) },
#endif
};

static const char **
field (struct capsa_host_env *env, size_t offset)
{
  return (const char **) (void *) ((char *) env + offset);
}

static const char *
value_at (const struct capsa_host_env *env, size_t offset)
{
  return *(const char *const *) (const void *) ((const char *) env + offset);
}

void
capsa_host_env_set (const struct capsa_host_env *env)
{
  struct capsa_host_env copy = { 0 };
  for (size_t i = 0; i < ARRAY_SIZE (host_env_vars); i++)
    {
      const char *v = value_at (env, host_env_vars[i].offset);
      *field (&copy, host_env_vars[i].offset) = v ? xstrdup (v) : NULL;
    }
  /* (exe_no_copy is in the table only in a build with the test hooks: NULL in any other) */
  for (size_t i = 0; i < ARRAY_SIZE (host_env_vars); i++)
    free ((char *) *field (&host_env, host_env_vars[i].offset));
  host_env = copy;
}

void
capsa_host_env_load (char *(*lookup) (const char *name))
{
  struct capsa_host_env env = { 0 };
  for (size_t i = 0; i < ARRAY_SIZE (host_env_vars); i++)
    {
      const char *v = lookup (host_env_vars[i].name); /* (copied at once: lookup may reuse a buffer) */
      *field (&env, host_env_vars[i].offset) = v ? xstrdup (v) : NULL;
    }
  capsa_host_env_set (&env);
  for (size_t i = 0; i < ARRAY_SIZE (host_env_vars); i++)
    free ((char *) *field (&env, host_env_vars[i].offset));
}

const struct capsa_host_env *
capsa_host_env (void)
{
  return &host_env;
}
