/* capsa attach [--detach-keys KEYS] [--no-stdin] CONTAINER: connect this terminal to a detached
 * container through its monitor's attach socket (capsa/attach.h).
 *
 * Output is streamed as it comes (stdout and stderr apart, a -t container's all on stdout); input
 * goes to the container when it was made with -i; with -t this terminal is put in raw mode and
 * its size follows (SIGWINCH).  The detach keys (ctrl-p ctrl-q unless told otherwise) leave the
 * container running; they are caught here, in the client, and never reach the container.  When
 * the container exits, attach exits with its code. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "capsa/attach.h"
#include "capsa/engine.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"

static void
send_size (int sock, int tty)
{
  struct winsize ws;
  if (tty < 0 || ioctl (tty, TIOCGWINSZ, &ws) < 0 || ws.ws_row == 0)
    return;
  capsa_attach_send_resize (sock, ws.ws_row, ws.ws_col);
}

/* One packet from the monitor; false when the stream is over (*code set when it said so). */
static bool
attach_output (int sock, int *code)
{
  char pkt[ATTACH_MSG_MAX + 1];
  ssize_t n = recv (sock, pkt, sizeof pkt - 1, 0);
  if (n < 0 && errno == EINTR)
    return true;
  if (n <= 0)
    return false;
  pkt[n] = '\0';
  switch (pkt[0])
    {
    case ATTACH_STDOUT:
      return capsa_write_all (1, pkt + 1, (size_t) n - 1), true;
    case ATTACH_STDERR:
      return capsa_write_all (2, pkt + 1, (size_t) n - 1), true;
    case ATTACH_EXIT:
      *code = atoi (pkt + 1);
      return false;
    default:
      return true;
    }
}

/* What a non-tty attach passes on to the container (docker's --sig-proxy; with a tty the terminal
 * makes them keys). */
static const int proxied[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM };

/* SIGWINCH, and with sig_proxy the proxied signals, blocked and read from the signalfd returned;
 * *old is the mask to restore. */
static int
attach_signalfd (bool sig_proxy, sigset_t *old)
{
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGWINCH);
  for (size_t i = 0; sig_proxy && i < ARRAY_SIZE (proxied); i++)
    sigaddset (&mask, proxied[i]);
  sigprocmask (SIG_BLOCK, &mask, old);
  return signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* The signals that came: each but SIGWINCH goes to the container; with a tty, its size is sent. */
static void
attach_signals (struct ctr *c, int sigfd, int sock, bool tty, int term)
{
  struct signalfd_siginfo si;
  while (read (sigfd, &si, sizeof si) == sizeof si)
    if (si.ssi_signo != SIGWINCH)
      {
        cleanup_err capsa_err *ke = NULL;
        capsa_container_kill (c->oci_root, c->id, (int) si.ssi_signo, false, &ke);
      }
  if (tty)
    send_size (sock, term);
}

/* What stdin has, through the detach keys, to the container; true when the keys were typed.
 * *in_open goes false at the end of the input. */
static bool
attach_input (struct capsa_detacher *d, int sock, bool *in_open)
{
  unsigned char buf[4096];
  char out[sizeof buf + CAPSA_DETACH_KEYS_MAX];
  size_t olen;
  ssize_t n = read (0, buf, sizeof buf);
  if (n < 0 && errno == EINTR)
    return false;
  if (n <= 0)
    {
      *in_open = false; /* the container's stdin stays open, as docker's does */
      return false;
    }
  bool detached = capsa_detach_filter (d, buf, (size_t) n, out, &olen);
  if (olen)
    capsa_attach_send_input (sock, out, olen);
  return detached;
}

