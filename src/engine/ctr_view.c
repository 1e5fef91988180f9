/* Containers as docker shows them (GET /containers/{id}/json and /containers/json, `capsa
 * inspect` and `capsa ps`): built from the record (container.json, run.json) and what is live
 * (published ports). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "ctr_logcfg.h"
#include "ctr_health.h"
#include "jsonutil.h"
#include "util.h"

char *
capsa_ctr_command_text (json_t *meta)
{
  size_t i;
  json_t *v;
  char *s = xstrdup (json_string_value (json_object_get (meta, "Path")) ?: "");
  json_array_foreach (json_object_get (meta, "Args"), i, v)
  {
    char *t = xasprintf ("%s %s", s, json_string_value (v));
    free (s);
    s = t;
  }
  return s;
}

/* "Up 3 minutes", "Exited (0) 2 seconds ago", "Created"... */
static void
human_duration (const char *since, char *buf, size_t len)
{
  struct tm tm = { 0 };
  if (since == NULL || strptime (since, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    {
      snprintf (buf, len, "a while");
      return;
    }
  capsa_human_duration ((long) difftime (time (NULL), timegm (&tm)), buf, (unsigned) len);
}

void
capsa_ctr_status_text (const struct ctr *c, char *buf, size_t len)
{
  char d[64];
  switch (c->status)
    {
    case CTR_CREATED:
      snprintf (buf, len, "Created");
      break;
    case CTR_DEAD:
      snprintf (buf, len, "Dead"); /* docker's word for a container it could not finish or remove */
      break;
    case CTR_RUNNING:
    case CTR_PAUSED:
      {
        human_duration (json_string_value (json_object_get (c->run, "StartedAt")), d, sizeof d);
        const char *h = ctr_health_status (c);
        if (c->status == CTR_PAUSED)
          snprintf (buf, len, "Up %s (Paused)", d);
        else if (strcmp (h, "none") != 0) /* docker's: (healthy), (unhealthy), (health: starting) */
          snprintf (buf, len, "Up %s (%s%s)", d, strcmp (h, "starting") == 0 ? "health: " : "", h);
        else
          snprintf (buf, len, "Up %s", d);
        break;
      }
    case CTR_RESTARTING:
      human_duration (json_string_value (json_object_get (c->run, "FinishedAt")), d, sizeof d);
      snprintf (buf, len, "Restarting (%d) %s ago", (int) json_integer_value (json_object_get (c->run, "ExitCode")), d);
      break;
    case CTR_EXITED:
    default:
      human_duration (json_string_value (json_object_get (c->run, "FinishedAt")), d, sizeof d);
      if (c->exit_code < 0)
        snprintf (buf, len, "Exited (unknown: its monitor is gone)");
      else
        snprintf (buf, len, "Exited (%d) %s ago", c->exit_code, d);
      break;
    }
}

/* What dockerd's inspect always has, for the keys a record lacks (capsa keeps only what it uses;
 * clients index these without checking, docker-compose and the SDKs among them). */
static const char inspect_defaults[]
    = "{\"Platform\": \"linux\", \"MountLabel\": \"\", \"ProcessLabel\": \"\", \"AppArmorProfile\": \"\","
      " \"ExecIDs\": null, \"Driver\": \"overlay2\","
      " \"HostConfig\": {\"ContainerIDFile\": \"\", \"LogConfig\": {\"Type\": \"json-file\", \"Config\": {}},"
      " \"PortBindings\": {}, \"VolumeDriver\": \"\", \"VolumesFrom\": null, \"CgroupnsMode\": \"private\","
      " \"Dns\": [], \"DnsOptions\": [], \"DnsSearch\": [], \"ExtraHosts\": null, \"GroupAdd\": null,"
      " \"IpcMode\": \"private\", \"Cgroup\": \"\", \"Links\": null, \"OomScoreAdj\": 0, \"PidMode\": \"\","
      " \"PublishAllPorts\": false, \"UTSMode\": \"\", \"ShmSize\": 67108864, \"Runtime\": \"capsa\","
      " \"ConsoleSize\": [0, 0], \"Isolation\": \"\", \"CgroupParent\": \"\", \"BlkioWeightDevice\": [],"
      " \"BlkioDeviceReadBps\": null, \"BlkioDeviceWriteBps\": null, \"BlkioDeviceReadIOps\": null,"
      " \"BlkioDeviceWriteIOps\": null, \"CpuRealtimePeriod\": 0, \"CpuRealtimeRuntime\": 0, \"CpusetMems\": \"\","
      " \"Devices\": [], \"DeviceCgroupRules\": null, \"DeviceRequests\": null, \"KernelMemory\": 0,"
      " \"KernelMemoryTCP\": 0, \"MemoryReservation\": 0, \"MemorySwappiness\": null, \"OomKillDisable\": false,"
      " \"Ulimits\": null, \"CpuCount\": 0, \"CpuPercent\": 0, \"IOMaximumIOps\": 0, \"IOMaximumBandwidth\": 0,"
      " \"MaskedPaths\": [], \"ReadonlyPaths\": []},"
      " \"Config\": {\"Domainname\": \"\", \"AttachStdin\": false, \"AttachStdout\": false,"
      " \"AttachStderr\": false, \"StdinOnce\": false, \"Volumes\": null, \"OnBuild\": null},"
      " \"NetworkSettings\": {\"Bridge\": \"\", \"SandboxID\": \"\", \"HairpinMode\": false,"
      " \"LinkLocalIPv6Address\": \"\", \"LinkLocalIPv6PrefixLen\": 0, \"SandboxKey\": \"\","
      " \"SecondaryIPAddresses\": null, \"SecondaryIPv6Addresses\": null, \"EndpointID\": \"\", \"Gateway\": \"\","
      " \"GlobalIPv6Address\": \"\", \"GlobalIPv6PrefixLen\": 0, \"IPAddress\": \"\", \"IPPrefixLen\": 0,"
      " \"IPv6Gateway\": \"\", \"MacAddress\": \"\", \"Networks\": {}}}";

/* dst gets src's keys it lacks, object by object */
static void
fill_missing (json_t *dst, json_t *src)
{
  const char *k;
  json_t *v;
  json_object_foreach (src, k, v)
  {
    json_t *d = json_object_get (dst, k);
    if (d == NULL || json_is_null (d))
      json_object_set (dst, k, v);
    else if (json_is_object (d) && json_is_object (v))
      fill_missing (d, v);
  }
}

/* the files capsa made for the container's /etc (bridge networks): docker's *Path keys */
static void
etc_paths (json_t *out, const struct ctr *c)
{
  static const char *const keys[][2] = { { "ResolvConfPath", "resolv.conf" },
                                         { "HostnamePath", "hostname" },
                                         { "HostsPath", "hosts" } };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    {
      cleanup_free char *p = xasprintf ("%s/etc/%s", c->dir, keys[i][1]);
      json_object_set_new (out, keys[i][0], json_string (access (p, F_OK) == 0 ? p : ""));
    }
}

/* docker's EndpointSettings of the container's network: its aliases (on a user network the short
 * id too, as dockerd adds it), its addresses while it runs ("" and 0 else). */
static json_t *
endpoint (const struct ctr *c, const char *mode, json_t *addrs)
{
  json_t *ep = json_pack ("{s:n, s:n, s:n, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:i, s:s, s:n}", "IPAMConfig", "Links",
                          "Aliases", "NetworkID", "", "EndpointID", "", "Gateway", "", "IPAddress", "", "IPPrefixLen",
                          0, "IPv6Gateway", "", "GlobalIPv6Address", "", "GlobalIPv6PrefixLen", 0, "MacAddress", "",
                          "DriverOpts");
  if (addrs)
    json_object_update (ep, addrs);
  if (json_object_get (c->meta, "IPAMConfig")) /* --ip, --ip6 */
    json_object_set (ep, "IPAMConfig", json_object_get (c->meta, "IPAMConfig"));
  if (strcmp (mode, "bridge") == 0)
    return ep;
  json_t *al = json_array (), *a;
  size_t i;
  char shortid[13];
  snprintf (shortid, sizeof shortid, "%s", c->id);
  bool has_short = false;
  json_array_foreach (json_object_get (c->meta, "Aliases"), i, a)
  {
    json_array_append (al, a);
    has_short |= json_is_string (a) && strcmp (json_string_value (a), shortid) == 0;
  }
  if (!has_short)
    json_array_append_new (al, json_string (shortid));
  json_object_set_new (ep, "Aliases", al);
  return ep;
}

/* docker's shape: the addresses at the top (while it runs) and under Networks.NAME (one network
 * per container; a bridge network's is there before it runs, as dockerd shows it) */
static void
net_settings (const struct ctr *c, json_t *ns)
{
  json_t *addrs = json_object_get (c->run, "Network");
  const char *mode = json_string_value (json_object_get (json_object_get (c->meta, "HostConfig"), "NetworkMode"));
  bool live = json_is_object (addrs) && c->status != CTR_CREATED && c->status != CTR_EXITED && c->status != CTR_DEAD;
  if (live)
    json_object_update (ns, addrs);
  if (mode && capsa_ctr_net_is_bridge (mode))
    json_object_set_new (ns, "Networks", json_pack ("{s:o}", mode, endpoint (c, mode, live ? addrs : NULL)));
  else if (live)
    json_object_set_new (ns, "Networks", json_pack ("{s:O}", mode ?: "bridge", addrs));
}

json_t *
capsa_ctr_inspect_json (struct capsa_engine *e, struct ctr *c)
{
  json_t *out = json_deep_copy (c->meta);
  json_t *run = c->run;
  (void) e;
  json_object_del (out, "AnonymousVolumes");
  json_object_del (out, "ImageName");
  json_object_set_new (
      out, "State",
      json_pack ("{s:s, s:b, s:b, s:b, s:b, s:b, s:I, s:i, s:s, s:s, s:s}", "Status", capsa_ctr_status_name (c->status),
                 "Running", c->status == CTR_RUNNING || c->status == CTR_PAUSED, "Paused", c->status == CTR_PAUSED,
                 "Restarting", c->status == CTR_RESTARTING, "OOMKilled",
                 json_is_true (json_object_get (run, "OOMKilled")), "Dead", c->status == CTR_DEAD, "Pid",
                 (json_int_t) c->pid, "ExitCode", c->exit_code < 0 ? 0 : c->exit_code, "Error",
                 json_string_value (json_object_get (run, "Error")) ?: "", "StartedAt",
                 json_string_value (json_object_get (run, "StartedAt")) ?: "0001-01-01T00:00:00Z", "FinishedAt",
                 json_string_value (json_object_get (run, "FinishedAt")) ?: "0001-01-01T00:00:00Z"));
  json_t *health = json_object_get (run, "Health");
  if (json_is_object (health)) /* docker's: since its first start with a healthcheck */
    json_object_set (json_object_get (out, "State"), "Health", health);
  json_object_del (out, "HealthOnFailure");
  json_object_set_new (out, "RestartCount", json_integer (json_integer_value (json_object_get (run, "RestartCount"))));
  struct ctr_log_set ls; /* the driver's file (k8s-file's path=); none and passthrough: "", as docker */
  ctr_log_settings (c, &ls);
  json_object_set_new (out, "LogPath", json_string (ls.format == 'n' || ls.format == 'p' ? "" : ls.path));
  ctr_log_set_free (&ls);
  json_object_del (out, "Aliases");
  json_object_del (out, "IPAMConfig"); /* (NetworkSettings.Networks.NAME's) */
  /* what `logs` reads is capsa's own log, docker's json-file in effect (clients check the driver
   * before they ask for logs: docker-compose skips a container without one) */
  json_t *hc = json_object_get (out, "HostConfig");
  if (json_is_object (hc) && json_object_get (hc, "LogConfig") == NULL)
    json_object_set_new (hc, "LogConfig", json_pack ("{s:s, s:{}}", "Type", "json-file", "Config"));
  json_t *ns = json_pack ("{s:{}}", "Ports");
  net_settings (c, ns);
  json_t *ports = capsa_ctr_ports_live (c); /* docker's {"80/tcp": [{"HostIp", "HostPort"}]} */
  if (ports)
    json_object_set (ns, "Ports", ports);
  json_object_set_new (out, "NetworkSettings", ns);
  etc_paths (out, c);
  cleanup_json json_t *dflt = json_loads (inspect_defaults, 0, NULL);
  fill_missing (out, dflt);
  return out;
}

/* RFC 3339 (capsa's "2026-12-07T07:00:00.123456789Z") -> unix seconds; 0 when unreadable */
static long long
unix_time (const char *t)
{
  struct tm tm = { 0 };
  return t && strptime (t, "%Y-%m-%dT%H:%M:%S", &tm) ? (long long) timegm (&tm) : 0;
}

/* docker's [{IP, PrivatePort, PublicPort, Type}] of a running container's published ports */
static json_t *
summary_ports (const struct ctr *c)
{
  json_t *out = json_array (), *binds;
  const char *key;
  json_object_foreach (capsa_ctr_ports_live (c), key, binds)
  {
    int port = atoi (key);
    const char *slash = strchr (key, '/');
    json_t *b;
    size_t i;
    json_array_foreach (binds, i, b)
    {
      const char *hp = jstr (b, "HostPort");
      json_array_append_new (out,
                             json_pack ("{s:s, s:i, s:i, s:s}", "IP", jstr (b, "HostIp") ?: "0.0.0.0", "PrivatePort",
                                        port, "PublicPort", hp ? atoi (hp) : 0, "Type", slash ? slash + 1 : "tcp"));
    }
  }
  return out;
}

json_t *
capsa_ctr_summary_json (struct capsa_engine *e, struct ctr *c)
{
  char st[128];
  capsa_ctr_status_text (c, st, sizeof st);
  cleanup_free char *cmd = capsa_ctr_command_text (c->meta);
  cleanup_free char *name = xasprintf ("/%s", capsa_ctr_name (c));
  cleanup_json json_t *full = capsa_ctr_inspect_json (e, c);
  json_t *hc = json_object_get (c->meta, "HostConfig"), *cfg = json_object_get (c->meta, "Config");
  json_t *labels = json_object_get (cfg, "Labels");
  return json_pack ("{s:s, s:[s], s:s, s:s, s:s, s:I, s:o, s:o, s:s, s:s, s:{s:s}, s:{s:O}, s:O}", "Id", c->id, "Names",
                    name, "Image", jstr (c->meta, "ImageName") ?: "", "ImageID", jstr (c->meta, "Image") ?: "",
                    "Command", cmd, "Created", (json_int_t) unix_time (jstr (c->meta, "Created")), "Ports",
                    summary_ports (c), "Labels", json_is_object (labels) ? json_incref (labels) : json_object (),
                    "State", capsa_ctr_status_name (c->status), "Status", st, "HostConfig", "NetworkMode",
                    jstr (hc, "NetworkMode") ?: "default", "NetworkSettings", "Networks",
                    json_object_get (json_object_get (full, "NetworkSettings"), "Networks") ?: json_object (), "Mounts",
                    json_object_get (c->meta, "Mounts") ?: json_array ());
}
