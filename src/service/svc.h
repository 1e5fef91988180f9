/* capsa-service: the Docker Engine API (v1.41, docker 20.10's; down to 1.24) on a socket, a front
 * end of the engine (include/capsa/engine.h) as the `capsa` command line is.
 *
 * - One thread per connection (libmicrohttpd's MHD_USE_THREAD_PER_CONNECTION): a handler may
 *   block (wait, logs --follow, attach), and engine calls run side by side, each in its own
 *   thread.  The engine keeps no state between calls but its context (struct capsa_engine,
 *   read-only once set up): what it changes on disk is locked by files (flock), as for concurrent
 *   `capsa` commands.
 * - A request is read whole (its body capped at SVC_BODY_MAX) and handed to the handler of its
 *   route (routes.c); a handler answers once, through the svc_reply_* helpers below, and returns
 *   what they return.  Errors are docker's: {"message": "..."} with its status (svc_reply_err).
 * - Containers keep their own monitors: the service may exit (idle) and start again, and sees
 *   every container in the store.
 */
#ifndef CAPSA_SVC_H
#define CAPSA_SVC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <microhttpd.h>

#include "capsa/engine.h"
#include "capsa/error.h"
#include "reqparse.h"

#define SVC_BODY_MAX (16u << 20) /* a JSON body; larger is 413 */

struct svc
{
  struct capsa_engine eng;
  char **insecure; /* registries reached over plain http */
  const char *authfile;
  atomic_int active;       /* open connections */
  atomic_llong last_ms;    /* when the last connection closed (capsa_monotonic_ms) */
  atomic_llong started_ns; /* for events: when the service started */
  int stop_fd;             /* an eventfd, readable once the service stops (svc_stopping) */
};

struct svc_req
{
  struct svc *s;
  struct MHD_Connection *conn;
  const char *method;
  char *path;                  /* without the /v1.NN prefix, owned */
  int api;                     /* the minor version asked for (41 when none) */
  char *param[SVC_MAX_PARAMS]; /* the {} segments of the route, owned */
  char *body;                  /* owned, NUL-terminated */
  int body_fd;                 /* routes that take a file (load): the body is in this temp file, -1 else */
  int body_errno;              /* writing it failed */
  bool bad_version;
  size_t len;
  bool too_big;
  bool replied;
};

typedef enum MHD_Result svc_handler (struct svc_req *r);

/* routes.c: the handler of method + path, NULL when there is none (params filled). */
svc_handler *svc_route (struct svc_req *r, bool *path_known);
/* Whether the route of method + path takes its body as a file (an image archive: not read into
 * memory, no SVC_BODY_MAX; http.c writes it to r->body_fd, an unnamed temp file). */
bool svc_route_body_file (const char *method, const char *path);

