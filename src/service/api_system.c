/* /_ping, /version, /info, and the answer for what is not served. */
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

enum MHD_Result
api_ping (struct svc_req *r)
{
  struct MHD_Response *resp = MHD_create_response_from_buffer (2, (void *) "OK", MHD_RESPMEM_PERSISTENT);
  if (resp)
    {
      MHD_add_response_header (resp, "Content-Type", "text/plain; charset=utf-8");
      MHD_add_response_header (resp, "Cache-Control", "no-cache, no-store, must-revalidate");
      MHD_add_response_header (resp, "Pragma", "no-cache");
    }
  return svc_reply_response (r, 200, resp);
}

enum MHD_Result
api_version (struct svc_req *r)
{
  struct utsname u;
  uname (&u);
  json_t *details = json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s}", "ApiVersion", SVC_API_VERSION, "MinAPIVersion", "1.24",
                               "Os", "linux", "Arch", capsa_host_arch (NULL), "KernelVersion", u.release, "GitCommit",
                               "");
  return svc_reply_json (
      r, 200,
      json_pack ("{s:{s:s}, s:[{s:s, s:s, s:o}], s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Platform", "Name",
                 "capsa", "Components", "Name", "Engine", "Version", CAPSA_VERSION, "Details", details, "Version",
                 CAPSA_VERSION, "ApiVersion", SVC_API_VERSION, "MinAPIVersion", "1.24", "GitCommit", "", "GoVersion",
                 "", "Os", "linux", "Arch", capsa_host_arch (NULL), "KernelVersion", u.release, "BuildTime", ""));
}

static size_t
count_images (struct capsa_engine *e)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_store_open (e->root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return 0;
  return json_array_size (json_object_get (idx, "images"));
}

static json_t *
info_host (void)
{
  struct utsname u;
  struct sysinfo si;
  char host[256] = "";
  uname (&u);
  sysinfo (&si);
  gethostname (host, sizeof host - 1);
  bool v2 = access ("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
  return json_pack ("{s:s, s:s, s:s, s:s, s:i, s:I, s:s, s:s, s:s, s:s}", "KernelVersion", u.release, "OperatingSystem",
                    "linux", "OSType", "linux", "Architecture", u.machine, "NCPU", (int) sysconf (_SC_NPROCESSORS_ONLN),
                    "MemTotal", (json_int_t) si.totalram * si.mem_unit, "Name", host, "CgroupDriver", "cgroupfs",
                    "CgroupVersion", v2 ? "2" : "1", "OSVersion", "");
}

enum MHD_Result
api_info (struct svc_req *r)
{
  struct capsa_ctr_counts n;
  capsa_ctr_count (&r->s->eng, &n);
  json_t *info = json_pack (
      "{s:s, s:i, s:i, s:i, s:i, s:I, s:s, s:[], s:s, s:s, s:s, s:{s:{s:s}}, s:{s:s, s:s}, s:b, s:b, s:b, s:b, "
      "s:b, s:b, s:[s], s:[], s:s, s:b, s:s}",
      "ID", "capsa", "Containers", n.all, "ContainersRunning", n.running, "ContainersPaused", n.paused,
      "ContainersStopped", n.stopped, "Images", (json_int_t) count_images (&r->s->eng), "Driver", "overlay2",
      "DriverStatus", "DockerRootDir", r->s->eng.root, "ServerVersion", CAPSA_VERSION, "DefaultRuntime", "capsa",
      "Runtimes", "capsa", "path", "capsa-oci", "Swarm", "NodeID", "", "LocalNodeState", "inactive", "MemoryLimit", 1,
      "SwapLimit", 1, "CpuCfsPeriod", 1, "CpuCfsQuota", 1, "CPUShares", 1, "PidsLimit", 1, "SecurityOptions",
      "name=seccomp,profile=default", "Warnings", "LoggingDriver", "json-file", "Debug", r->s->eng.debug,
      "IndexServerAddress", "https://index.docker.io/v1/");
  json_object_update_new (info, info_host ());
  json_object_set_new (info, "Rootless", json_boolean (r->s->eng.rootless));
  return svc_reply_json (r, 200, info);
}

enum MHD_Result
api_not_implemented (struct svc_req *r)
{
  return svc_reply_err (r, 501, "capsa does not implement %s %s of the Docker Engine API yet", r->method, r->path);
}
