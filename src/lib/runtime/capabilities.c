/* Capabilities of the container process: see capabilities.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "capabilities.h"
#include "util.h"

int
caps_from_name (const char *name)
{
  char lower[64];
  cap_value_t v;
  size_t i = 0;

  if (strncasecmp (name, "CAP_", 4) != 0)
    {
      strcpy (lower, "cap_");
      i = 4;
    }
  for (const char *s = name; *s && i < sizeof lower - 1; s++)
    lower[i++] = (char) tolower ((unsigned char) *s);
  lower[i] = '\0';
  if (cap_from_name (lower, &v) < 0 || v < 0 || v > 63)
    return -1;
  return (int) v;
}

static int
last_cap (void)
{
  cleanup_free char *buf = NULL;
  if (read_file_at (AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &buf, NULL, NULL) == 0)
    return atoi (buf);
  return CAP_LAST_CAP;
}

static int
names_to_bits (char **names, const char *set, int last, uint64_t *out, capsa_err **err)
{
  *out = 0;
  for (size_t i = 0; names && names[i]; i++)
    {
      int c = caps_from_name (names[i]);
      if (c < 0)
        return capsa_fail_as (err, EINVAL, "process.capabilities.%s[%zu]: unknown capability `%s`", set, i, names[i]);
      if (c <= last)
        *out |= 1ULL << c;
    }
  return 0;
}

int
caps_plan_make (const struct cfg_process *p, struct caps_plan *plan, capsa_err **err)
{
  memset (plan, 0, sizeof *plan);
  if (!p->has_caps)
    return 0;
  plan->set = true;
  plan->last_cap = last_cap ();
  const struct cfg_caps *c = &p->caps;
  if (names_to_bits (c->bounding, "bounding", plan->last_cap, &plan->bounding, err) < 0
      || names_to_bits (c->effective, "effective", plan->last_cap, &plan->effective, err) < 0
      || names_to_bits (c->permitted, "permitted", plan->last_cap, &plan->permitted, err) < 0
      || names_to_bits (c->inheritable, "inheritable", plan->last_cap, &plan->inheritable, err) < 0
      || names_to_bits (c->ambient, "ambient", plan->last_cap, &plan->ambient, err) < 0)
    return -1;
  /* A set absent from process.capabilities is empty, as in runc. */
  return 0;
}

int
caps_before_user (const struct caps_plan *plan, capsa_err **err)
{
  if (!plan->set)
    return 0;
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return capsa_fail (err, errno, "keep capabilities across setuid");
  for (int c = 0; c <= plan->last_cap; c++)
    if (!(plan->bounding & (1ULL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return capsa_fail (err, errno, "drop capability %s from the bounding set", cap_to_name (c));
  return 0;
}

static int
add_flags (cap_t caps, cap_flag_t flag, uint64_t bits, int last)
{
  for (int c = 0; c <= last; c++)
    if (bits & (1ULL << c))
      {
        cap_value_t v = c;
        if (cap_set_flag (caps, flag, 1, &v, CAP_SET) < 0)
          return -1;
      }
  return 0;
}

/* runc (libcontainer/capabilities) only warns when an ambient raise fails: its own `runc spec`
 * config lists ambient capabilities that are not inheritable, and engines pass such sets on
 * (podman exec -u 0 into a container run with -u 1000 --cap-add).  The same here: the process
 * simply runs without them. */
static void
raise_ambient (const struct caps_plan *plan, char *warning, size_t len)
{
  size_t used = 0;
  int e = 0;
  for (int c = 0; c <= plan->last_cap; c++)
    if ((plan->ambient & (1ULL << c)) && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
      {
        e = errno;
        char *name = cap_to_name (c);
        int n = snprintf (warning + used, len - used, "%s%s", used ? ", " : "can't raise ambient capability ",
                          name ? name : "?");
        cap_free (name);
        if (n > 0 && (size_t) n < len - used)
          used += (size_t) n;
      }
  if (used > 0)
    snprintf (warning + used, len - used,
              ": %s (an ambient capability must be permitted and inheritable); "
              "skipped, as runc does",
              strerror (e));
}

int
caps_after_user (const struct caps_plan *plan, char *warning, size_t len, capsa_err **err)
{
  if (len > 0)
    warning[0] = '\0';
  if (!plan->set)
    return 0;
  cap_t caps = cap_init ();
  if (caps == NULL)
    return capsa_fail (err, errno, "allocate capability state");
  int r = 0;
  if (add_flags (caps, CAP_EFFECTIVE, plan->effective, plan->last_cap) < 0
      || add_flags (caps, CAP_PERMITTED, plan->permitted, plan->last_cap) < 0
      || add_flags (caps, CAP_INHERITABLE, plan->inheritable, plan->last_cap) < 0)
    r = capsa_fail (err, errno, "build the capability sets");
  else if (cap_set_proc (caps) < 0)
    r = capsa_fail (err, errno,
                    "set the process capabilities (effective must be within permitted, permitted "
                    "within bounding)");
  cap_free (caps);
  if (r < 0)
    return r;
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return capsa_fail (err, errno, "clear keep-capabilities");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return capsa_fail (err, errno, "clear the ambient capabilities");
  raise_ambient (plan, warning, len);
  return 0;
}
