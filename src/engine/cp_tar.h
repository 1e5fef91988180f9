/* capsa cp with `-`: a tar stream of a path, and a tar stream extracted into a directory. */
#pragma once

#include "error.h"

/* Write `name` (the tree at O_PATH fd `srcfd`, symlinks as symlinks) as a tar stream to `out`. */
int cp_tar_write (int out, int srcfd, const char *name, capsa_err **err);

/* Extract the tar stream `in` into the directory `dstdir`; members named absolutely or with `..`
   are refused, and no symlink is followed on the way to a member. */
int cp_tar_extract (int in, int dstdir, capsa_err **err);