int
ctr_attach_stream (struct cli_global *g, struct ctr *c, int fd, bool forward_stdin, bool sig_proxy,
                   const char *detach_keys, capsa_err **err)
{
  cleanup_close int sock = fd;
  struct capsa_detacher d;
  json_t *cfg = json_object_get (c->meta, "Config");
  bool tty = json_is_true (json_object_get (cfg, "Tty"));
  forward_stdin = forward_stdin && json_is_true (json_object_get (cfg, "OpenStdin"));
  if (capsa_detach_keys_parse (detach_keys, &d) < 0)
    return capsa_fail_as (err, EINVAL, "--detach-keys `%s`: give ctrl-X or single characters, comma-separated",
                          detach_keys);
  int term = isatty (0) ? 0 : isatty (1) ? 1 : -1;
  struct capsa_term_saved saved = { 0 };
  if (tty && forward_stdin && term == 0)
    capsa_term_make_raw (0, &saved);
  sigset_t old;
  cleanup_close int sigfd = attach_signalfd (sig_proxy && !tty, &old);
  if (tty)
    send_size (sock, term);
  int code = -1;
  bool detached = false, in_open = forward_stdin;
  for (;;)
    {
      struct pollfd p[3] = { { sock, POLLIN, 0 }, { in_open ? 0 : -1, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
      if (poll (p, 3, -1) < 0 && errno != EINTR)
        break;
      if (p[0].revents && !attach_output (sock, &code))
        break;
      if (p[2].revents & POLLIN)
        attach_signals (c, sigfd, sock, tty, term);
      if (p[1].revents)
        detached = attach_input (&d, sock, &in_open);
      if (detached)
        break;
    }
  capsa_term_restore (0, &saved);
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (detached)
    {
      fprintf (stderr, "%sread escape sequence\n", saved.saved ? "\r\n" : "");
      return 0;
    }
  if (code < 0)
    {
      /* the monitor went without a word (killed?): what the records say */
      capsa_ctr_wait_exited (&g->eng, c, 5000);
      code = c->exit_code >= 0 ? c->exit_code : CLI_EXIT_ERROR;
    }
  return code;
}

struct attach_flags
{
  const char *keys;
  bool no_stdin, sig_proxy;
};

/* --sig-proxy takes its value as a word of its own (`--sig-proxy false`) */
static int
set_sig_proxy (void *base, const char *v, capsa_err **err)
{
  struct attach_flags *f = base;
  if (strcmp (v, "true") != 0 && strcmp (v, "false") != 0)
    return capsa_fail_as (err, EINVAL, "--sig-proxy: expected true or false, not `%s`", v);
  f->sig_proxy = strcmp (v, "true") == 0;
  return 0;
}

static const struct capsa_opt attach_opts[] = {
  CAPSA_O_STR (0, "detach-keys", struct attach_flags, keys, "KEYS",
               "the sequence that detaches (default ctrl-p,ctrl-q; \"\": none)"),
  CAPSA_O_BOOL (0, "no-stdin", struct attach_flags, no_stdin, "do not send input"),
  CAPSA_O_CALL (0, "sig-proxy", set_sig_proxy, "BOOL",
                "pass the signals this command gets (INT, TERM, HUP, QUIT, USR1,\n"
                "USR2, ALRM) on to the container (default true; without -t)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_attach = {
  "attach",
  "[OPTIONS] CONTAINER",
  "Connect to a detached container's output, and its input when it has -i (`run -dit`).\n"
  "Exits with the container's code when it stops; the detach keys leave it running.",
  attach_opts,
  CAPSA_OPT_STOP,
  NULL
};

int
cmd_attach (struct cli_global *g, int argc, char **argv)
{
  struct attach_flags f = { .sig_proxy = true };
  int first = cli_parse (&cli_spec_attach, argc, argv, &f);
  if (first <= 0)
    return -first;
  const char *keys = f.keys;
  bool no_stdin = f.no_stdin, sig_proxy = f.sig_proxy;
  if (first + 1 != argc)
    return cli_usage ("attach", "requires exactly 1 argument (CONTAINER)");
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int fd;
  if (capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0)
    return cli_fail (&err);
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    {
      capsa_fail_as (&err, EINVAL, "cannot attach to container %s: it is %s (start it with `capsa start -a %s`)",
                     capsa_ctr_name (c), capsa_ctr_status_name (c->status), capsa_ctr_name (c));
      return cli_fail (&err);
    }
  if (capsa_ctr_attach_connect (c, &fd, &err) < 0)
    return cli_fail (&err);
  capsa_ctr_event (&g->eng, c, "attach", NULL, NULL);
  int code = ctr_attach_stream (g, c, fd, !no_stdin, sig_proxy, keys, &err);
  return code < 0 ? cli_fail (&err) : code;
}
