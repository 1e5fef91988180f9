/* capsa cp with `-`: a tar stream of a path, and a tar stream extracted into a directory. */
#pragma once

#include "error.h"

/* What was left out of a copy (a device node...), said to the caller: msg is borrowed. */
typedef void cp_tar_warn_fn (const char *msg);

/* Write `name` (the tree at O_PATH fd `srcfd`, symlinks as symlinks) as a tar stream to `out`. */
int cp_tar_write (int out, int srcfd, const char *name, cp_tar_warn_fn *warn, capsa_err **err);

/* Extract the tar stream `in` into the directory `dstdir`; members named absolutely or with `..`
   are refused, and no symlink is followed on the way to a member. */
int cp_tar_extract (int in, int dstdir, cp_tar_warn_fn *warn, capsa_err **err);
