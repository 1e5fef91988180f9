/* The attach socket: how `capsa attach` / `capsa start -a` talk to a container's monitor.
 *
 * The monitor listens on ROOT/containers/ID/attach.sock (AF_UNIX, SOCK_SEQPACKET) while the
 * container runs.  Its path is often longer than sun_path allows, so both ends reach it through
 * a directory fd: "/proc/self/fd/N/attach.sock" (as conmon does).  Every message is one packet,
 * at most ATTACH_MSG_MAX bytes: a type byte, then its payload.
 *
 *   client -> monitor   ATTACH_IN      bytes for the container's stdin (kept when it has -i)
 *                       ATTACH_RESIZE  "ROWS COLS" in decimal: the terminal's size (with -t)
 *                       ATTACH_CLOSE_IN (no payload) the client's input has ended: the
 *                                      container's stdin pipe is closed (docker's StdinOnce;
 *                                      without -t)
 *                       ATTACH_HOLD    a network's name, with the sockets (SCM_RIGHTS) that
 *                                      reserve the host ports `network connect -p` published on
 *                                      it: held until ATTACH_RELEASE or the container's end
 *                       ATTACH_RELEASE a network's name (`network disconnect`): those go
 *   monitor -> client   ATTACH_STDOUT  output (a -t container's is all ATTACH_STDOUT)
 *                       ATTACH_STDERR  output on stderr
 *                       ATTACH_EXIT    the exit code in decimal; the monitor closes right after
 *                       ATTACH_HOLD, ATTACH_RELEASE  (no payload) done: the answer to that request
 *
 * Output goes to every client connected at the time; a client that does not keep up (its socket
 * buffer is full) misses packets rather than blocking the container.  The log file has it all.
 */
#ifndef CAPSA_ATTACH_H
#define CAPSA_ATTACH_H

#include <stdbool.h>
#include <stddef.h>

#include "capsa.h"

#define ATTACH_SOCKET "attach.sock"
#define ATTACH_MSG_MAX 8192

enum
{
  ATTACH_IN = 'i',
  ATTACH_RESIZE = 'w',
  ATTACH_CLOSE_IN = 'e',
  ATTACH_STDOUT = '1',
  ATTACH_STDERR = '2',
  ATTACH_EXIT = 'x',
  ATTACH_HOLD = 'h',
  ATTACH_RELEASE = 'r',
};

/* A client's messages: input (in packets of at most ATTACH_MSG_MAX), the terminal's size.  0, or
 * -1 with errno (the monitor gone). */
CAPSA_PUBLIC int capsa_attach_send_input (int sock, const char *buf, size_t len);
CAPSA_PUBLIC int capsa_attach_send_resize (int sock, unsigned rows, unsigned cols);

/* The detach keys of an attached client (docker's --detach-keys, DetachKeys of attach and exec):
 * caught in the client's input, never passed to the container; the container keeps running.
 * `capsa attach`, `run -it` and the Docker API's attach and exec streams use the same filter. */
#define CAPSA_DETACH_KEYS_DEFAULT "ctrl-p,ctrl-q"
#define CAPSA_DETACH_KEYS_MAX 16

struct capsa_detacher
{
  unsigned char keys[CAPSA_DETACH_KEYS_MAX];
  int n;       /* keys in the sequence (0: none) */
  int matched; /* held back: the first `matched` keys were typed last */
};

/* Parse s (NULL: the default; "": none): comma-separated "ctrl-X" (X a letter or one of @[\]^_)
 * or single characters.  0, or -1 when invalid (no capsa_err: the caller words the message). */
CAPSA_PUBLIC int capsa_detach_keys_parse (const char *s, struct capsa_detacher *d);

/* Pass input through the detach keys into out (room for len + CAPSA_DETACH_KEYS_MAX); true when
 * the whole sequence was typed (*outlen: what came before it).  A partial match is held until the
 * next byte decides. */
CAPSA_PUBLIC bool capsa_detach_filter (struct capsa_detacher *d, const unsigned char *in, size_t len, char *out,
                                       size_t *outlen);

#endif
