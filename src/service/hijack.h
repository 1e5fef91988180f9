/* Docker's hijacked streams (attach, exec start): the HTTP connection becomes a raw,
 * bidirectional stream between the client and a container's process.
 *
 * - With `Upgrade: tcp` (docker 20.10's CLI, the SDKs) the answer is 101 Switching Protocols and
 *   the socket is handed over (MHD's upgrade, in the connection's own thread); without it,
 *   docker's old behaviour: 200 and the stream as the body of a response that closes the
 *   connection (its input read from the connection's socket).
 * - Output is the container's stdout and stderr: raw with a tty, else docker's multiplexed frames
 *   (an 8-byte header: the stream, 1 or 2, three zero bytes, the payload's size as a big-endian
 *   uint32).  Input goes, through the detach keys, to the process's stdin (the monitor's
 *   ATTACH_IN, or a pipe or pty); the client's end of input (half-close) closes only that way
 *   (an exec's stdin pipe; a container's with StdinOnce, ATTACH_CLOSE_IN), output keeps coming.
 * - The stream ends with the process (the monitor's ATTACH_EXIT; an exec's outputs closed), the
 *   detach keys, or the client gone.  Then `done` runs, still before the connection is closed
 *   (an exec records its exit code there: the docker CLI inspects it once the stream ends).
 */
#ifndef CAPSA_SVC_HIJACK_H
#define CAPSA_SVC_HIJACK_H

#include "capsa/attach.h"
#include "svc.h"

enum hj_kind
{
  HJ_NONE,
  HJ_MONITOR, /* a monitor's attach socket: packets (capsa/attach.h) */
  HJ_STDOUT,  /* a pipe or pty master: bytes of stdout */
  HJ_STDERR,  /* a pipe: bytes of stderr */
};

/* The two ends of a stream.  The fds are owned by the relay (closed by hj_relay_close). */
struct hj_relay
{
  int src[2]; /* where output comes from (-1: none, or closed) */
  enum hj_kind kind[2];
  int sink;          /* where the client's input goes (-1: dropped) */
  bool sink_monitor; /* sink is a monitor's socket: input as ATTACH_IN packets */
  bool stdin_once;   /* the client's end of input closes the container's (ATTACH_CLOSE_IN) */
  bool tty;          /* output raw, else multiplexed frames */
  bool want_out, want_err;
  struct capsa_detacher keys;
  int exit_code; /* what the monitor's ATTACH_EXIT said; -1 */
  bool detached; /* the detach keys were typed */
};

/* An empty relay (every fd -1, nothing wanted, the default detach keys). */
void hj_relay_init (struct hj_relay *rl);
void hj_relay_close (struct hj_relay *rl);

/* Called in the connection's thread once the client has the answer: open the relay's ends (an
 * exec's process starts here); false ends the stream at once.  Then, after the stream: done.
 * Both may be NULL. */
typedef bool hj_start_fn (void *data, struct hj_relay *rl);
typedef void hj_done_fn (void *data, struct hj_relay *rl);

/* Answer r with a hijacked stream over rl (copied: its fds are the stream's from now on, closed
 * at its end), start and done called with data, then free_data (may be NULL). */
enum MHD_Result svc_hijack (struct svc_req *r, const struct hj_relay *rl, hj_start_fn *start, hj_done_fn *done,
                            void *data, void (*free_data) (void *));

#endif
