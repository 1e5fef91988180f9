/* File descriptors passed over AF_UNIX sockets (SCM_RIGHTS), one message each way.  libc only:
 * the monitor (src/monitor) links it too. */
#ifndef CAPSA_FDPASS_H
#define CAPSA_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

/* The most fds one message carries here (the kernel's SCM_MAX_FD is 253). */
#define FDPASS_MAX 250

/* Send buf[0..len) with the n fds (n <= FDPASS_MAX; 0: none).  Returns 0, or -1 with errno. */
int fdpass_send (int sock, const void *buf, size_t len, const int *fds, size_t n);
/* Receive one message into buf (at most len bytes) and the fds it carries, close-on-exec, into
 * fds[0..*n) (room for FDPASS_MAX); flags as recvmsg's (MSG_DONTWAIT).  Returns what recvmsg
 * returns: the message's length, 0 at EOF, -1 with errno. */
ssize_t fdpass_recv (int sock, void *buf, size_t len, int flags, int *fds, size_t *n);

#endif
