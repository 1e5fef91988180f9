/* capsa build's executor (include/capsa/build.h): what the build*.c files share.
 *
 *   build.c         the Dockerfile and its context, the stages, the step loop, the cache keys
 *   build_config.c  the instructions that only change the image's config (ENV, CMD, LABEL...)
 *   build_run.c     RUN: a container of the step's parent image, run by the engine
 *   build_copy.c    COPY and ADD: the sources' digest, and the copy into a root of the parent
 *
 * Every step makes an image (registered, untagged, its parent recorded): the step's result and
 * the cache of the next build, as docker's classic builder does. */
#ifndef CAPSA_ENGINE_BUILD_H
#define CAPSA_ENGINE_BUILD_H

#include <stdbool.h>

#include <jansson.h>

#include "capsa/build.h"
#include "dockerfile.h"

struct bstage
{
  char *name;                       /* FROM ... AS name (lower case), NULL */
  char image[CAPSA_DIGEST_LEN + 1]; /* the last step's image, "" while nothing (FROM scratch) */
  json_t *config;                   /* the image config's "config" as the steps change it */
  json_t *args;                     /* {NAME: value} of the ARGs declared in this stage */
  bool built;
  bool cmd_set;       /* a CMD of this stage (an ENTRYPOINT then keeps it) */
  size_t first, last; /* its instructions: FROM is instrs[first] */
};

struct bctx
{
  struct capsa_engine *e;
  struct capsa_store *s;
  const struct capsa_build_opts *o;
  struct dockerfile df;
  int ctxfd;     /* the context directory, O_PATH */
  char *ctx_tmp; /* a tar context's directory (removed at the end), NULL */
  struct df_ignore *ig;
  json_t *global_args; /* ARGs before the first FROM: {NAME: value} */
  json_t *build_args;  /* --build-arg: {NAME: value} */
  json_t *used_args;   /* the --build-arg names some ARG declared (the others are warned about) */
  struct bstage *stages;
  size_t nstages;
  unsigned step, nsteps;
  bool ran; /* o->before_run was called */
  struct bstage *cur;
  const struct df_instr *in; /* the step being run */
};

/* Print through o->print (nothing with -q but what must be said). */
void build_say (struct bctx *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
/* An error of the step being run: "Dockerfile:LINE: INSTRUCTION: ..." around *err. */
int build_step_fail (struct bctx *b, capsa_err **err);

/* The value of a variable at this point of the stage: ENV first, then the stage's ARGs. */
const char *build_lookup (void *data, const char *name);
/* Expand a raw word of the step (df_expand_word with the stage's variables). */
int build_expand (struct bctx *b, const char *word, char **out, capsa_err **err);

/* ARG words into args (a stage's or the global ones). */
int build_declare_args (struct bctx *b, const struct df_instr *in, json_t *args, capsa_err **err);

/* build_config.c: apply a config-only instruction to b->cur->config; *created_by (may be NULL)
 * gets docker's history text ("/bin/sh -c #(nop)  ENV a=1"). */
int build_config_step (struct bctx *b, const struct df_instr *in, char **created_by, capsa_err **err);
/* The stage's shell for RUN, CMD and ENTRYPOINT's shell forms (SHELL, else /bin/sh -c): new. */
json_t *build_shell (struct bctx *b);
/* The command of RUN/CMD/ENTRYPOINT/HEALTHCHECK: the JSON form's array, or shell + [text]. */
json_t *build_command (struct bctx *b, const struct df_instr *in);

/* build_run.c: run in->args in a container of image, as the stage's user, in its dir, with its
 * env and args; the changes become image *out (key for the cache). */
int build_run_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err);
/* The ARG values a RUN sees (those not set by ENV), "K=V" strings (owned); also in its key. */
char **build_run_args (struct bctx *b);

/* build_copy.c: the digest of what COPY/ADD would copy (its sources as they are now, names,
 * modes and contents): part of the step's cache key. */
int build_copy_digest (struct bctx *b, const struct df_instr *in, char *digest, capsa_err **err);
int build_copy_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err);
/* WORKDIR (its config already changed): the directory made when the image lacks it (root's,
 * 0755, as docker's), a config-only image otherwise. */
int build_workdir_step (struct bctx *b, const struct df_instr *in, const char *key, char *out, capsa_err **err);
/* The image a stage reference or image name stands for (COPY --from, RUN --mount from=): a
 * stage built first if needed; its id into id. */
int build_from_ref (struct bctx *b, const char *ref, char *id, capsa_err **err);

/* A directory of the store's tmp/ for a root made from an image (overlay, like a container's):
 * mount image (NULL: an empty root) under a fresh id; *root_id owned, *rootfs its path. */
int build_root_mount (struct bctx *b, const char *image, char **root_id, char **rootfs, capsa_err **err);
/* Commit root_id's upper dir on image parent with the stage's config, then unmount and remove
 * the root. */
int build_root_commit (struct bctx *b, const char *root_id, const char *key, const char *created_by, char *out,
                       capsa_err **err);
void build_root_drop (struct bctx *b, const char *root_id);

/* Commit the stage's config as a new image on its current one (no new layer): out. */
int build_commit_config (struct bctx *b, const char *key, const char *created_by, char *out, capsa_err **err);

#endif
