/* Capabilities of the container process: the five sets of process.capabilities.
 *
 * caps_plan_make() runs in the runtime before the clone and turns names into bits (an unknown
 * name is an error naming it and its place in the config; a name the running kernel does not have
 * yet, above /proc/sys/kernel/cap_last_cap, is skipped: it cannot be granted anyway).  The child
 * then follows runc's order:
 *   caps_before_user()  keep permitted across the uid change, drop the bounding set;
 *   (setgroups, setgid, setuid)
 *   caps_after_user()   effective/permitted/inheritable via libcap, then the ambient set.
 *                       An ambient raise the kernel refuses (a capability not permitted and
 *                       inheritable: the config `runc spec` writes) is skipped, as runc does, and
 *                       named in `warning` for the runtime's log ("" when none was refused).
 * Without process.capabilities nothing is changed (root keeps every capability, as with runc).
 */
#ifndef CAPSA_CAPABILITIES_H
#define CAPSA_CAPABILITIES_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

struct caps_plan
{
  bool set; /* process.capabilities was given */
  uint64_t bounding, effective, permitted, inheritable, ambient;
  int last_cap;
};

int caps_plan_make (const struct cfg_process *p, struct caps_plan *plan, capsa_err **err);
int caps_before_user (const struct caps_plan *plan, capsa_err **err);
int caps_after_user (const struct caps_plan *plan, char *warning, size_t len, capsa_err **err);

/* "CAP_SYS_ADMIN" (any case, with or without CAP_) -> 21; -1 when unknown. */
int caps_from_name (const char *name);

#endif
