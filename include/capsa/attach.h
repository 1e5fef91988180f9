/* The attach socket: how `capsa attach` / `capsa start -a` talk to a container's monitor.
 *
 * The monitor listens on ROOT/containers/ID/attach.sock (AF_UNIX, SOCK_SEQPACKET) while the
 * container runs.  Its path is often longer than sun_path allows, so both ends reach it through
 * a directory fd: "/proc/self/fd/N/attach.sock" (as conmon does).  Every message is one packet,
 * at most ATTACH_MSG_MAX bytes: a type byte, then its payload.
 *
 *   client -> monitor   ATTACH_IN      bytes for the container's stdin (kept when it has -i)
 *                       ATTACH_RESIZE  "ROWS COLS" in decimal: the terminal's size (with -t)
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

#define ATTACH_SOCKET "attach.sock"
#define ATTACH_MSG_MAX 8192

enum
{
  ATTACH_IN = 'i',
  ATTACH_RESIZE = 'w',
  ATTACH_STDOUT = '1',
  ATTACH_STDERR = '2',
  ATTACH_EXIT = 'x',
  ATTACH_HOLD = 'h',
  ATTACH_RELEASE = 'r',
};

#endif
