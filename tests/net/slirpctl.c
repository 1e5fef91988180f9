/* slirpctl: a test driver for capsa's slirp4netns module (src/lib/net/slirp.c), the way an unprivileged
 * user's capsa would use it, for tests/integration/test_slirp.py:
 *
 *   slirpctl NETNS STATEDIR [--publish SPEC]... [--allow-host-loopback] [--userns PATH]
 *
 * starts slirp4netns for the network namespace NETNS, publishes the ports, prints "ready" and
 * holds it until its stdin closes, then stops it.  Exit 1 with "slirpctl: MESSAGE" on failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostenv.h"
#include "slirp.h"
#include "util.h"

static int
fail (capsa_err **err)
{
  fprintf (stderr, "slirpctl: %s\n", (*err)->msg);
  capsa_err_free (err);
  return 1;
}

int
main (int argc, char **argv)
{
  capsa_err *err = NULL;
  capsa_host_env_load (getenv);
  if (argc < 3)
    {
      fprintf (stderr, "usage: slirpctl NETNS STATEDIR [--publish SPEC]... [--allow-host-loopback] [--userns PATH]\n");
      return 2;
    }
  struct capsa_slirp_opts o = { .netns_path = argv[1], .state_dir = argv[2] };
  struct capsa_port ports[16];
  size_t n = 0;
  for (int i = 3; i < argc; i++)
    if (strcmp (argv[i], "--publish") == 0 && i + 1 < argc && n < 16)
      {
        if (capsa_port_parse (argv[++i], &ports[n++], &err) < 0)
          return fail (&err);
      }
    else if (strcmp (argv[i], "--allow-host-loopback") == 0)
      o.allow_host_loopback = true;
    else if (strcmp (argv[i], "--userns") == 0 && i + 1 < argc)
      o.userns_path = argv[++i];
    else
      {
        fprintf (stderr, "slirpctl: unknown argument `%s`\n", argv[i]);
        return 2;
      }
  struct capsa_slirp s;
  if (capsa_slirp_start (&o, &s, &err) < 0)
    return fail (&err);
  for (size_t i = 0; i < n; i++)
    if (capsa_slirp_add_hostfwd (o.state_dir, &ports[i], &err) < 0)
      {
        capsa_slirp_stop (&s, o.state_dir);
        return fail (&err);
      }
  printf ("ready %d\n", (int) s.pid);
  fflush (stdout);
  char buf[64];
  while (read (0, buf, sizeof buf) > 0)
    ;
  capsa_slirp_stop (&s, o.state_dir);
  return 0;
}
