/* Removing a container (capsa/engine.h, ctr.h): its runtime state, network, root filesystem,
 * name, record and anonymous volumes.  Above the records (ctr.c) and the networks (ctr_net.c). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "ctr_events.h"
#include "ctr_life.h"
#include "ctr_net.h"
#include "fault.h"
#include "fsops.h"
#include "image_rootfs.h"
#include "util.h"

/* ---- removal ------------------------------------------------------------------------------- */

static void
remove_volumes (struct capsa_engine *e, json_t *meta)
{
  size_t i;
  json_t *v;
  json_array_foreach (json_object_get (meta, "AnonymousVolumes"), i, v)
  {
    cleanup_free char *p = xasprintf ("%s/volumes/%s", e->root, json_string_value (v));
    cleanup_err capsa_err *le = NULL;
    fs_rm_rf (p, &le);
  }
}

/* rm's first half: refuse a live container without force, else kill it and wait. */
static int
remove_stop (struct capsa_engine *e, struct ctr *c, bool force, capsa_err **err)
{
  bool stopped = c->status == CTR_EXITED || c->status == CTR_CREATED || c->status == CTR_DEAD;
  if (!stopped && !force)
    return capsa_fail_as (err, EBUSY,
                          "cannot remove container %s: it is %s; stop it first (`capsa stop %s`) or force "
                          "the removal (`capsa rm -f %s`)",
                          capsa_ctr_name (c), capsa_ctr_status_name (c->status), capsa_ctr_name (c),
                          capsa_ctr_name (c));
  if (c->partial || (c->status == CTR_EXITED && !force))
    return 0;
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  cleanup_err capsa_err *le = NULL;
  write_file_replace_at (AT_FDCWD, stop, "", 0, 0644, &le);
  if (c->status == CTR_RUNNING || c->status == CTR_PAUSED)
    {
      cleanup_err capsa_err *ke = NULL;
      capsa_container_kill (c->oci_root, c->id, SIGKILL, true, &ke);
      capsa_ctr_wait_exited (e, c, 10000);
      /* its monitor holds the published ports until it has taken the network down: rm returns
       * with them free, as docker's does */
      ctr_monitor_wait_gone (c, 5000);
      capsa_fault_point ("cli:rm:killed");
    }
  return 0;
}

int
capsa_ctr_remove (struct capsa_engine *e, struct ctr *c, bool force, bool vols, capsa_err **err)
{
  if (remove_stop (e, c, force, err) < 0)
    return -1;
  ctr_net_down (e, c); /* (done by the monitor already, unless it was killed) */
  cleanup_free char *oci = xasprintf ("%s/%s", c->oci_root, c->id);
  if (access (oci, F_OK) == 0)
    {
      cleanup_err capsa_err *de = NULL;
      if (capsa_container_delete (c->oci_root, c->id, true, &de) < 0 && access (oci, F_OK) == 0)
        {
          *err = take_ptr (&de);
          return capsa_err_wrap (err, "remove container %s", capsa_ctr_name (c));
        }
      ctr_cgroup_parent_tidy ();
    }
  /* A monitor still at work (a created one, or one recording a run that failed to start and
   * taking its network and root down) writes in the record: its init is gone now, and with
   * stop-requested it leaves; it goes before the record does (else: "directory not empty") */
  ctr_monitor_wait_gone (c, 5000);
  if (vols)
    remove_volumes (e, c->meta);
  capsa_fault_point ("cli:rm:deleted"); /* the runtime state is gone; the root and the record are not */
  cleanup_store struct capsa_store *s = NULL;
  if (capsa_store_open (e->root, &s, err) < 0)
    return -1;
  if (c->partial)
    {
      cleanup_free char *ns = xasprintf ("%s/netns", c->dir);
      ctr_netns_remove (ns); /* (a half-made one has no record of its network mode) */
    }
  if (access (c->dir, F_OK) == 0 && capsa_rootfs_unmount (s, c->id, err) < 0 && access (c->dir, F_OK) == 0)
    return -1;
  capsa_err_free (err);
  /* the name last: until the record is gone, a retry by name must still find it */
  if (strcmp (capsa_ctr_name (c), c->id) != 0)
    ctr_name_release (e, capsa_ctr_name (c), c->id);
  ctr_creating_done (e, c->id, -1); /* (left by a creation that died) */
  capsa_ctr_event (e, c, "destroy", NULL, NULL);
  return 0;
}
