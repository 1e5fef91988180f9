/* capsa-service [OPTIONS] [URI]: the Docker Engine API on URI (unix:///PATH or tcp://HOST:PORT),
 * started by `capsa system service` (src/cli/cmd_service.c), which hands it the store and the
 * registries it resolved.  Exits after --time seconds without a connection (0: never). */
#include <errno.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/fault.h"
#include "capsa/hostenv.h"
#include "capsa/image.h"
#include "capsa/options.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "hijack.h"
#include "svc.h"
#include "svc_http.h"
#include "svc_listen.h"

struct svc_opts
{
  const char *root, *default_registry, *authfile, *capsa;
  char **insecure;
  bool debug, tcp_any;
  int idle;
};

static const struct capsa_opt svc_opts_table[] = {
  CAPSA_O_STR (0, "root", struct svc_opts, root, "DIR", "the store (default /var/lib/capsa)"),
  CAPSA_O_STR (0, "default-registry", struct svc_opts, default_registry, "HOST", "registry of short names"),
  CAPSA_O_LIST (0, "insecure-registry", struct svc_opts, insecure, "HOST", "plain http for HOST (repeatable)"),
  CAPSA_O_STR (0, "authfile", struct svc_opts, authfile, "FILE", "registry credentials"),
  CAPSA_O_BOOL (0, "debug", struct svc_opts, debug, "more detail in errors"),
  /* (from `capsa system service`: the capsa that runs the monitors' steps, capsa_engine.monitor_exe) */
  CAPSA_O_STR (0, "capsa", struct svc_opts, capsa, "PATH", NULL, .flags = CAPSA_OPTF_HIDDEN),
  CAPSA_O_INT ('t', "time", struct svc_opts, idle, 0, 1000000, "SECONDS",
               "exit after SECONDS without a connection (default 5; 0: never)"),
  CAPSA_O_BOOL (0, "tcp-any", struct svc_opts, tcp_any,
                "allow tcp:// on an address other than loopback (the API is root\n"
                "on this host: anyone who reaches it owns it)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: capsa system service [OPTIONS] [URI]\n\n"
              "The Docker Engine API (v" SVC_API_VERSION ") on URI: unix:///PATH (default\n"
              "/run/capsa/capsa.sock, $XDG_RUNTIME_DIR/capsa/capsa.sock when not root) or\n"
              "tcp://127.0.0.1:PORT.  docker, docker-compose and the Docker SDKs use it with\n"
              "DOCKER_HOST=URI.  Containers keep their own monitors: they outlive the service.\n\n");
  capsa_opt_help (f, svc_opts_table, 29, 0);
}

static volatile sig_atomic_t stop_asked;

static void
on_signal (int sig)
{
  (void) sig;
  stop_asked = 1;
}

static void
on_connection (void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode code)
{
  struct svc *s = cls;
  (void) conn;
  (void) socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    atomic_fetch_add (&s->active, 1);
  else
    {
      atomic_store (&s->last_ms, capsa_monotonic_ms ());
      atomic_fetch_sub (&s->active, 1);
    }
}

static struct MHD_Daemon *
start_daemon (struct svc *s, int fd)
{
  /* (libmicrohttpd's own messages, a client that went away mid-stream, only with --debug) */
  unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_UPGRADE
                   | MHD_USE_ITC | (s->eng.debug ? MHD_USE_ERROR_LOG : 0);
  return MHD_start_daemon (flags, 0, NULL, NULL, svc_access, s, MHD_OPTION_LISTEN_SOCKET, fd,
                           MHD_OPTION_NOTIFY_COMPLETED, svc_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection,
                           s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) (256 * 1024), MHD_OPTION_END);
}

/* Serve until a signal, or idle seconds without a connection. */
static void
serve (struct svc *s, int idle)
{
  struct sigaction sa = { .sa_handler = on_signal };
  sigaction (SIGINT, &sa, NULL);
  sigaction (SIGTERM, &sa, NULL);
  signal (SIGPIPE, SIG_IGN);
  atomic_store (&s->last_ms, capsa_monotonic_ms ());
  while (!stop_asked)
    {
      struct timespec ts = { 0, 100 * 1000 * 1000 };
      nanosleep (&ts, NULL);
      if (idle > 0 && atomic_load (&s->active) == 0
          && capsa_monotonic_ms () - atomic_load (&s->last_ms) >= (long long) idle * 1000)
        break;
    }
}

