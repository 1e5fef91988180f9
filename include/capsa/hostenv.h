/* What the library takes from the process environment: given by the front ends.
 *
 * The library never reads the environment (scripts/check-tree.sh fails on a getenv in src/lib):
 * a front end (src/cli, src/oci) calls capsa_host_env_load (getenv) once at start-up, before any
 * other library call, or builds a struct capsa_host_env from a configuration of its own and
 * passes it to capsa_host_env_set.  Each field is the variable's value, NULL when it is unset
 * (the library tells unset from empty as it always did).  Without either call every field is
 * NULL: an empty environment.
 *
 * Why one process-wide struct, set once, and not parameters of the calls that use it:
 * - These are the host process's own surroundings, not a request's: the service manager's
 *   NOTIFY_SOCKET and LISTEN_FDS handed on to a container, where slirp4netns and the user's
 *   files (HOME, XDG_*, credentials) are, the sealed copy's origin.  They are the same for
 *   every call a process makes, and a Docker API service serving many clients has one set of
 *   them too.  What does differ per caller (the store root, the registry, rootless) travels in
 *   the call's own context: struct capsa_engine, the options structs.
 * - They are read deep down, where many paths meet (spawn, the sealed-exe check of every
 *   create, run and exec, the store's and registries' defaults, network attach): a parameter
 *   would run through dozens of functions whose callers can pass nothing but the same value.
 * - Set once keeps it safe without locks: capsa_host_env_set copies, and readers take no lock;
 *   so it must run before any other library call and before the process starts a thread, and
 *   never again after.  It also keeps the library testable: a unit test sets the struct it
 *   wants instead of editing its own environment. */
#ifndef CAPSA_HOSTENV_H
#define CAPSA_HOSTENV_H

#include "capsa/capsa.h"

/* the host path of the program a sealed copy was made from, set for the copy (selfexe.c) */
#define CAPSA_EXE_ORIGIN_ENV "_CAPSA_EXE_PATH"

struct capsa_host_env
{
  const char *notify_socket;    /* NOTIFY_SOCKET: relay the container's READY=1 there (notify.h) */
  const char *listen_fds;       /* LISTEN_FDS: socket activation, passed on to the container */
  const char *foreign_net_dirs; /* CAPSA_FOREIGN_NET_DIRS: other tools' network configs (ipam.h) */
  const char *slirp4netns;      /* CAPSA_SLIRP4NETNS: the slirp4netns binary */
  const char *path;             /* PATH: where slirp4netns is looked for */
  const char *home;             /* HOME */
  const char *xdg_data_home;    /* XDG_DATA_HOME: a rootless store's parent */
  const char *xdg_config_home;  /* XDG_CONFIG_HOME: registries.json and auth.json's parent */
  const char *auth_file;        /* CAPSA_AUTH_FILE: the credentials file */
  const char *docker_config;    /* DOCKER_CONFIG: docker's credentials directory */
  const char *registries_conf;  /* CAPSA_REGISTRIES_CONF: the registries file */
  const char *exe_origin;       /* CAPSA_EXE_ORIGIN_ENV, in a sealed copy (selfexe.h) */
  const char *exe_no_copy;      /* CAPSA_UNSAFE_EXE_NO_COPY: read only by a build with the test
                                   hooks (-Dfault_injection=true), NULL in any other */
};

/* Copies *env (and its strings). */
CAPSA_PUBLIC void capsa_host_env_set (const struct capsa_host_env *env);
/* Fills every field with lookup (the variable's name) and sets that: the front end's environment. */
CAPSA_PUBLIC void capsa_host_env_load (char *(*lookup) (const char *name));
/* The settings in force (never NULL). */
const struct capsa_host_env *capsa_host_env (void);

#endif