/* http.c: answers.  Each queues one response on r's connection and returns MHD's result. */
enum MHD_Result svc_reply_json (struct svc_req *r, unsigned status, json_t *body /* stolen */);
enum MHD_Result svc_reply_raw (struct svc_req *r, unsigned status, const char *ctype, const char *data, size_t len);
enum MHD_Result svc_reply_empty (struct svc_req *r, unsigned status);
enum MHD_Result svc_reply_err (struct svc_req *r, unsigned status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* An engine failure: its status from the errno (ENOENT 404, EEXIST/EBUSY 409, EINVAL 400, else
 * 500) and its message; *err freed. */
enum MHD_Result svc_reply_capsa_err (struct svc_req *r, capsa_err **err);
/* A response the caller built (headers added), queued and released. */
enum MHD_Result svc_reply_response (struct svc_req *r, unsigned status, struct MHD_Response *resp);

/* A body produced by fn (data, fd) in a thread of its own, writing to fd (a pipe whose other end
 * the response reads, chunked) until it returns; free_data (data) after.  A client that goes
 * away makes fn's writes fail (EPIPE).  headers: NULL, or name, value, ..., NULL. */
typedef void svc_producer (void *data, int fd);
enum MHD_Result svc_reply_pipe (struct svc_req *r, unsigned status, const char *ctype, const char *const *headers,
                                svc_producer *fn, void *data, void (*free_data) (void *));

/* One JSON message (stolen) of a progress stream (pull, push, build), a line on fd; a client gone
 * is not the producer's failure. */
void svc_emit (int fd, json_t *msg);

/* The 8-byte head of a frame of docker's multiplexed stream: the stream (1 stdout, 2 stderr), 3
 * zero bytes, the payload's size in big-endian 32 bits. */
static inline void
svc_frame_head (unsigned char h[8], int stream, size_t n)
{
  h[0] = (unsigned char) stream;
  h[1] = h[2] = h[3] = 0;
  h[4] = (unsigned char) (n >> 24);
  h[5] = (unsigned char) (n >> 16);
  h[6] = (unsigned char) (n >> 8);
  h[7] = (unsigned char) n;
}

/* One piece of a container's output on fd: in a frame of docker's multiplexed stream (stream 1
 * stdout, 2 stderr; an 8-byte head) unless raw (a container with a terminal).  0, or -1. */
int svc_write_frame (int fd, bool raw, int stream, const char *data, size_t len);

/* Whether the service is stopping; svc_sleep_ms: wait ms, false at once when it is (streams that
 * wait (wait, logs -f, stats, events, attach) poll s->stop_fd too, and end, so that a stopping
 * service does not wait for its containers). */
bool svc_stopping (struct svc *s);
bool svc_sleep_ms (struct svc *s, int ms);

/* The query's values: NULL when absent; docker's booleans ("1", "true", "True"; a present empty
 * value is false); an integer (def when absent, -1 with a 400 sent when malformed: the handler
 * returns what svc_query_int_or_reply left in *res). */
const char *svc_query (struct svc_req *r, const char *name);
bool svc_query_bool (struct svc_req *r, const char *name, bool def);
/* Every non-empty value of a repeated parameter (names=a&names=b): owned, NULL when none. */
char **svc_query_list (struct svc_req *r, const char *name);
bool svc_query_int (struct svc_req *r, const char *name, long long def, long long *out, enum MHD_Result *res);
/* The body as JSON: an object (an empty body is {} when empty_ok); false with a 400 sent. */
bool svc_body_json (struct svc_req *r, bool empty_ok, json_t **out, enum MHD_Result *res);
/* The filters query (docker's {"key": ["v", ...]} or the old {"key": {"v": true}}): a new
 * reference, {} when absent; false with a 400 sent when malformed. */
bool svc_filters (struct svc_req *r, json_t **out, enum MHD_Result *res);

/* ?h=ROWS&w=COLS of a resize (attach's and exec's): false with a 400 sent. */
bool svc_query_size (struct svc_req *r, unsigned *rows, unsigned *cols, enum MHD_Result *res);

/* The container named by r->param[0]: docker's 404 "No such container: X" when there is none. */
bool svc_find_ctr (struct svc_req *r, struct ctr **c, enum MHD_Result *res);

/* The image store (api_images.c): opened, or an error sent; an image found by name or id in
 * idx, or docker's 404 "No such image: NAME" sent. */
struct capsa_store;
bool svc_open_store (struct svc_req *r, struct capsa_store **s, enum MHD_Result *res);
bool svc_find_image (struct svc_req *r, json_t *idx, const char *name, json_t **img, enum MHD_Result *res);

/* The handlers (api_*.c), named after docker's operation ids. */
svc_handler api_ping, api_version, api_info, api_not_implemented;
svc_handler api_ctr_start, api_ctr_stop, api_ctr_restart, api_ctr_kill, api_ctr_pause, api_ctr_unpause, api_ctr_wait,
    api_ctr_delete, api_ctr_rename, api_ctr_top, api_ctr_prune, api_ctr_create, api_ctr_archive_get, api_ctr_export,
    api_ctr_list, api_ctr_inspect, api_ctr_logs, api_ctr_stats, api_ctr_update, api_ctr_archive_put, api_ctr_changes;
svc_handler api_ctr_attach, api_ctr_resize, api_exec_create, api_exec_start, api_exec_resize, api_exec_inspect;
svc_handler api_vol_list, api_vol_create, api_vol_inspect, api_vol_delete, api_vol_prune;
svc_handler api_net_list, api_net_inspect, api_net_create, api_net_delete, api_net_connect, api_net_disconnect,
    api_net_prune;
svc_handler api_images, api_image_create, api_image_load, api_auth, api_build;
enum MHD_Result api_image_push (struct svc_req *r, const char *name);
enum MHD_Result api_image_save (struct svc_req *r, const char *name /* NULL: the names query */);
svc_handler api_events, api_system_df, api_commit;

#endif
