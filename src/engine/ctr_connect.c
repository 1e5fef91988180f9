/* `network connect` and `network disconnect` of a running container, and `network create` and
 * `network rm`, with their events (both front ends). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/net.h"
#include "ctr.h"
#include "ctr_dns.h"
#include "jsonutil.h"
#include "util.h"

int
capsa_ctr_net_connect (struct capsa_engine *e, struct ctr *ct, struct capsa_attach *a, capsa_err **err)
{
  if (a->aliases && a->aliases[0] && (a->network == NULL || strcmp (a->network, CAPSA_NET_DEFAULT) == 0))
    return capsa_fail_as (err, EINVAL,
                          "network-scoped alias is supported only for containers in user defined networks");
  a->container_id = ct->id;
  a->name = capsa_ctr_name (ct);
  a->pid = ct->pid;
  /* a container on a bridge network has its /etc/hosts bind-mounted from ROOT/containers/ID/etc:
   * that file gets the new network's peers too (docker), and keeps its hostname */
  cleanup_free char *etc = xasprintf ("%s/etc", ct->dir);
  if (capsa_ctr_net_is_bridge (jstr (json_object_get (ct->meta, "HostConfig"), "NetworkMode")))
    a->etc_dir = etc;
  a->hostname = jstr (json_object_get (ct->meta, "Config"), "Hostname");
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &dir);
  struct capsa_attach_result r;
  /* a host port another program or container has is refused here too (an ephemeral one is
   * chosen); the container's monitor holds them from here on, for its life (ctr_monitor.c) */
  if (capsa_ctr_ports_reserve (e, ct, (struct capsa_port *) a->ports, a->nports, err) < 0
      || capsa_ctr_net_hold_ports (ct, a->network, err) < 0)
    return -1;
  int rc = capsa_net_attach (&env, a, &r, err);
  a->etc_dir = NULL; /* (etc is freed here) */
  if (rc == 0 && (rc = ctr_dns_ensure (e, a->network, err)) < 0)
    {
      cleanup_err capsa_err *e2 = NULL;
      capsa_net_detach (&env, a->network, ct->id, &e2);
    }
  if (rc < 0)
    capsa_ctr_net_release_ports (ct, a->network);
  else
    capsa_engine_net_event (e, "connect", a->network, ct->id);
  return rc;
}

int
capsa_ctr_net_disconnect (struct capsa_engine *e, struct ctr *ct, const char *network, capsa_err **err)
{
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &dir);
  if (capsa_net_detach (&env, network, ct->id, err) < 0)
    return -1;
  capsa_ctr_net_release_ports (ct, network); /* the ports `network connect -p` published there */
  capsa_engine_net_event (e, "disconnect", network, ct->id);
  return 0;
}

int
capsa_engine_network_create (struct capsa_engine *e, const struct capsa_net_create_opts *o, capsa_err **err)
{
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &dir);
  if (capsa_network_create (&env, o, err) < 0)
    return -1;
  capsa_engine_net_event (e, "create", o->name, NULL);
  return 0;
}

int
capsa_engine_network_remove (struct capsa_engine *e, const char *name, bool force, capsa_err **err)
{
  cleanup_free char *dir = NULL;
  struct capsa_netenv env = capsa_engine_netenv (e, &dir);
  if (capsa_network_remove (&env, name, force, err) < 0)
    return -1;
  capsa_engine_net_event (e, "destroy", name, NULL);
  return 0;
}
