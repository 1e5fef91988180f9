/* capsa — making images from containers and Dockerfiles: `capsa commit` and `capsa build`
 * (src/engine/commit.c, src/engine/build*.c; the Dockerfile parser is src/lib/build).
 *
 * These stand on both the engine (containers run for RUN, a container's changes) and the image
 * store's writing side (layers, configs, manifests): they are in libcapsa_engine_image, linked by
 * capsa-image and capsa-service only, so that `capsa run` stays light.
 *
 * Images made here record their parent in the store's index ("parent": the image id they were
 * made on) and, for build steps, their cache key ("buildcache"): an untagged image that is the
 * parent of another is an intermediate image (shown by `images -a` only, as docker's), and
 * removing an image removes its untagged parents that nothing else uses.
 */
#ifndef CAPSA_BUILD_H
#define CAPSA_BUILD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "capsa/capsa.h"
#include "capsa/engine.h"
#include "capsa/error.h"
#include "capsa/image.h"

/* --- commit: an image from a parent image and a directory of changes ----------------------- */
struct capsa_commit_opts
{
  const char *name;       /* full "registry/repo:tag" to give it, NULL: untagged */
  const char *parent;     /* image id ("sha256:...") it builds on; NULL: none (FROM scratch) */
  json_t *config;         /* its config's "config" object (borrowed: Env, Cmd, Entrypoint...); NULL:
                             the parent's */
  const char *created_by; /* its history entry's created_by ("/bin/sh -c #(nop)  CMD [...]") */
  const char *comment;    /* the history entry's comment, NULL */
  const char *author;     /* the config's author, NULL */
  const char *cache_key;  /* recorded in the index entry as "buildcache"; NULL: none */
};

/* Make an image: the parent's layers, plus the layer of `upper` (an overlayfs upper directory:
 * overlay whiteouts, 0/0 character devices, become `.wh.NAME`, and an opaque directory
 * (trusted.overlay.opaque) gets `.wh..wh..opq`), or no new layer when upper is NULL (the history
 * entry then says empty_layer, as docker's for ENV, CMD...).  The layer blob is the plain tar
 * (digest = diff id), the image an OCI manifest; registered with "parent" and "buildcache".
 * id_out (CAPSA_DIGEST_LEN + 1) gets its id.  Nothing is left but unreferenced blobs (the next
 * gc takes them) on failure. */
CAPSA_PUBLIC int capsa_image_commit (struct capsa_store *s, const char *upper, const struct capsa_commit_opts *o,
                                     char *id_out, capsa_err **err);

/* The image registered with build cache key `key` (its id into id_out): 1 when there is one, 0
 * when not, -1 on error. */
CAPSA_PUBLIC int capsa_image_cache_find (struct capsa_store *s, const char *key, char *id_out, capsa_err **err);

/* `capsa commit CONTAINER [NAME]` (docker commit): the container's changes (its overlay's upper
 * directory) as a new layer on its image, with the container's own config (Env, Cmd, Entrypoint,
 * WorkingDir, User, Labels, ExposedPorts, Volumes: what it was run with, as docker), then the
 * `changes` applied (capsa_config_change: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, USER,
 * VOLUME, WORKDIR, STOPSIGNAL).  pause: a running container is frozen while its layer is made
 * (docker's default).  A container on the vfs driver is refused (no upper directory to read). */
struct capsa_ctr_commit_opts
{
  const char *name; /* full name, NULL: untagged */
  char *const *changes;
  const char *message, *author;
  bool pause;
};
CAPSA_PUBLIC int capsa_ctr_commit (struct capsa_engine *e, struct capsa_store *s, struct ctr *c,
                                   const struct capsa_ctr_commit_opts *o, char *id_out, capsa_err **err);

/* --- build: an image from a Dockerfile and a context --------------------------------------- */
struct capsa_build_opts
{
  /* a directory, or "-": a tar of it (plain, gzip, xz, zstd...) read from context_fd, extracted
   * into the store's tmp/ and removed after (the Docker API's body, `docker build - < ctx.tar`) */
  const char *context;
  int context_fd;
  /* a path ("-": the text is in dockerfile_text; with a tar context, a path inside it); NULL:
   * CONTEXT/Dockerfile, else CONTEXT/Containerfile */
  const char *dockerfile;
  const char *dockerfile_text; /* with dockerfile "-": the Dockerfile itself (NUL-terminated) */
  char *const *tags;           /* full names given to the result */
  char *const *build_args;     /* "K=V" (or "K": from env_lookup) */
  char *const *labels;         /* "K=V", set on the result */
  char *const *secrets;        /* "id=ID,src=PATH" for RUN --mount=type=secret */
  const char *target;          /* the stage to stop at, NULL: the last */
  const char *network;         /* RUN's network: "none", "bridge", "host" (NULL: bridge, as docker) */
  bool no_cache, pull, quiet;
  bool timings; /* each step's time after its result (--progress tty, or a terminal) */
  /* what the build prints: a step line ("STEP 2/5: RUN make"), "--> Using cache", the result,
   * and the output of RUN (which runs with this process's stdout and stderr when out_fd < 0,
   * else with out_fd for both) */
  void (*print) (void *data, const char *text);
  void *print_data;
  int out_fd;
  const char *(*env_lookup) (const char *name); /* for a --build-arg without a value; NULL: none */
  /* Called once, before the first RUN is run (not for a build all from the cache): a front end
   * re-executes from a sealed copy of itself there (capsa/runtime.h), where the build starts
   * again and finds the steps done so far in the cache; step is the RUN's number.  NULL: none. */
  int (*before_run) (void *data, unsigned step, capsa_err **err);
  /* Set (by the front end's signal handler: SIGINT, SIGTERM) to stop the build before its next
   * step; a RUN running then is killed by those signals itself.  NULL: none. */
  const volatile sig_atomic_t *cancel;
};

/* Build: the stages in order up to the target (the others only when a later one uses them),
 * each step cached by its parent, its instruction and the digests of what it copies.  id_out
 * gets the result's id.  A failing step's error names the Dockerfile, its line and instruction
 * (a RUN's: its exit code); its container, mounts and temporary files are removed. */
CAPSA_PUBLIC int capsa_build (struct capsa_engine *e, struct capsa_store *s, const struct capsa_build_opts *o,
                              char *id_out, capsa_err **err);

#endif