static int
init_engine (struct svc *s, const struct svc_opts *o, capsa_err **err)
{
  s->eng.root = o->root ?: capsa_store_default_root ();
  s->eng.debug = o->debug;
  s->eng.libexec_path = capsa_libexec_path;
  s->eng.monitor_exe = o->capsa;
  s->eng.xdg_runtime_dir = getenv ("XDG_RUNTIME_DIR");
  s->eng.share_dir = getenv ("CAPSA_SHARE_DIR");
  s->eng.log_max_size = getenv ("CAPSA_LOG_MAX_SIZE");
  s->eng.rootless_ctx = getenv (CAPSA_ENGINE_ROOTLESS_ENV);
  s->eng.default_registry = capsa_xstrdup (o->default_registry ?: "docker.io");
  s->insecure = o->insecure;
  s->authfile = o->authfile;
  atomic_store (&s->started_ns, (long long) time (NULL) * 1000000000LL);
  s->stop_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->stop_fd < 0)
    return capsa_fail (err, errno, "eventfd");
  /* rootless: join the user's namespace while this process has one thread */
  return capsa_engine_rootless_enter (&s->eng, err);
}

/* `capsa-service --root R __monitor ...`: the monitor of a container this service started runs
 * its steps with the program that started it */
static int
monitor_step (struct svc *s, const struct svc_opts *o, int argc, char **argv)
{
  cleanup_err capsa_err *err = NULL;
  if (init_engine (s, o, &err) < 0)
    {
      fprintf (stderr, "capsa-service __monitor: %s\n", err->msg);
      return 125;
    }
  int r = capsa_ctr_monitor_main (&s->eng, argc, argv);
  if (r < 0)
    fprintf (stderr, "capsa-service __monitor: for capsa-monitor only\n");
  return r < 0 ? 125 : r;
}

int
main (int argc, char **argv)
{
  struct svc_opts o = { .idle = 5 };
  static struct svc s;
  cleanup_err capsa_err *err = NULL;

  capsa_host_env_load (getenv);
  /* exec puts processes into containers from this program (api_exec.c): run from a sealed copy
   * of it (capsa/runtime.h), made while this process has one thread */
  if (capsa_exe_sealed_reexec (argv, &err) < 0)
    {
      fprintf (stderr, "capsa system service: %s\n", err->msg);
      return 125;
    }
  capsa_fault_setup (getenv ("CAPSA_FAULT"), getenv ("CAPSA_FAULT_STOP"));
  int first = capsa_opt_parse (svc_opts_table, CAPSA_OPT_STOP, argc, argv, &o, &err);
  if (first == CAPSA_OPT_HELP_ASKED)
    return usage (stdout), 0;
  if (first >= 0 && first < argc && strcmp (argv[first], "__monitor") == 0)
    return monitor_step (&s, &o, argc - first, argv + first);
  if (first < 0 || argc - first > 1)
    {
      fprintf (stderr, "capsa system service: %s\n", err ? err->msg : "at most one URI");
      usage (stderr);
      return 125;
    }
  struct svc_listen l = { .fd = -1 };
  if (init_engine (&s, &o, &err) < 0 || svc_listen (&s.eng, first < argc ? argv[first] : NULL, o.tcp_any, &l, &err) < 0)
    {
      fprintf (stderr, "capsa system service: %s\n", err->msg);
      return 125;
    }
  if (l.warning)
    fprintf (stderr, "capsa system service: WARNING: %s\n", l.warning);
  struct MHD_Daemon *d = start_daemon (&s, l.fd);
  if (d == NULL)
    {
      fprintf (stderr, "capsa system service: cannot start the HTTP server on %s\n", l.uri);
      svc_listen_close (&l);
      return 125;
    }
  if (o.debug)
    fprintf (stderr, "capsa system service: listening on %s\n", l.uri);
  serve (&s, o.idle);
  eventfd_write (s.stop_fd, 1); /* the streams that wait end (svc_stopping), attach and exec too */
  MHD_stop_daemon (d);          /* (closes the listening socket) */
  l.fd = -1;
  svc_listen_close (&l);
  return 0;
}
