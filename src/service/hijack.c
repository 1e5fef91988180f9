/* Docker's hijacked streams: see hijack.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/util.h"
#include "hijack.h"

/* What the client reads at once: with the detach keys held back, a write of it to a pipe or pty
 * that polled writable never blocks (under PIPE_BUF). */
#define HJ_IN_CHUNK 4000

struct hj
{
  struct hj_relay rl;
  hj_start_fn *start;
  hj_done_fn *done;
  void *data;
  void (*free_data) (void *);
  int client;      /* the connection's socket (not ours to close) */
  bool client_in;  /* its input is still read */
  bool sink_ready; /* the sink polled writable */
  bool started, over, finished;
  char *out; /* framed output not yet sent: out[off..len) */
  size_t len, cap, off;
  int stop_fd; /* the service's (svc_stopping): readable once it stops, which ends the relay */
};

void
hj_relay_init (struct hj_relay *rl)
{
  memset (rl, 0, sizeof *rl);
  rl->src[0] = rl->src[1] = rl->sink = -1;
  rl->exit_code = -1;
  capsa_detach_keys_parse (NULL, &rl->keys);
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

void
hj_relay_close (struct hj_relay *rl)
{
  if (rl->sink == rl->src[0] || rl->sink == rl->src[1])
    rl->sink = -1; /* the same fd both ways (a monitor's socket, a pty master) */
  close_fd (&rl->src[0]);
  close_fd (&rl->src[1]);
  close_fd (&rl->sink);
}

static void
out_add (struct hj *h, const void *p, size_t n)
{
  if (h->len + n > h->cap)
    {
      h->cap = (h->len + n) * 2;
      h->out = realloc (h->out, h->cap);
      if (h->out == NULL)
        abort ();
    }
  memcpy (h->out + h->len, p, n);
  h->len += n;
}

/* Output of stream 1 or 2, as the client asked for it: raw with a tty, else framed. */
static void
emit (struct hj *h, int stream, const char *p, size_t n)
{
  if (n == 0 || (stream == 1 && !h->rl.want_out) || (stream == 2 && !h->rl.want_err))
    return;
  if (!h->rl.tty)
    {
      unsigned char hdr[8];
      svc_frame_head (hdr, stream, n);
      out_add (h, hdr, sizeof hdr);
    }
  out_add (h, p, n);
}

/* One packet from a monitor; false when its stream is over. */
static bool
read_monitor (struct hj *h, int fd)
{
  char pkt[ATTACH_MSG_MAX + 1];
  ssize_t n = recv (fd, pkt, sizeof pkt - 1, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    return false;
  pkt[n] = '\0';
  if (pkt[0] == ATTACH_STDOUT || pkt[0] == ATTACH_STDERR)
    emit (h, pkt[0] == ATTACH_STDOUT ? 1 : 2, pkt + 1, (size_t) n - 1);
  else if (pkt[0] == ATTACH_EXIT)
    {
      h->rl.exit_code = atoi (pkt + 1);
      return false;
    }
  return true;
}

/* What source i has; at its end (EOF, a pty's EIO) it is closed. */
static void
read_source (struct hj *h, int i)
{
  int *fd = &h->rl.src[i];
  if (h->rl.kind[i] == HJ_MONITOR)
    {
      if (!read_monitor (h, *fd))
        h->over = true; /* the container's end: the connection closes */
      return;
    }
  char buf[16384];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      if (h->rl.sink == *fd)
        h->rl.sink = -1;
      close_fd (fd);
      return;
    }
  emit (h, h->rl.kind[i] == HJ_STDERR ? 2 : 1, buf, (size_t) n);
}

/* The client's input to the sink, through the detach keys. */
static void
client_input (struct hj *h, const char *in, size_t n)
{
  char out[HJ_IN_CHUNK + CAPSA_DETACH_KEYS_MAX];
  while (n > 0)
    {
      size_t k = n < HJ_IN_CHUNK ? n : HJ_IN_CHUNK, olen = 0;
      if (capsa_detach_filter (&h->rl.keys, (const unsigned char *) in, k, out, &olen))
        h->rl.detached = h->over = true;
      int r = 0;
      if (olen && h->rl.sink >= 0)
        r = h->rl.sink_monitor ? capsa_attach_send_input (h->rl.sink, out, olen)
                               : capsa_write_all (h->rl.sink, out, olen);
      if (r < 0 && !h->rl.sink_monitor)
        close_fd (&h->rl.sink); /* the process closed its stdin */
      if (h->over)
        return;
      in += k;
      n -= k;
    }
}

static void
read_client (struct hj *h)
{
  char buf[HJ_IN_CHUNK];
  ssize_t n = read (h->client, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return;
  if (n <= 0)
    {
      /* the client's half-close: the process's stdin ends (a pipe's), its output still comes */
      h->client_in = false;
      char eof = ATTACH_CLOSE_IN;
      if (h->rl.sink_monitor && h->rl.stdin_once && h->rl.sink >= 0)
        send (h->rl.sink, &eof, 1, MSG_NOSIGNAL);
      else if (!h->rl.sink_monitor && h->rl.sink != h->rl.src[0])
        close_fd (&h->rl.sink);
      return;
    }
  h->sink_ready = false;
  client_input (h, buf, (size_t) n);
}

/* Wait for what comes next and handle it; h->over at the stream's end. */
static void
hj_step (struct hj *h)
{
  struct pollfd p[5] = { { .fd = h->rl.src[0], .events = POLLIN },
                         { .fd = h->rl.src[1], .events = POLLIN },
                         [4] = { .fd = h->stop_fd, .events = POLLIN } };
  bool direct = h->rl.sink < 0 || h->rl.sink_monitor; /* input that never blocks on the sink */
  bool read_in = h->client_in && (direct || h->sink_ready);
  p[2] = (struct pollfd){ .fd = h->client, .events = read_in ? POLLIN : 0 };
  p[3] = (struct pollfd){ .fd = h->client_in && !read_in ? h->rl.sink : -1, .events = POLLOUT };
  if (h->rl.src[0] < 0 && h->rl.src[1] < 0)
    {
      h->over = true;
      return;
    }
  if (poll (p, 5, -1) < 0 || p[4].revents)
    {
      h->over = p[4].revents || errno != EINTR;
      return;
    }
  for (int i = 0; i < 2; i++)
    if (p[i].revents && !h->over)
      read_source (h, i);
  if (p[3].revents & POLLOUT)
    h->sink_ready = true;
  else if (p[3].revents)
    close_fd (&h->rl.sink);
  if (p[2].revents & (POLLIN | POLLRDHUP) && !h->over)
    read_client (h);
  else if (p[2].revents & (POLLHUP | POLLERR))
    h->over = true; /* the client is gone */
}

static bool
hj_begin (struct hj *h)
{
  h->started = true;
  if (h->start && !h->start (h->data, &h->rl))
    h->over = true;
  return !h->over;
}

/* The stream's end: done (before the connection closes), the ends closed, h freed. */
static void
hj_finish (struct hj *h)
{
  if (!h->finished && h->done)
    h->done (h->data, &h->rl);
  h->finished = true;
  hj_relay_close (&h->rl);
  if (h->free_data)
    h->free_data (h->data);
  free (h->out);
  free (h);
}

static void
on_upgrade (void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in, size_t extra_n,
            MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
  struct hj *h = cls;
  (void) conn;
  (void) con_cls;
  fcntl (sock, F_SETFL, fcntl (sock, F_GETFL) & ~O_NONBLOCK);
  h->client = sock;
  if (hj_begin (h) && extra_n)
    client_input (h, extra_in, extra_n);
  while (!h->over)
    {
      hj_step (h);
      if (h->len && capsa_write_all (sock, h->out, h->len) < 0)
        h->over = true;
      h->len = 0;
    }
  hj_finish (h);
  MHD_upgrade_action (urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* Without Upgrade: the stream is the body; MHD asks for it piece by piece. */
static ssize_t
hj_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  struct hj *h = cls;
  (void) pos;
  if (!h->started)
    hj_begin (h);
  while (h->off == h->len && !h->over)
    {
      h->off = h->len = 0;
      hj_step (h);
    }
  if (h->off == h->len)
    {
      if (!h->finished && h->done)
        h->done (h->data, &h->rl);
      h->finished = true;
      return MHD_CONTENT_READER_END_OF_STREAM;
    }
  size_t n = h->len - h->off < max ? h->len - h->off : max;
  memcpy (buf, h->out + h->off, n);
  h->off += n;
  return (ssize_t) n;
}

static void
hj_free (void *cls)
{
  hj_finish (cls);
}

/* docker's content types: a tty's stream is raw, else multiplexed (named so from 1.42 on) */
static const char *
stream_ctype (const struct svc_req *r, bool tty)
{
  return r->api >= 42 && !tty ? "application/vnd.docker.multiplexed-stream" : "application/vnd.docker.raw-stream";
}

static bool
wants_upgrade (struct svc_req *r)
{
  const char *u = MHD_lookup_connection_value (r->conn, MHD_HEADER_KIND, "Upgrade");
  return u && strcasecmp (u, "tcp") == 0;
}

enum MHD_Result
svc_hijack (struct svc_req *r, const struct hj_relay *rl, hj_start_fn *start, hj_done_fn *done, void *data,
            void (*free_data) (void *))
{
  struct hj *h = capsa_xmalloc0 (sizeof *h);
  h->rl = *rl;
  h->stop_fd = r->s->stop_fd;
  h->start = start;
  h->done = done;
  h->data = data;
  h->free_data = free_data;
  h->client_in = true;
  bool up = wants_upgrade (r);
  struct MHD_Response *resp;
  if (up)
    resp = MHD_create_response_for_upgrade (on_upgrade, h);
  else
    {
      const union MHD_ConnectionInfo *ci = MHD_get_connection_info (r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
      h->client = ci ? ci->connect_fd : -1;
      resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 16384, hj_read, h, hj_free);
      if (resp) /* the body ends with the connection: no chunks */
        MHD_set_response_options (resp, MHD_RF_HTTP_1_0_SERVER, MHD_RO_END);
    }
  if (resp == NULL)
    {
      hj_finish (h);
      return MHD_NO;
    }
  MHD_add_response_header (resp, "Content-Type", stream_ctype (r, rl->tty));
  if (up) /* (MHD adds Connection: Upgrade itself) */
    MHD_add_response_header (resp, "Upgrade", "tcp");
  enum MHD_Result ret = svc_reply_response (r, up ? 101 : 200, resp);
  if (up && ret == MHD_NO)
    hj_finish (h); /* not queued: the upgrade never comes (a body response frees h itself) */
  return ret;
}
